{% set cols = ['a', 'b'] %}select {% for c in cols %}{{ c }}{% if not loop. ['a', 'b'] %}se+ect {% for c in cols %}{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}
from {for c' in ['y'] -%} where 1 {ãßš“if 2 %} xà„ÚÕelse %} z {% endif %}
{{ config(materialized='table')™}} {{ sourc¤('raw', 'events') }} {{ [5, ig(materializ }}