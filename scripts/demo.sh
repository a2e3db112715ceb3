#!/usr/bin/env bash
# kaccel's main job: show what offload buys on this machine.  Installs what it
# needs, builds, then measures side by side against OpenSSL's software path:
#  - on the host, the DPDK backend (crypto_aesni_mb, direct queue access);
#  - in a qemu guest running Debian's kernel with a virtio-crypto device, the
#    AF_ALG backend next to OpenSSL's afalg engine and a raw io_uring loop.
# Prints the tables (medians, ratios to software measured in the same run)
# and where the CSV/JSON files and plots are.  About 5-10 minutes.
#
#   scripts/demo.sh [--no-deps] [--host-only]
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${KACCEL_BUILD:-build}
DEPS=1 HOST_ONLY=0
for a in "$@"; do
    case $a in
        --no-deps) DEPS=0 ;;
        --host-only) HOST_ONLY=1 ;;
        *) echo "usage: $0 [--no-deps] [--host-only]" >&2; exit 2 ;;
    esac
done
[ "$DEPS" = 0 ] || scripts/deps.sh

echo "=== build"
cmake -S . -B "$BUILD" >/dev/null
cmake --build "$BUILD" -j "$(nproc)" >/dev/null
echo "built $BUILD/providers/kaccel.so, $BUILD/src/kaccel and the benchmark programs"
OUT=benchmarks/out/demo
mkdir -p "$OUT"

if [ -x "$BUILD/benchmarks/raw_dpdk" ]; then
    echo
    echo "=== this machine: the DPDK backend (crypto_aesni_mb PMD, direct queue access)"
    benchmarks/kaccel-bench --quick --backend dpdk --build "$BUILD" --out "$OUT/dpdk"
    echo
    echo "--- where each algorithm goes with that configuration"
    OPENSSL_MODULES=$PWD/$BUILD/providers OPENSSL_CONF=$PWD/$OUT/dpdk/kaccel.cnf \
        "$BUILD/src/kaccel" info | sed -n '/^DPDK/,$p' | grep -E '^DPDK|^  [a-z]|^    |^routing|dpdk:' \
        | head -40
else
    echo
    echo "=== this machine: kaccel was built without libdpdk: no DPDK backend"
fi

if [ "$HOST_ONLY" = 0 ]; then
    echo
    echo "=== Debian's kernel in a qemu guest with a virtio-crypto device: the AF_ALG backend"
    test/vm/run --prepare >/dev/null
    # The guest CPU has no AES instructions, so the kernel's plain cbc(aes) -
    # which OpenSSL's afalg engine binds - is the virtio-crypto device, as for
    # kaccel (which binds the hardware driver by name).  The plots are drawn
    # on the host afterwards: gnuplot under emulation takes minutes.
    KACCEL_VM_CPU=max,aes=off test/vm/run env OPENSSL_MODULES="$PWD/$BUILD/providers" \
        OPENSSL_CONF="$PWD/examples/openssl.cnf" sh -c "
            '$BUILD/src/kaccel' selftest --bytes 4096 &&
            echo &&
            benchmarks/kaccel-bench --quick --backend afalg --build '$BUILD' \
                --sizes 4096,16384 --no-plots --out '$OUT/afalg'
        "
    benchmarks/kaccel-bench --plot-only "$OUT/afalg"
fi
echo
echo "results: $OUT/*/results.{csv,json}, plots $OUT/*/*.{png,svg}"
