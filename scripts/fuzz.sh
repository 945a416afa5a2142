#!/usr/bin/env bash
# npm run fuzz [-- libFuzzer options]: the fast path under libFuzzer with
# AddressSanitizer and UndefinedBehaviorSanitizer (test/fuzz/fastpath_fuzz.c).
# Builds the harness with clang from the dataplane sources, writes the seed
# corpus from the packet fixtures' builders (test/fuzz/seeds.ts), replays the
# kept crash inputs (test/fuzz/regressions/), and runs FUZZ_RUNS frames
# (default 10,000,000). Prints frames, coverage and crashes; exits non-zero
# on a crash, whose input is left in build/fuzz/crashes/.
# Needs npm run build first (the seed generator is compiled TypeScript).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

OUT=build/fuzz
BIN="$OUT/fastpath_fuzz"
RUNS="${FUZZ_RUNS:-10000000}"
CORPUS="${FUZZ_CORPUS:-$OUT/corpus}"
mkdir -p "$OUT/seeds" "$OUT/crashes" "$CORPUS"

command -v clang >/dev/null || { echo "fuzz: clang not found (apt-get install clang libclang-rt-14-dev; scripts/setup.sh)" >&2; exit 1; }
mapfile -t SRCS < <(ls native/eal/*.c native/port/*.c native/fastpath/*.c native/tcp/*.c native/session/*.c native/sched/*.c \
  native/cfg/*.c native/stats/*.c native/sync/*.c)
if [ ! -x "$BIN" ] || [ -n "$(find native test/fuzz/fastpath_fuzz.c -newer "$BIN" -name '*.[ch]' -print -quit)" ]; then
  echo "fuzz: building $BIN (clang, -fsanitize=fuzzer,address,undefined)"
  # shellcheck disable=SC2046
  clang -std=gnu11 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Wno-unused-command-line-argument -Inative/include $(pkg-config --cflags libdpdk) \
    -o "$BIN" test/fuzz/fastpath_fuzz.c "${SRCS[@]}" $(pkg-config --libs libdpdk) -lrte_net_ring
fi
node dist/test/fuzz/seeds.js "$OUT/seeds"

# ASan: DPDK maps its own memory; leaks of the long-lived dataplane at exit
# are not findings. UBSan: any report is fatal (-fno-sanitize-recover).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# Kept crash inputs (each fixed; replayed first, every run).
REGRESSIONS=()
[ -d test/fuzz/regressions ] && REGRESSIONS=(test/fuzz/regressions)
LOG="$OUT/last.log"
set +e
"$BIN" -runs="$RUNS" -max_len=2000 -artifact_prefix="$OUT/crashes/" -print_final_stats=1 "$@" \
  "$CORPUS" "$OUT/seeds" "${REGRESSIONS[@]}" > "$LOG" 2>&1
rc=$?
set -e
frames=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$LOG" | awk '{print $2}' | tail -1)
cov=$(grep -o 'cov: [0-9]*' "$LOG" | tail -1 | awk '{print $2}')
ft=$(grep -o 'ft: [0-9]*' "$LOG" | tail -1 | awk '{print $2}')
crashes=$(grep -c -E '^==[0-9]+==ERROR|runtime error:|deadly signal' "$LOG" || true)
echo "fuzz: frames ${frames:-0}, coverage ${cov:-0} edges (${ft:-0} features), crashes ${crashes}, exit ${rc}"
if [ "$rc" -ne 0 ]; then
  grep -E -A30 '^==[0-9]+==ERROR|runtime error:|deadly signal' "$LOG" | head -60 >&2
  echo "fuzz: the crashing input is in $OUT/crashes/ (keep it in test/fuzz/regressions/ with the fix)" >&2
fi
exit "$rc"
