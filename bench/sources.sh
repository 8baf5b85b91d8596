#!/usr/bin/env bash
# Source benchmarks: starts PostgreSQL and MariaDB in a scratch directory, makes
# the data, attaches the sources and runs bench_sources. Sizes: PG_ROWS (2M),
# RSS_ROWS (5M), MY_ROWS (2M), LOOKUP_ROWS (1M), CSV_MB (about 1000). ONLY=lookup
# runs the lookups alone. Not part of the tests.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/build/bin/pluto-duck"
drv="$top/build/bench/bench_sources"
. "$top/tests/servers/servers.bash"

work=$(mktemp -d /tmp/pd-bench.XXXXXX)
chmod 755 "$work"
trap 'servers_stop; rm -rf "$work"' EXIT
export PLUTO_DUCK_HOME="$work/home"
"$bin" init --no-sample >/dev/null

PG_ROWS=${PG_ROWS:-2000000} RSS_ROWS=${RSS_ROWS:-5000000} MY_ROWS=${MY_ROWS:-2000000}
LOOKUP_ROWS=${LOOKUP_ROWS:-1000000}
CSV_MB=${CSV_MB:-1000}

ONLY=${ONLY:-}
[ "$ONLY" = lookup ] && PG_ROWS=1 RSS_ROWS=1

echo "== preparing data"
pg_start "$work"
pg_sql "create table t as select g::bigint as id, g * 1.5::float8 as x, md5(g::text) as s,
        timestamptz '2024-01-01' + g * interval '1 second' as ts from generate_series(1, $PG_ROWS) g;
        create table t5 as select g::bigint as id, g * 1.5::float8 as x, md5(g::text) as s,
        timestamptz '2024-01-01' + g * interval '1 second' as ts from generate_series(1, $RSS_ROWS) g;
        create table t1m (id bigint primary key, x float8, s text, ts timestamptz);
        insert into t1m select g, g * 1.5, md5(g::text), timestamptz '2024-01-01' + g * interval '1 second'
        from generate_series(1, $LOOKUP_ROWS) g;
        grant select on t, t5, t1m to app; analyze" >/dev/null
echo secret | "$bin" source attach pg --type postgres --dsn "$PG_DSN" --password-stdin >/dev/null
printf 'source: pg\ntable: t\ntarget: t_copy\n' > "$PLUTO_DUCK_HOME/pg_ingest.yaml"
printf 'source: pg\ntable: t5\ntarget: t5_copy\n' > "$PLUTO_DUCK_HOME/pg5_ingest.yaml"

if [ "$ONLY" != lookup ]; then
    maria_start "$work"
    maria_sql "create table t (id bigint primary key, x double, s varchar(40), ts datetime);
               insert into t select seq, seq * 1.5, md5(seq), '2024-01-01' + interval seq second
               from seq_1_to_$MY_ROWS;" >/dev/null
    echo secret | "$bin" source attach my --type mysql --dsn "$MARIA_DSN" --password-stdin >/dev/null
    printf 'source: my\ntable: t\ntarget: my_copy\n' > "$PLUTO_DUCK_HOME/my_ingest.yaml"

    csv="$work/big.csv"
    rows=$((CSV_MB * 1000000 / 100))
    "$bin" sql "copy (select range as id, range * 1.5 as x, md5(range::varchar) as s,
                timestamp '2024-01-01' + to_seconds(range) as ts, 'some text ' || (range % 1000) as note
                from range($rows)) to '$csv' (header)" >/dev/null
    printf 'source: {type: file, path: %s}\ntable: big\ntarget: csv_copy\n' "$csv" > "$PLUTO_DUCK_HOME/csv_ingest.yaml"
    echo "CSV file: $(du -m "$csv" | cut -f1) MB, $rows rows"
fi

echo "== results (best of ${RUNS:-3})"
PGPASSWORD=secret "$drv" lookup "$bin" "$PLUTO_DUCK_HOME" "psql -X -q -h 127.0.0.1 -p $PG_PORT -U app -d shop" t1m "$LOOKUP_ROWS"
[ "$ONLY" = lookup ] && exit 0
"$drv" pg "$bin" "$PLUTO_DUCK_HOME" "host=127.0.0.1 port=$PG_PORT dbname=shop user=app password=secret" t "$PG_ROWS"
"$drv" rss "$bin" "$PLUTO_DUCK_HOME" "$PLUTO_DUCK_HOME/pg5_ingest.yaml"
"$drv" my "$bin" "$PLUTO_DUCK_HOME" "mariadb --no-defaults -h 127.0.0.1 -P $MARIA_PORT -u app -psecret shop" t "$MY_ROWS"
"$drv" csv "$bin" "$PLUTO_DUCK_HOME" "$csv"
