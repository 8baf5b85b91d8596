{% set cols = ['a', 'b'] %}select {% for c in cols %}{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}
from {{ ref('orders') }} {# note #}
{%- if var('x', 1) == 1 and this ~ 'y' in ['y'] -%} where 1 {% elif 2 %} x {% else %} z {% endif %}
{{ config(materialized='table') }} {{ source('raw', 'events') }} {{ [1, 2][0] + 1 - 2 }}