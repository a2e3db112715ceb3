#!/usr/bin/env bash
# Installs what kaccel needs on Debian 12 (idempotent): build tools, libraries,
# the test frameworks and the qemu guest rig.  Runs apt-get update before
# installing anything missing; does nothing when everything is present.
set -euo pipefail

PKGS=(
  # build
  build-essential cmake pkg-config libssl-dev openssl liburing-dev go-md2man
  # DPDK backend (cryptodev, software PMDs for the host tests)
  libdpdk-dev dpdk
  # tests, memory and thread checkers, fuzzing (clang's libFuzzer runtime)
  libcmocka-dev libkcapi-dev valgrind clang libclang-rt-14-dev
  # deployment tests (test/e2e) and benchmarks/tls-load
  nginx haproxy curl
  # benchmarks (kaccel-bench, compare) and their plots
  python3 strace gnuplot-nox
  # guest rig (test/vm/run)
  qemu-system-x86 busybox-static cpio kmod
)

missing=()
for p in "${PKGS[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] ||
        missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#PKGS[@]} packages present"
    exit 0
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
fi
echo "deps: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
