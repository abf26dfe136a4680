#!/bin/sh
# Shim and shell-mode overhead, measured with hyperfine against the direct route.
# Budget (DESIGN.md): shim within 1 ms of a direct exec; `interlock -c` within 1.5 ms
# of `bash -c`.
#
#   benches/overhead.sh [BINARY]   (default: builds and uses target/release/interlock)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v hyperfine >/dev/null 2>&1; then
  echo "hyperfine is not installed; trying apt-get install -y hyperfine" >&2
  apt-get install -y hyperfine >/dev/null || { echo "install hyperfine and re-run" >&2; exit 1; }
fi
bin=${1:-}
if [ -z "$bin" ]; then
  (cd "$here" && cargo build --release --locked)
  bin=${CARGO_TARGET_DIR:-$here/target}/release/interlock
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/shims" "$tmp/real"
printf '#!/bin/sh\nexit 0\n' > "$tmp/real/kubectl"
chmod +x "$tmp/real/kubectl"
ln -s "$bin" "$tmp/shims/kubectl"
export INTERLOCK_SHIMS_DIR="$tmp/shims"
export PATH="$tmp/shims:$tmp/real:$PATH"

hyperfine -N --warmup 20 --runs 300 --export-json "$tmp/shim.json" \
  -n 'stub direct' "$tmp/real/kubectl get pods" \
  -n 'stub via shim' "$tmp/shims/kubectl get pods"
hyperfine -N --warmup 20 --runs 300 --export-json "$tmp/shell.json" \
  -n 'bash -c true' "bash -c true" \
  -n 'interlock -c true' "$bin -c true"

# The budgets are about medians; hyperfine prints means, so read the medians back.
medians() {
  tr ',' '\n' < "$1" | awk -F: '
    /"command"/ { sub(/^ *"/, "", $2); sub(/"$/, "", $2); name = $2 }
    /"median"/ { printf "  %-20s median %.2f ms\n", name, $2 * 1000 }'
}
echo "medians:"
medians "$tmp/shim.json"
medians "$tmp/shell.json"
