#!/usr/bin/env bash
# The controller at scale: N agents on loopback (one connection each, echo) driven by one salvo
# run at a 1 s and at a 100 ms interval. Prints the controller's CPU share of one core, its peak
# RSS, and the JSON bytes per agent-interval. Loopback only; every process is stopped at the end.
# Usage: bench/controller_scale.sh [agents (100)] [seconds (60)]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build
agents=${1:-100}
seconds=${2:-60}
source "$root/bench/lib.sh"
dir=$tmp
wait_port() { for _ in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.05; done; echo "no port in $1" >&2; exit 1; }

"$bin/salvo-target" --listen 127.0.0.1:0 --port-file "$dir/target.port" --mode echo --quiet \
  >/dev/null 2>&1 &
pids+=($!)
wait_port "$dir/target.port"
list=()
for i in $(seq "$agents"); do
  "$bin/salvo-agent" --listen 127.0.0.1:0 --port-file "$dir/agent$i.port" >/dev/null 2>&1 &
  pids+=($!)
done
for i in $(seq "$agents"); do
  wait_port "$dir/agent$i.port"
  list+=("127.0.0.1:$(cat "$dir/agent$i.port")")
done
agent_list=$(IFS=,; echo "${list[*]}")

printf '%-9s %7s %9s %12s %14s %s\n' interval agents seconds "cpu/core" "peak RSS" "JSON B/agent-interval"
for interval in 1s 100ms; do
  json=$dir/run-$interval.json
  /usr/bin/time -f '%e %U %S %M' -o "$dir/time" "$bin/salvo" run --agents "$agent_list" \
    --target "127.0.0.1:$(cat "$dir/target.port")" --connections "$agents" --threads 1 \
    --duration "$seconds" --warmup 0 --interval "$interval" --json "$json" >"$dir/out" 2>&1 ||
    { echo "run at $interval failed:"; tail -5 "$dir/out"; }
  read -r wall user sys rss_kb <"$dir/time"
  intervals=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(sum(len(a.get('intervals',[])) for a in r['agents']))" "$json")
  printf '%-9s %7s %9.1f %11.1f%% %11.1fMB %s\n' "$interval" "$agents" "$wall" \
    "$(echo "($user+$sys)*100/$wall" | bc -l)" "$(echo "$rss_kb/1024" | bc -l)" \
    "$(( $(stat -c %s "$json") / (intervals > 0 ? intervals : 1) ))"
  grep -E '^status' "$dir/out" | head -1
done
