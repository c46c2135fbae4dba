#!/bin/sh
# Profiles one workload of workload.mjs with Linux perf (CPU-clock sampling, call graphs) and
# prints where the time goes, by shared object and by symbol.
#
#   bench/profile/perf.sh call|call-sync|instantiate|read|write|fib [count]
#
# Symbols of the native addon need a build that keeps them, e.g.
#   CARGO_PROFILE_RELEASE_STRIP=none CARGO_PROFILE_RELEASE_DEBUG=line-tables-only npm run build
# (RUNTIME_WASM_BENCH_PACKAGE can point at a separate checkout built that way.) Code compiled by
# wasmtime or by V8 shows up as anonymous memory (JIT code).
set -e
here="$(dirname "$0")"
out="${TMPDIR:-/tmp}/runtime-wasm-perf-$1.data"
perf record -q -F 4999 -g -o "$out" -- node "$here/workload.mjs" "$@" 2>/dev/null
echo "== by shared object (self time) =="
perf report -i "$out" --no-children --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -12
echo "== by symbol (self time) =="
perf report -i "$out" --no-children --sort dso,symbol --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -40
