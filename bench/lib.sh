# Sourced by the bench scripts: a private directory in $tmp, and a cleanup on exit that stops
# every process whose pid was added to the pids array and removes $tmp.
tmp=$(mktemp -d /tmp/salvo-bench.XXXXXX)
pids=()
bench_cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap bench_cleanup EXIT
