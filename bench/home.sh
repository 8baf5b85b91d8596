# home.sh - sourced by bench scripts: a fresh data home in a work folder that is
# removed, with the server whose pid is in $server (if any), when the script exits.
#   bench_home NAME   sets work and PLUTO_DUCK_HOME (needs $bin), runs pluto-duck init
bench_cleanup() {
    if [ -n "${server:-}" ]; then
        kill "$server" 2>/dev/null
        wait "$server" 2>/dev/null || true # a server killed by the signal is no failure
    fi
    rm -rf "$work"
}

bench_home() {
    work=$(mktemp -d "/tmp/pd-bench-$1.XXXXXX")
    export PLUTO_DUCK_HOME="$work/home"
    server=
    trap bench_cleanup EXIT
    "$bin" init --no-sample >/dev/null
}
