#!/usr/bin/env bash
# kaccel's main job at this stage: build, then show on Debian's own kernel (in a
# qemu guest with a virtio-crypto accelerator) which kernel drivers back the
# algorithms kaccel offloads, and encrypt through the accelerator, checking
# every byte against OpenSSL.
#
#   scripts/demo.sh [--no-deps]
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${KACCEL_BUILD:-build}
[ "${1:-}" = "--no-deps" ] || scripts/deps.sh

echo "=== build"
cmake -S . -B "$BUILD" >/dev/null
cmake --build "$BUILD" -j "$(nproc)" >/dev/null
echo "built $BUILD/providers/kaccel.so and $BUILD/src/kaccel"

echo
echo "=== this machine"
OPENSSL_MODULES=$PWD/$BUILD/providers OPENSSL_CONF=$PWD/examples/openssl.cnf \
    "$BUILD/src/kaccel" info

echo
echo "=== Debian's kernel in a qemu guest with a virtio-crypto device"
test/vm/run --prepare >/dev/null
test/vm/run env OPENSSL_MODULES="$PWD/$BUILD/providers" OPENSSL_CONF="$PWD/examples/openssl.cnf" \
    sh -c "
        '$BUILD/src/kaccel' info
        echo
        echo '--- AES through the hardware drivers kaccel would bind (4 KiB, checked against OpenSSL)'
        '$BUILD/src/kaccel' selftest --bytes 4096
        echo
        echo '--- the same through every kernel driver, software ones included'
        '$BUILD/src/kaccel' selftest --any --bytes 4096
    "
