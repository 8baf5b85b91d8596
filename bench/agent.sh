#!/usr/bin/env bash
# Agent overhead per step: `pluto-duck query` against the scripted
# OpenAI-compatible server answering at once (STEPS tool calls of run_sql
# `select 1`, then an answer), against the same number of bare requests to that
# server made by curl (the floor measured in the same run). Prints ms per step.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/build/bin/pluto-duck"
STEPS=${STEPS:-50}
. "$top/bench/home.sh"
bench_home agent

python3 - "$STEPS" > "$work/script.json" <<'PY'
import json, sys
n = int(sys.argv[1])
replies = [{"tool_calls": [{"name": "run_sql", "arguments": json.dumps({"sql": "select 1"})}]}
           for _ in range(n)]
replies.append({"content": "done"})
print(json.dumps({"replies": [{"content": "floor"}] * (n + 1) + replies * 2}))
PY
python3 "$top/tests/servers/openai_server.py" "$work/script.json" "$work/log.jsonl" "$work/port" &
server=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$work/port")/v1"

# the floor: the same number of requests (with a run's request size) from one curl process
body=$(python3 -c 'import json; print(json.dumps({"model":"m","messages":[{"role":"user","content":"x"*2000}],"stream":True}))')
args=()
for i in $(seq $((STEPS + 1))); do
    [ "$i" -gt 1 ] && args+=(--next)
    args+=(-s -o /dev/null -X POST -H 'Content-Type: application/json' --data "$body" "$url/chat/completions")
done
t0=$(date +%s.%N)
curl "${args[@]}"
t1=$(date +%s.%N)

# every step must run: no step or token limit, and the run must end with the answer
export PLUTO_DUCK_LLM_PROVIDER=openai PLUTO_DUCK_LLM_MODEL=m PLUTO_DUCK_LLM_BASE_URL="$url"
export PLUTO_DUCK_AGENT_MAX_STEPS=100 PLUTO_DUCK_AGENT_MAX_TOKENS=0
"$bin" query "bench" >/dev/null 2>&1 || true # warm up (and use the floor's replies)
t2=$(date +%s.%N)
answer=$("$bin" query "bench" 2>/dev/null)
t3=$(date +%s.%N)
if [ "$(head -1 <<<"$answer")" != done ]; then
    echo "the agent run did not finish its $STEPS steps (answer: $answer)" >&2
    exit 1
fi
floor=$(echo "($t1 - $t0) * 1000 / ($STEPS + 1)" | bc -l)
run=$(echo "($t3 - $t2) * 1000 / ($STEPS + 1)" | bc -l)
printf 'agent run: %.2f ms per step (%d steps); bare request to the same server: %.2f ms; overhead %.2f ms per step\n' \
    "$run" "$STEPS" "$floor" "$(echo "$run - $floor" | bc -l)"
