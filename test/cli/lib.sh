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
    kaccel_cnf_props "$f" "" "$@"
}

# expect_rejected NAME PATTERN WHAT: the configuration $TMP/NAME.cnf is refused.
# kaccel config rejects it, and the provider refuses to load it (section not
# activated, loaded with -provider: OpenSSL 3.0 drops errors of providers
# activated from openssl.cnf); both messages hold PATTERN (WHAT names what it
# shows, e.g. "key and value").
expect_rejected() {
    if "$KACCEL_TOOL" config "$TMP/$1.cnf" >"$TMP/$1.chk" 2>&1; then
        not_ok "$1: kaccel config accepted it"
    else
        ok "$1: kaccel config rejects it"
    fi
    expect_grep "$1: kaccel config names $3" "$TMP/$1.chk" "$2"
    grep -v '^activate' "$TMP/$1.cnf" >"$TMP/$1.noact.cnf"
    if OPENSSL_CONF="$TMP/$1.noact.cnf" ossl list -providers -provider kaccel >"$TMP/$1.out" 2>&1; then
        not_ok "$1: provider loaded"
    else
        ok "$1: provider refused to load"
    fi
    expect_grep "$1: provider error names $3" "$TMP/$1.out" "$2"
}

# kaccel_cnf_props FILE PROPERTIES [KEY = VALUE ...]: the same with
# default_properties = PROPERTIES (none when empty), e.g. ?provider=kaccel to
# prefer kaccel as deployments do.
kaccel_cnf_props() {
    f=$1 props=$2
    shift 2
    {
        printf 'openssl_conf = openssl_init\n[openssl_init]\nproviders = provider_sect\n'
        [ -z "$props" ] ||
            printf 'alg_section = algorithm_sect\n[algorithm_sect]\ndefault_properties = %s\n' "$props"
        printf '[provider_sect]\ndefault = default_sect\nkaccel = kaccel_sect\n'
        printf '[default_sect]\nactivate = 1\n[kaccel_sect]\nactivate = 1\n'
        for l in "$@"; do printf '%s\n' "$l"; done
    } >"$f"
}

# expect_offloaded ALG STATS: in `kaccel stats` output STATS, ALG offloaded
# where AF_ALG is required (KACCEL_REQUIRE_AFALG=1, the guest), else run in
# kaccel's software path (no_route).
expect_offloaded() {
    if [ "${KACCEL_REQUIRE_AFALG:-0}" = 1 ]; then
        awk -v a="$1" '$1 == a && $2 > 0 { f = 1 } END { exit !f }' "$2" &&
            ok "$1 offloaded (kaccel stats)" || { not_ok "$1 not offloaded"; cat "$2"; }
    else
        expect_grep "no AF_ALG: $1 ran in kaccel's software path" "$2" "$1 .*no_route="
    fi
}

# kaccel_stats LABEL STATS ALG: one `kaccel stats STATS` run (output in
# STATS.total), parsed with builtins (process creation is slow in the guest):
# the row of ALG into off sw nr small, the io_uring line into pauses batch.
# Unless it holds exactly one process report: not ok "LABEL: ..." and 1.
kaccel_stats() {
    st_label=$1 st_file=$2 st_alg=$3
    "$KACCEL_TOOL" stats "$st_file" >"$st_file.total" 2>&1
    reports= off=0 sw=0 nr=0 small=0 pauses=0 batch=0
    set -f
    while read -r l; do
        set -- $l "" "" "" "" "" "" "" "" "" "" "" "" "" "" ""
        case "$1 $2" in *" process"*) reports=$1 ;; esac
        if [ "$1" = io_uring: ]; then pauses=${10} batch=${15}; continue; fi
        [ "$1" = "$st_alg" ] || continue
        off=$2 sw=$4
        shift 5
        for r; do
            case $r in no_route=*) nr=${r#*=} ;; small=*) small=${r#*=} ;; esac
        done
    done <"$st_file.total"
    set +f
    [ "$reports" = 1 ] && return 0
    not_ok "$st_label: ${reports:-no} process reports, want 1"; cat "$st_file.total"
    return 1
}

# openssl_procs: for a test running openssl processes in the background, each
# under timeout(1) (skips without it).  On exit, INT or TERM, those whose pids
# are in $pids or in $TMP/*/pids files are killed and waited for.
openssl_procs() {
    command -v timeout >/dev/null || { echo "skip: timeout(1) missing"; exit 77; }
    pids=
    trap kill_procs EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}
kill_procs() {
    [ -z "$pids" ] || kill $pids 2>/dev/null
    for f in "$TMP"/*/pids; do [ -f "$f" ] && kill $(cat "$f") 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$TMP"
}

# tls_opts PROTOCOL SUITE: s_server/s_client options in $opts, the version in $ver.
tls_opts() {
    case $1 in
        tls1_3) opts="-tls1_3 -ciphersuites $2" ver=TLSv1.3 ;;
        *) opts="-tls1_2 -cipher $2" ver=TLSv1.2 ;;
    esac
}

# expect_negotiated NAME CLIENT_ERR PROTOCOL SUITE: s_client -brief's report
# (its stderr, CLIENT_ERR) names the protocol and suite asked for and a
# verified certificate.
expect_negotiated() {
    tls_opts $3 $4
    pv= cs= vf=
    while read -r l; do
        case $l in
            "Protocol version: "*) pv=${l#*: } ;;
            "Ciphersuite: "*) cs=${l#*: } ;;
            "Verification: "*) vf=${l#*: } ;;
        esac
    done <"$2"
    [ "$pv $cs $vf" = "$ver $4 OK" ] && ok "$1: negotiated $pv $cs, certificate verified" ||
        { not_ok "$1: negotiated '$pv' '$cs' verification '$vf', want $ver $4 OK"; cat "$2"; }
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
