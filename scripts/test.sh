#!/usr/bin/env bash
# Runs every kaccel test: installs dependencies, builds a normal tree and an
# ASan+UBSan tree, runs the host tests in both and under valgrind memcheck,
# the threaded tests under ThreadSanitizer, the libFuzzer harnesses briefly
# (clang build), a short load and fork storm and the performance check
# (benchmarks/ci-perf: ratios to software against the committed baseline),
# then inside the qemu guest (test/vm/run) the tests that need a kernel with
# AF_ALG and kTLS (ctest labels "guest" and "e2e"), the AF_ALG fuzz runs, and
# the guest tests once more in the ASan build.  Exits non-zero on any
# failure; inside the guest a skipped test is a failure.
#
#   scripts/test.sh [--host-only] [--no-deps] [--no-asan] [--no-perf]
#                   [--no-valgrind] [--no-tsan] [--no-fuzz]
#
# Variables: KACCEL_BUILD (default build), KACCEL_BUILD_ASAN (build-asan),
# KACCEL_BUILD_TSAN (build-tsan), KACCEL_BUILD_FUZZ (build-fuzz), JOBS
# (parallel build jobs), and test/vm/run's KACCEL_VM_* variables.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${KACCEL_BUILD:-build}
BUILD_ASAN=${KACCEL_BUILD_ASAN:-build-asan}
BUILD_TSAN=${KACCEL_BUILD_TSAN:-build-tsan}
BUILD_FUZZ=${KACCEL_BUILD_FUZZ:-build-fuzz}
JOBS=${JOBS:-$(nproc)}
HOST_ONLY=0 DEPS=1 ASAN=1 PERF=1 VALGRIND=1 TSAN=1 FUZZ=1
for a in "$@"; do
    case $a in
        --host-only) HOST_ONLY=1 ;;
        --no-deps) DEPS=0 ;;
        --no-asan) ASAN=0 ;;
        --no-perf) PERF=0 ;;
        --no-valgrind) VALGRIND=0 ;;
        --no-tsan) TSAN=0 ;;
        --no-fuzz) FUZZ=0 ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
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

# run_ctest LOGNAME WHAT CMD...: runs CMD (a ctest), keeps and tallies its
# output in $LOGDIR/LOGNAME.log; fails the run with WHAT when CMD fails.
run_ctest() {
    local log=$LOGDIR/$1.log what=$2 rc
    shift 2
    set +e
    "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    set -e
    tally "$log"
    [ "$rc" -eq 0 ] || { echo "test.sh: $what failed (rc $rc; log $log)" >&2; exit 1; }
}

# no_skips LOGNAME WHAT: inside the guest a skipped test is a failure.
no_skips() {
    if grep -qE 'Skipped|Not Run' "$LOGDIR/$1.log"; then
        echo "test.sh: $2: a test was skipped; in the guest that is a failure" >&2
        exit 1
    fi
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
run_ctest host "host tests" \
    ctest --test-dir "$BUILD" -L 'unit|cli|kat|afalg|dpdk' --output-on-failure --no-tests=error

if [ "$VALGRIND" = 1 ]; then
    # DPDK tests run under ASan/LSan instead (valgrind makes them time out);
    # the cli tests' openssl processes too (minutes each).  AES-GCM's
    # PCLMULQDQ code is switched off: valgrind reports OpenSSL's own tag
    # computation as uninitialised with or without kaccel.
    step "host tests under valgrind memcheck ($BUILD)"
    run_ctest valgrind "valgrind ($BUILD/Testing/Temporary/MemoryChecker.*.log)" \
        env OPENSSL_ia32cap='~0x200000000' ctest --test-dir "$BUILD" -T memcheck \
        -R '^(unit|kat|afalg)\.|^cli\.provider_load$' -E '^kat\.faults$' -j "$JOBS" \
        --output-on-failure --no-tests=error
fi

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
    run_ctest host-asan "sanitizer host tests" \
        env ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}" \
        UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
        ctest --test-dir "$BUILD_ASAN" -L 'unit|cli|kat|afalg|dpdk' --output-on-failure \
        --no-tests=error
fi

if [ "$TSAN" = 1 ]; then
    step "build ($BUILD_TSAN, ThreadSanitizer)"
    cmake -S . -B "$BUILD_TSAN" -DKACCEL_WERROR=ON -DKACCEL_TSAN=ON -DCMAKE_BUILD_TYPE=Debug
    cmake --build "$BUILD_TSAN" -j "$JOBS"
    step "threaded tests ($BUILD_TSAN)"
    # KACTEST_CASES: of the tests made of cases, only the threaded ones
    run_ctest tsan "ThreadSanitizer tests" \
        env TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=0:second_deadlock_stack=1}" \
        KACTEST_CASES=threads,churn,async,callback,queue_depth,up_thread,fork_after,fork_before,afalg,dpdk \
        ctest --test-dir "$BUILD_TSAN" -L 'unit|kat|afalg|dpdk' -LE cli -E '^dpdk\.faults\.' \
        -j "$JOBS" --output-on-failure --no-tests=error
fi

if [ "$FUZZ" = 1 ]; then
    step "build ($BUILD_FUZZ: clang, libFuzzer, ASan + UBSan)"
    CC=clang cmake -S . -B "$BUILD_FUZZ" -DKACCEL_FUZZ=ON -DKACCEL_SANITIZE=ON -DKACCEL_WERROR=ON
    cmake --build "$BUILD_FUZZ" -j "$JOBS" --target fuzz
    step "fuzzing, short runs ($BUILD_FUZZ; differential and parameters, software and DPDK paths)"
    run_ctest fuzz "fuzz runs" \
        ctest --test-dir "$BUILD_FUZZ" -L fuzz -LE guest-fuzz --output-on-failure --no-tests=error
fi

if [ "$HOST_ONLY" = 0 ]; then
    step "guest: preparing kernel and initramfs"
    test/vm/run --prepare
    step "guest tests (AF_ALG on Debian's kernel with virtio-crypto; nginx, kTLS, HAProxy)"
    run_ctest guest "guest tests" test/vm/run env KACCEL_REQUIRE_AFALG=1 \
        ctest --test-dir "$BUILD" -L 'guest|e2e' --output-on-failure --no-tests=error
    no_skips guest "guest tests"
    for l in afalg kat e2e; do
        grep -qE "$l\.[a-z_]+ .*Passed" "$LOGDIR/guest.log" ||
            { echo "test.sh: no $l test executed in the guest" >&2; exit 1; }
    done
    if [ "$FUZZ" = 1 ]; then
        step "guest fuzzing, short runs (AF_ALG paths)"
        run_ctest guest-fuzz "guest fuzz runs" test/vm/run env KACCEL_REQUIRE_AFALG=1 \
            ctest --test-dir "$BUILD_FUZZ" -L guest-fuzz --output-on-failure --no-tests=error
        no_skips guest-fuzz "guest fuzz runs"
    fi
    if [ "$ASAN" = 1 ]; then
        # cli and e2e drive uninstrumented openssl/nginx processes (minutes
        # each under emulation); kat.faults walks one case here.
        step "guest tests under ASan+UBSan ($BUILD_ASAN)"
        run_ctest guest-asan "sanitizer guest tests" \
            env ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}" \
            UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
            test/vm/run --timeout 1500 env KACCEL_REQUIRE_AFALG=1 \
            KACCEL_TEST_FAULTS_ONLY='AES-128-CBC async' \
            ctest --test-dir "$BUILD_ASAN" -L guest -E '^(cli|e2e)\.' --output-on-failure \
            --no-tests=error
        no_skips guest-asan "sanitizer guest tests"
    fi
fi

step "summary"
echo "host skips are AF_ALG tests on a kernel without AF_ALG; they run in the guest"
echo "test.sh: $total_pass passed, $total_fail failed, $total_skip skipped"
