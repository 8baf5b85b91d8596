# servers.sh - start and stop real PostgreSQL and MariaDB servers for tests.
#
# Sourced by bats suites and benchmarks. Each server lives in its own temporary
# directory, listens on a free loopback port and is stopped by servers_stop.
# PostgreSQL refuses to run as root, so as root it runs as the postgres user.
#
#   pg_start DIR      sets PG_PORT, PG_DSN (user app, password secret, db shop)
#   maria_start DIR   sets MARIA_PORT, MARIA_DSN (user app, password secret, db shop)
#   pg_sql SQL        run SQL as the superuser; maria_sql SQL likewise
#   servers_stop

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

as_pg() {
    if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

pg_start() {
    PG_DIR=$1/pg
    mkdir -p "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown postgres "$PG_DIR" && chmod 700 "$PG_DIR"
    PG_PORT=$(free_port)
    as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust --auth-host=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log"; return 1; }
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
        -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c timezone=UTC -c log_statement=all" \
        start >/dev/null || { cat "$PG_DIR/server.log"; return 1; }
    PG_DB=postgres pg_sql "CREATE USER app PASSWORD 'secret'" >/dev/null &&
        PG_DB=postgres pg_sql "CREATE DATABASE shop OWNER app" >/dev/null || return 1
    PG_DSN="postgresql://app@127.0.0.1:$PG_PORT/shop"
    export PG_DIR PG_PORT PG_DSN
}

# Run SQL in database shop (as the superuser over the socket); prints unaligned rows.
pg_sql() {
    as_pg psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$PG_PORT" -U postgres \
        -d "${PG_DB:-shop}" -c "$1" 2>&1
}

pg_stop() {
    [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ] &&
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1
    return 0
}

# Kill the PostgreSQL server at once (a crash, as far as clients can tell): the
# postmaster and every backend together, so that no backend finishes the
# statement it is streaming (one whose client keeps up never looks for its parent).
pg_kill() {
    local pid
    pid=$(head -1 "$PG_DIR/data/postmaster.pid" 2>/dev/null) &&
        kill -9 "$pid" $(pgrep -P "$pid") 2>/dev/null
    sleep 0.5
}

maria_start() {
    MARIA_DIR=$1/maria
    mkdir -p "$MARIA_DIR"
    MARIA_PORT=$(free_port)
    mariadb-install-db --no-defaults --datadir="$MARIA_DIR/data" --user="$(id -un)" \
        --auth-root-authentication-method=normal >"$MARIA_DIR/install.log" 2>&1 ||
        { cat "$MARIA_DIR/install.log"; return 1; }
    mariadbd --no-defaults --datadir="$MARIA_DIR/data" --port="$MARIA_PORT" \
        --bind-address=127.0.0.1 --socket="$MARIA_DIR/sock" --pid-file="$MARIA_DIR/pid" \
        --user="$(id -un)" --skip-name-resolve --skip-log-bin --innodb-flush-log-at-trx-commit=0 \
        --default-time-zone=+00:00 --general-log=1 --general-log-file="$MARIA_DIR/general.log" >"$MARIA_DIR/server.log" 2>&1 &
    MARIA_PID=$!
    for _ in $(seq 1 100); do
        mariadb --no-defaults -S "$MARIA_DIR/sock" -u root -e 'select 1' >/dev/null 2>&1 && break
        sleep 0.2
    done
    MARIA_DB=mysql maria_sql "CREATE DATABASE shop; CREATE USER app@'%' IDENTIFIED BY 'secret';
               GRANT ALL ON shop.* TO app@'%';" >/dev/null || { cat "$MARIA_DIR/server.log"; return 1; }
    MARIA_DSN="mysql://app@127.0.0.1:$MARIA_PORT/shop"
    export MARIA_DIR MARIA_PORT MARIA_DSN MARIA_PID
}

maria_sql() {
    mariadb --no-defaults --default-character-set=utf8mb4 -S "$MARIA_DIR/sock" -u root -N -B "${MARIA_DB:-shop}" -e "$1" 2>&1
}

maria_stop() {
    [ -n "${MARIA_PID:-}" ] && kill "$MARIA_PID" 2>/dev/null && wait "$MARIA_PID" 2>/dev/null
    return 0
}

maria_kill() {
    [ -n "$MARIA_PID" ] && kill -9 "$MARIA_PID" 2>/dev/null
    sleep 0.5
}

servers_stop() {
    pg_stop
    maria_stop
}
