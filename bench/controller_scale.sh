#!/usr/bin/env bash
# The controller at scale: N agents on loopback (one connection each, echo) driven by one salvo
# run at a 1 s and at a 100 ms interval. Prints the controller's CPU share of one core, its peak
# RSS, the JSON bytes of one agent-interval (the mean of the agents' interval entries) and, on
# the 100 ms line, the memory each agent-interval costs: the difference between the two runs'
# peak RSS over the difference in agent-intervals. Loopback only; every process is stopped at
# the end.
# Usage: bench/controller_scale.sh [agents (100)] [seconds (60)]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build
agents=${1:-100}
seconds=${2:-60}
source "$root/bench/lib.sh"
dir=$tmp

"$bin/salvo-target" --listen 127.0.0.1:0 --port-file "$dir/target.port" --mode echo --quiet \
  >/dev/null 2>&1 &
pids+=($!)
wait_port_file "$dir/target.port" >/dev/null
list=()
for i in $(seq "$agents"); do
  "$bin/salvo-agent" --listen 127.0.0.1:0 --port-file "$dir/agent$i.port" >/dev/null 2>&1 &
  pids+=($!)
done
for i in $(seq "$agents"); do
  wait_port_file "$dir/agent$i.port" >/dev/null
  list+=("127.0.0.1:$(cat "$dir/agent$i.port")")
done
agent_list=$(IFS=,; echo "${list[*]}")

printf '%-9s %7s %9s %12s %14s %22s %s\n' interval agents seconds "cpu/core" "peak RSS" \
  "JSON B/agent-interval" "RSS B/agent-interval"
prev_rss=0 prev_intervals=0
for interval in 1s 100ms; do
  json=$dir/run-$interval.json
  /usr/bin/time -f '%e %U %S %M' -o "$dir/time" "$bin/salvo" run --agents "$agent_list" \
    --target "127.0.0.1:$(cat "$dir/target.port")" --connections "$agents" --threads 1 \
    --duration "$seconds" --warmup 0 --interval "$interval" --json "$json" >"$dir/out" 2>&1 ||
    { echo "run at $interval failed:"; tail -5 "$dir/out"; }
  read -r wall user sys rss_kb <"$dir/time"
  read -r intervals json_per <<<"$(python3 -c "
import json, sys
r = json.load(open(sys.argv[1]))
series = [i for a in r['agents'] for i in a.get('intervals', [])]
size = sum(len(json.dumps(i, separators=(',', ':'))) for i in series)
print(len(series), size // max(len(series), 1))" "$json")"
  per_rss=-
  if [ "$prev_intervals" -gt 0 ] && [ "$intervals" -gt "$prev_intervals" ]; then
    per_rss=$(( (rss_kb - prev_rss) * 1024 / (intervals - prev_intervals) ))
  fi
  printf '%-9s %7s %9.1f %11.1f%% %11.1fMB %22s %s\n' "$interval" "$agents" "$wall" \
    "$(echo "($user+$sys)*100/$wall" | bc -l)" "$(echo "$rss_kb/1024" | bc -l)" "$json_per" "$per_rss"
  prev_rss=$rss_kb prev_intervals=$intervals
  grep -E '^status' "$dir/out" | head -1
done
