# Shared helpers for the cli tests (POSIX sh).
set -u
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
passes=0

# OSSL: the openssl command, with the sanitizer runtimes preloaded in a
# sanitizer build (the openssl binary itself is not instrumented).
if [ -n "${KACCEL_OPENSSL_PRELOAD:-}" ]; then
    OSSL="env LD_PRELOAD=$KACCEL_OPENSSL_PRELOAD ASAN_OPTIONS=detect_leaks=0 openssl"
else
    OSSL=openssl
fi
ossl() { $OSSL "$@"; }

ok() { passes=$((passes + 1)); echo "ok - $*"; }
not_ok() { fails=$((fails + 1)); echo "not ok - $*"; }

# expect_grep DESCRIPTION FILE PATTERN
expect_grep() {
    if grep -q -- "$3" "$2"; then ok "$1"; else not_ok "$1"; echo "--- $2:"; cat "$2"; fi
}

finish() {
    echo "$passes passed, $fails failed"
    [ "$fails" -eq 0 ]
}

# kaccel_cnf FILE [KEY = VALUE ...]: an openssl.cnf loading the default provider
# and kaccel with the given kaccel lines.
kaccel_cnf() {
    f=$1
    shift
    {
        printf 'openssl_conf = openssl_init\n[openssl_init]\nproviders = provider_sect\n'
        printf '[provider_sect]\ndefault = default_sect\nkaccel = kaccel_sect\n'
        printf '[default_sect]\nactivate = 1\n[kaccel_sect]\nactivate = 1\n'
        for l in "$@"; do printf '%s\n' "$l"; done
    } >"$f"
}

# dpdk_eal: the EAL arguments of the DPDK tests' device, crypto_aesni_mb0 (the
# Intel multi-buffer software PMD, loaded from $KACCEL_DPDK_PMD_DIR with -d).
# Exits 77 (skip) when the PMD is absent.
dpdk_eal() {
    pmd=${KACCEL_DPDK_PMD_DIR:-}/librte_crypto_ipsec_mb.so
    if [ -z "${KACCEL_DPDK_PMD_DIR:-}" ] || [ ! -r "$pmd" ]; then
        echo "skip: no DPDK PMD at '$pmd' (KACCEL_DPDK_PMD_DIR)" >&2
        exit 77
    fi
    echo "--no-huge --no-pci --no-shconf -m 256 -d $pmd --vdev=crypto_aesni_mb0"
}
