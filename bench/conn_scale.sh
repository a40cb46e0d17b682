#!/usr/bin/env bash
# One agent holding N connections to one salvo-target, past the local port range: the run goes
# in a network namespace of its own whose ip_local_port_range is narrowed to about a third of N
# ports, so the connections need the four source addresses given with --source-ips
# (127.0.0.1-127.0.0.4, IP_BIND_ADDRESS_NO_PORT: each has its own ports). Prints the time to
# connect all of them (the agent's connect phase), and the agent's and the target's memory per
# connection: RSS while they are open (sampled every 100 ms, the largest kept) minus the idle
# RSS, divided by N; the agent's anonymous memory alone too. Loopback only, in a namespace this
# script creates and removes; every process is stopped at the end.
# Usage: bench/conn_scale.sh [connections (100000)]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build
asked=${1:-100000}
source "$root/bench/lib.sh"
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
anon_kb() { awk '/^RssAnon:/ {print $2}' "/proc/$1/status"; }

# Each of the agent and the target needs a descriptor per connection. A process can raise its
# soft limit to the hard one, and only root with CAP_SYS_RESOURCE past it.
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] && hard=1048576
if [ "$((asked + 200))" -gt "$hard" ] && ! (ulimit -n "$((asked + 200))") 2>/dev/null; then
  n=$((hard - 200))
  echo "bench: asked for $asked connections, but the hard limit on open files is $hard and this" \
    "process cannot raise it: measuring $n" >&2
else
  n=$asked
  ulimit -n "$((asked + 200))" 2>/dev/null || true
fi
ulimit -n "$hard" 2>/dev/null || true
ports=$(( (n + 2) / 3 ))
ns=svscale$$
if [ "$(id -u)" -ne 0 ] || ! ip netns add "$ns" 2>/dev/null; then
  echo "bench: cannot create a network namespace (needs root)" >&2
  exit 1
fi
cleanup_ns() { bench_cleanup; ip netns del "$ns" 2>/dev/null || true; }
trap cleanup_ns EXIT
in_ns() { ip netns exec "$ns" "$@"; }
in_ns ip link set lo up
in_ns sysctl -qw net.ipv4.ip_local_port_range="20000 $((20000 + ports - 1))"

# Not through in_ns: $! must be the server itself (ip netns exec execs it), not a subshell.
ip netns exec "$ns" "$bin/salvo-target" --listen 127.0.0.1:7000 --port-file "$tmp/target.port" --mode echo \
  --quiet >/dev/null 2>&1 &
target=$!
pids+=("$target")
ip netns exec "$ns" "$bin/salvo-agent" --listen 127.0.0.1:7100 --port-file "$tmp/agent.port" >/dev/null 2>&1 &
agent=$!
pids+=("$agent")
wait_port_file "$tmp/target.port" >/dev/null
wait_port_file "$tmp/agent.port" >/dev/null
sleep 0.5
idle=$(rss_kb "$agent") idle_anon=$(anon_kb "$agent") target_idle=$(rss_kb "$target")
in_ns "$bin/salvo" run --agents 127.0.0.1:7100 --target 127.0.0.1:7000 --workload echo --size 64 \
  --connections "$n" --source-ips 127.0.0.1-127.0.0.4 --duration 5 --warmup 1 \
  --connect-timeout 120s --no-live --json "$tmp/r.json" >"$tmp/out" 2>&1 &
run=$!
peak=$idle peak_anon=$idle_anon target_peak=$target_idle
while kill -0 "$run" 2>/dev/null; do
  r=$(rss_kb "$agent" 2>/dev/null || echo 0)
  a=$(anon_kb "$agent" 2>/dev/null || echo 0)
  t=$(rss_kb "$target" 2>/dev/null || echo 0)
  [ "${r:-0}" -gt "$peak" ] && peak=$r
  [ "${a:-0}" -gt "$peak_anon" ] && peak_anon=$a
  [ "${t:-0}" -gt "$target_peak" ] && target_peak=$t
  sleep 0.1
done
wait "$run" || true
status=$(grep -E '^status' "$tmp/out" | head -1 | cut -d' ' -f2-)
if [ ! -s "$tmp/r.json" ]; then
  cat "$tmp/out" >&2
  exit 1
fi
read -r up connect_s < <(jq -r '"\(.totals.counters.connections_established) \(.agents[0].connect_s)"' \
  "$tmp/r.json")
echo "connections: $up of $n established from 4 source addresses, ip_local_port_range $ports ports" \
  "(status: $status)"
printf 'connect phase: %.2f s (%.0f connections/s)\n' "$connect_s" "$(echo "$up / $connect_s" | bc -l)"
printf 'agent:  idle RSS %.1f MB, loaded %.1f MB: %d B per connection (anonymous memory alone: %d B)\n' \
  "$(echo "$idle/1024" | bc -l)" "$(echo "$peak/1024" | bc -l)" "$(( (peak - idle) * 1024 / n ))" \
  "$(( (peak_anon - idle_anon) * 1024 / n ))"
printf 'target: idle RSS %.1f MB, loaded %.1f MB: %d B per connection\n' \
  "$(echo "$target_idle/1024" | bc -l)" "$(echo "$target_peak/1024" | bc -l)" \
  "$(( (target_peak - target_idle) * 1024 / n ))"
