#!/bin/sh
# openssl enc / dgst / mac / speed through kaccel's DPDK backend on
# crypto_aesni_mb0 (a software PMD): every result equals the default
# provider's, and `kaccel stats -- CMD` shows the work went through DPDK
# (dpdk ops > 0), including the ASYNC path of `openssl speed -async_jobs`.
. "$(dirname "$0")/lib.sh"

command -v timeout >/dev/null || { echo "skip: timeout(1) missing"; exit 77; }
eal=$(dpdk_eal) || exit $?
kaccel_cnf "$TMP/d.cnf" "kaccel-backends = dpdk" "kaccel-dpdk-eal = $eal" \
    "kaccel-algorithms = all" "kaccel-min-offload = 0"
K="-propquery provider=kaccel"
T=120

head -c 100000 /dev/urandom >"$TMP/big"    # more than one 32 KiB op
head -c 20000 /dev/urandom >"$TMP/mid"     # one op
head -c 4097 /dev/urandom >"$TMP/odd"
head -c 100 /dev/urandom >"$TMP/small"

# kstats OUT CMD...: `kaccel stats -- CMD` into OUT; CMD's status.
kstats() {
    out=$1
    shift
    OPENSSL_CONF="$TMP/d.cnf" timeout $T "$KACCEL_TOOL" stats -- "$@" >"$out" 2>&1
}
# dpdk_ops OUT ALG: ALG's "dpdk ops" column in `kaccel stats` output (0 if absent).
dpdk_ops() {
    grep -q "offload bytes  *sw ops  *sw bytes  *dpdk ops  *dpdk bytes" "$1" || { echo 0; return; }
    awk -v a="$2" '$1 == a { n = $6 } END { print n + 0 }' "$1"
}
# expect_dpdk DESCRIPTION OUT ALG
expect_dpdk() {
    n=$(dpdk_ops "$2" "$3")
    if [ "$n" -gt 0 ]; then ok "$1 ($n dpdk ops)"; else not_ok "$1: no dpdk ops"; cat "$2"; fi
}

# 1. openssl enc, both ways, against the default provider.
for c in aes-128-cbc aes-256-cbc aes-128-ctr aes-256-ctr aes-128-ecb aes-256-ecb; do
    case $c in
        aes-128*) k=000102030405060708090a0b0c0d0e0f ;;
        *) k=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f ;;
    esac
    case $c in *ecb) iv= ;; *) iv="-iv 0f0e0d0c0b0a09080706050403020100" ;; esac
    for f in big odd small; do
        OPENSSL_CONF="$TMP/d.cnf" timeout $T $OSSL enc -$c -K $k $iv $K -in "$TMP/$f" \
            -out "$TMP/ct.k" 2>"$TMP/err" || { not_ok "enc $c $f: kaccel failed"; cat "$TMP/err"; continue; }
        OPENSSL_CONF=/dev/null ossl enc -$c -K $k $iv -in "$TMP/$f" -out "$TMP/ct.d"
        cmp -s "$TMP/ct.k" "$TMP/ct.d" && ok "enc $c $f: equals default" ||
            not_ok "enc $c $f: ciphertexts differ"
        OPENSSL_CONF="$TMP/d.cnf" timeout $T $OSSL enc -d -$c -K $k $iv $K -in "$TMP/ct.d" \
            -out "$TMP/back" 2>"$TMP/err" && cmp -s "$TMP/back" "$TMP/$f" &&
            ok "enc -d $c $f: kaccel decrypts default's" ||
            { not_ok "enc -d $c $f: kaccel cannot decrypt default's"; cat "$TMP/err"; }
    done
done

kstats "$TMP/s.enc" $OSSL enc -aes-128-cbc -K 000102030405060708090a0b0c0d0e0f -iv 00 $K \
    -in "$TMP/big" -out /dev/null && ok "kaccel stats -- enc: exit 0" || not_ok "kaccel stats -- enc failed"
expect_grep "stats: one process report" "$TMP/s.enc" "^1 process report"
expect_grep "stats: dpdk columns" "$TMP/s.enc" "dpdk ops  *dpdk bytes"
expect_dpdk "enc aes-128-cbc went through DPDK" "$TMP/s.enc" AES-128-CBC
expect_grep "stats: AES-128-CBC all bytes through DPDK" "$TMP/s.enc" \
    "^AES-128-CBC  *[0-9][0-9]*  *100016  *0  *0  *[0-9][0-9]*  *100016 "
expect_grep "stats: dpdk summary line" "$TMP/s.enc" "^dpdk: [1-9][0-9]* ops in [1-9][0-9]* enqueue bursts"

kstats "$TMP/s.dec" $OSSL enc -d -aes-128-ctr -K 000102030405060708090a0b0c0d0e0f -iv 00 $K \
    -in "$TMP/big" -out /dev/null
expect_dpdk "enc -d aes-128-ctr went through DPDK" "$TMP/s.dec" AES-128-CTR

# 2. openssl dgst: whole messages up to 32 KiB go through DPDK; longer ones
#    and SHA-3 (which aesni_mb lacks) elsewhere - the digest is the same.
for f in big mid odd small; do
    for d in sha1 sha256 sha384 sha512 sha3-256; do
        a=$(OPENSSL_CONF="$TMP/d.cnf" timeout $T $OSSL dgst -$d $K -r "$TMP/$f" 2>&1)
        b=$(OPENSSL_CONF=/dev/null ossl dgst -$d -r "$TMP/$f" 2>&1)
        [ "$a" = "$b" ] && ok "dgst $d $f" || not_ok "dgst $d $f: '$a' != '$b'"
    done
    a=$(OPENSSL_CONF="$TMP/d.cnf" timeout $T $OSSL mac $K -digest SHA256 \
        -macopt hexkey:000102030405060708090a0b0c0d0e0f -in "$TMP/$f" HMAC 2>&1)
    b=$(OPENSSL_CONF=/dev/null ossl mac -digest SHA256 \
        -macopt hexkey:000102030405060708090a0b0c0d0e0f -in "$TMP/$f" HMAC 2>&1)
    [ -n "$a" ] && [ "$a" = "$b" ] && ok "mac HMAC-SHA256 $f" || not_ok "mac HMAC-SHA256 $f: '$a' != '$b'"
done
kstats "$TMP/s.dgst" $OSSL dgst -sha256 $K "$TMP/mid"
expect_dpdk "dgst sha256 (20000 bytes) went through DPDK" "$TMP/s.dgst" SHA2-256

# 3. openssl speed with ASYNC jobs: the jobs pause after enqueueing and are
#    dequeued together.
# (-propquery before -evp: speed fetches the cipher while parsing -evp.)
if [ -n "${KACCEL_OPENSSL_PRELOAD:-}" ]; then
    # The openssl binary is not instrumented: its ASYNC fibres switch stacks
    # without ASan's annotations, which ASan reports as a bad free.  The
    # instrumented async tests (test/dpdk) cover this path under ASan.
    echo "# speed -async_jobs: not run in the sanitizer build"
else
    kstats "$TMP/s.speed" $OSSL speed -elapsed -seconds 1 $K -evp aes-128-cbc -bytes 16384 \
        -async_jobs 8 && ok "speed -async_jobs 8: exit 0" || { not_ok "speed -async_jobs 8 failed"; cat "$TMP/s.speed"; }
    expect_grep "speed reports a rate" "$TMP/s.speed" "^AES-128-CBC  *[0-9]*[1-9][0-9.]*k"
    expect_dpdk "speed aes-128-cbc went through DPDK" "$TMP/s.speed" AES-128-CBC
    if awk '/^dpdk: / { for (i = 1; i < NF; i++) if ($(i + 1) == "job" && $i > 0) f = 1 }
            END { exit !f }' "$TMP/s.speed"; then
        ok "speed: ASYNC jobs paused on DPDK"
    else
        not_ok "speed: no job pauses on DPDK"; cat "$TMP/s.speed"
    fi
    # the jobs' ops reach the device together: more than one op per enqueue burst
    if awk '/^dpdk: / { for (i = 1; i < NF; i++) if ($i == "per" && $(i + 1) == "burst),")
                            { v = $(i - 1); sub(/^\(/, "", v); f = v + 0 > 1.5 } }
            END { exit !f }' "$TMP/s.speed"; then
        ok "speed: jobs' ops enqueued in bursts ($(grep -o '([0-9.]* per burst)' "$TMP/s.speed"))"
    else
        not_ok "speed: ops enqueued one at a time"; cat "$TMP/s.speed"
    fi
fi

# 3b. -provider kaccel: openssl.cnf configures kaccel's section without
#     activating it; speed's -provider loads it with that configuration.
sed '/^\[kaccel_sect\]/{n;/^activate = 1$/d}' "$TMP/d.cnf" >"$TMP/p.cnf"
OPENSSL_CONF="$TMP/p.cnf" timeout $T "$KACCEL_TOOL" stats -- $OSSL speed -elapsed -seconds 1 \
    -provider kaccel -provider default -propquery provider=kaccel -evp aes-128-cbc \
    -bytes 16384 >"$TMP/s.prov" 2>&1 &&
    ok "speed -provider kaccel -provider default: exit 0" ||
    { not_ok "speed -provider kaccel failed"; cat "$TMP/s.prov"; }
expect_grep "speed -provider: reports a rate" "$TMP/s.prov" "^AES-128-CBC  *[0-9]*[1-9][0-9.]*k"
expect_dpdk "speed -provider: aes-128-cbc went through DPDK" "$TMP/s.prov" AES-128-CBC

# 4. KACCEL_STATS: the raw counters carry the dpdk fields and the dpdk line.
OPENSSL_CONF="$TMP/d.cnf" KACCEL_STATS="$TMP/raw" timeout $T $OSSL enc -aes-128-cbc \
    -K 000102030405060708090a0b0c0d0e0f -iv 00 $K -in "$TMP/mid" -out /dev/null
expect_grep "KACCEL_STATS: algorithm line with dpdk_ops" "$TMP/raw" "^AES-128-CBC .* dpdk_ops=[1-9]"
expect_grep "KACCEL_STATS: dpdk counters line" "$TMP/raw" \
    "^dpdk ops=[1-9][0-9]* bursts_enq=[0-9]* bursts_deq=[0-9]* burst_max=[0-9]* pauses=[0-9]* full=[0-9]* op_errors=0 qp_shared=[0-9]* timeouts=0$"
expect_grep "KACCEL_STATS: io_uring line still there" "$TMP/raw" "^io_uring requests="
# Without dpdk in kaccel-backends there is no dpdk line, and no dpdk columns.
kaccel_cnf "$TMP/a.cnf" "kaccel-backends = afalg" "kaccel-algorithms = all" "kaccel-min-offload = 0"
OPENSSL_CONF="$TMP/a.cnf" KACCEL_STATS="$TMP/raw.a" timeout $T $OSSL enc -aes-128-cbc \
    -K 000102030405060708090a0b0c0d0e0f -iv 00 $K -in "$TMP/mid" -out /dev/null
"$KACCEL_TOOL" stats "$TMP/raw.a" >"$TMP/s.a" 2>&1
if grep -q "^dpdk" "$TMP/raw.a" "$TMP/s.a" || grep -q "dpdk ops" "$TMP/s.a"; then
    not_ok "no DPDK configured: dpdk counters shown"; cat "$TMP/raw.a" "$TMP/s.a"
else
    ok "no DPDK configured: no dpdk counters line or columns"
fi

finish
