#!/usr/bin/env bash
# Runs every kaccel test: installs dependencies, builds a normal tree and an
# ASan+UBSan tree, runs the host tests in both, then the tests that need a
# kernel with AF_ALG inside the qemu guest (test/vm/run; ctest label "guest"),
# and the short performance check (benchmarks/ci-perf: ratios to software
# against the committed baseline).  Exits non-zero on any failure; inside the
# guest a skipped AF_ALG test is a failure.
#
#   scripts/test.sh [--host-only] [--no-deps] [--no-asan] [--no-perf]
#
# Variables: KACCEL_BUILD (default build), KACCEL_BUILD_ASAN (build-asan),
# JOBS (parallel build jobs), and test/vm/run's KACCEL_VM_* variables.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${KACCEL_BUILD:-build}
BUILD_ASAN=${KACCEL_BUILD_ASAN:-build-asan}
JOBS=${JOBS:-$(nproc)}
HOST_ONLY=0 DEPS=1 ASAN=1 PERF=1
for a in "$@"; do
    case $a in
        --host-only) HOST_ONLY=1 ;;
        --no-deps) DEPS=0 ;;
        --no-asan) ASAN=0 ;;
        --no-perf) PERF=0 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "test.sh: unknown option $a" >&2; exit 2 ;;
    esac
done

step() { printf '\n=== %s\n' "$*"; }
LOGDIR=$ROOT/$BUILD/test-logs
total_pass=0 total_fail=0 total_skip=0

# run_ctest NAME LOG [ctest args...]: runs ctest, keeps its output, adds up results
tally() {
    local log=$1 line p f n s
    line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1) || true
    [ -n "$line" ] || return 0
    f=$(sed -E 's/.* ([0-9]+) tests? failed.*/\1/' <<<"$line")
    n=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
    s=$(grep -cE '\*\*\*Skipped|\*\*\*Not Run' "$log" || true)
    p=$((n - f - s))
    total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + s))
}

if [ "$DEPS" = 1 ]; then
    step "dependencies"
    scripts/deps.sh
fi

step "build ($BUILD)"
cmake -S . -B "$BUILD" -DKACCEL_WERROR=ON
cmake --build "$BUILD" -j "$JOBS"
mkdir -p "$LOGDIR"

step "host tests ($BUILD)"
set +e
ctest --test-dir "$BUILD" -L 'unit|cli|kat|afalg|dpdk' --output-on-failure --no-tests=error \
    2>&1 | tee "$LOGDIR/host.log"
rc=${PIPESTATUS[0]}
set -e
tally "$LOGDIR/host.log"
[ "$rc" -eq 0 ] || { echo "test.sh: host tests failed" >&2; exit 1; }

step "load and fork storm (benchmarks/storm, short: DPDK, results against the default provider)"
OPENSSL_MODULES=$ROOT/$BUILD/providers OPENSSL_CONF=/dev/null \
    "$BUILD/benchmarks/storm" --threads 16 --contexts 200 --load-rounds 1 --forks 20 --seconds 120 ||
    { echo "test.sh: storm failed" >&2; exit 1; }

if [ "$PERF" = 1 ]; then
    step "performance check (benchmarks/ci-perf: DPDK ratios against the baseline)"
    KACCEL_PERF_OUT=$ROOT/$BUILD/ci-perf benchmarks/ci-perf --build "$BUILD" ||
        { echo "test.sh: performance regression (see above)" >&2; exit 1; }
fi

if [ "$ASAN" = 1 ]; then
    step "build ($BUILD_ASAN, AddressSanitizer + UndefinedBehaviorSanitizer)"
    cmake -S . -B "$BUILD_ASAN" -DKACCEL_WERROR=ON -DKACCEL_SANITIZE=ON \
        -DCMAKE_BUILD_TYPE=Debug
    cmake --build "$BUILD_ASAN" -j "$JOBS"
    step "host tests ($BUILD_ASAN)"
    set +e
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        ctest --test-dir "$BUILD_ASAN" -L 'unit|cli|kat|afalg|dpdk' --output-on-failure \
        --no-tests=error 2>&1 | tee "$LOGDIR/host-asan.log"
    rc=${PIPESTATUS[0]}
    set -e
    tally "$LOGDIR/host-asan.log"
    [ "$rc" -eq 0 ] || { echo "test.sh: sanitizer host tests failed" >&2; exit 1; }
fi

if [ "$HOST_ONLY" = 0 ]; then
    step "guest: preparing kernel and initramfs"
    test/vm/run --prepare
    step "guest tests (AF_ALG on Debian's kernel with virtio-crypto)"
    set +e
    test/vm/run env KACCEL_REQUIRE_AFALG=1 \
        ctest --test-dir "$BUILD" -L guest --output-on-failure --no-tests=error \
        2>&1 | tee "$LOGDIR/guest.log"
    rc=${PIPESTATUS[0]}
    set -e
    tally "$LOGDIR/guest.log"
    [ "$rc" -eq 0 ] || { echo "test.sh: guest tests failed (rc $rc)" >&2; exit 1; }
    if grep -qE 'Skipped|Not Run' "$LOGDIR/guest.log"; then
        echo "test.sh: a guest test was skipped; in the guest that is a failure" >&2
        exit 1
    fi
    grep -qE 'afalg\.[a-z_]+ .*Passed' "$LOGDIR/guest.log" &&
        grep -qE 'kat\.[a-z_]+ .*Passed' "$LOGDIR/guest.log" ||
        { echo "test.sh: no afalg test executed in the guest" >&2; exit 1; }
fi

step "summary"
echo "host skips are AF_ALG tests on a kernel without AF_ALG; they run in the guest"
echo "test.sh: $total_pass passed, $total_fail failed, $total_skip skipped"
