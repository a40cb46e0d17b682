# Sourced by the bench scripts: a private directory in $tmp, a cleanup on exit that stops every
# process whose pid was added to the pids array and removes $tmp, and a wait for port files.
tmp=$(mktemp -d /tmp/salvo-bench.XXXXXX)
pids=()
bench_cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap bench_cleanup EXIT
# Waits (10 s at most) for a server's port file and prints the port.
wait_port_file() {
  for _ in $(seq 1 1000); do [ -s "$1" ] && { cat "$1"; return; }; sleep 0.01; done
  echo "bench: $1 never appeared" >&2; exit 1
}
