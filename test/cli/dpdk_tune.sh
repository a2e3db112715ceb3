#!/bin/sh
# kaccel tune on the DPDK backend (crypto_aesni_mb0, a software PMD) measures
# synchronous calls and calls inside ASYNC jobs and writes both
# kaccel-min-offload-algs and kaccel-min-offload-async-algs; kaccel info then
# shows both as coming from kaccel tune.  And the two thresholds are honoured:
# with kaccel-min-offload = 1024M and kaccel-min-offload-async = 0 a
# synchronous operation runs in software and one inside an ASYNC job (openssl
# speed -async_jobs) goes through DPDK, and the reverse.
. "$(dirname "$0")/lib.sh"

command -v timeout >/dev/null || { echo "skip: timeout(1) missing"; exit 77; }
eal=$(dpdk_eal) || exit $?
T=120
# The user's thresholds: tune must measure offload whatever they say.
kaccel_cnf "$TMP/d.cnf" "kaccel-backends = dpdk" "kaccel-dpdk-eal = $eal" \
    "kaccel-algorithms = all" "kaccel-min-offload = 1024M" "kaccel-min-offload-async = 1024M" \
    "kaccel-min-offload-async-algs = AES-128-CBC:1024M"
algs=AES-128-CBC,SHA2-256

# bytes VALUE: a snippet's byte count (N or NM) in bytes
bytes() { case $1 in *M) echo $((${1%M} * 1048576)) ;; *) echo "$1" ;; esac; }
# snippet_value FILE KEY ALG: ALG's value in the snippet's KEY line, in bytes
snippet_value() {
    v=$(sed -n "s/^$2 = //p" "$1" | tr ',' '\n' | sed -n "s/^ *$3:\([0-9]*M*\) *$/\1/p")
    [ -n "$v" ] && bytes "$v"
}

# 1. tune with 4 jobs, written to a file.
# (stderr apart: a sanitizer's notes would break the table's rows)
timeout $T "$KACCEL_TOOL" tune --config "$TMP/d.cnf" --algs $algs --ms 5 --repeats 1 --jobs 4 \
    --out "$TMP/snip" >"$TMP/tune" 2>"$TMP/tune.err" && ok "tune --jobs 4: exit 0" ||
    { not_ok "tune --jobs 4 failed"; cat "$TMP/tune" "$TMP/tune.err"; }
cat "$TMP/tune" "$TMP/snip"
expect_grep "tune: AES-128-CBC row on the device" "$TMP/tune" "^AES-128-CBC  *dpdk:crypto_aesni_mb0 "
expect_grep "tune: a row for the ASYNC jobs" "$TMP/tune" "^  in 4 ASYNC jobs  *[0-9]"
# offloaded at 4 KiB in both modes despite the user's 1024M (the 4096 column)
if awk '/^AES-128-CBC / { s = $9 } /^  in 4 ASYNC jobs/ && !a { a = $11 }
        END { exit !(s != "sw" && s + 0 > 0 && a != "sw" && a + 0 > 0) }' "$TMP/tune"; then
    ok "tune: measured offload at 4096 bytes in both modes whatever the user's thresholds"
else
    not_ok "tune: 4096 bytes not measured offloaded"
fi
expect_grep "snippet: kaccel-min-offload-algs" "$TMP/snip" \
    "^kaccel-min-offload-algs = AES-128-CBC:[0-9][0-9]*M*, SHA2-256:[0-9][0-9]*M*$"
expect_grep "snippet: kaccel-min-offload-async-algs" "$TMP/snip" \
    "^kaccel-min-offload-async-algs = AES-128-CBC:[0-9][0-9]*M*, SHA2-256:[0-9][0-9]*M*$"
expect_grep "snippet: kaccel-tuned with the job count" "$TMP/snip" \
    "^kaccel-tuned = [0-9-]* .* dpdk:crypto_aesni_mb0 async-jobs=4$"

# 2. The snippet in the configuration: valid, and kaccel info shows its values
#    for both modes with "kaccel tune" as their origin.
grep -v '^kaccel-min-offload' "$TMP/d.cnf" >"$TMP/t.cnf"
grep -v '^#' "$TMP/snip" >>"$TMP/t.cnf"
"$KACCEL_TOOL" config "$TMP/t.cnf" >"$TMP/t.chk" 2>&1 && ok "snippet: kaccel config accepts it" ||
    { not_ok "snippet: kaccel config rejects it"; cat "$TMP/t.chk"; }
OPENSSL_CONF="$TMP/t.cnf" timeout $T "$KACCEL_TOOL" info >"$TMP/t.info" 2>&1
for a in AES-128-CBC SHA2-256; do
    s=$(snippet_value "$TMP/snip" kaccel-min-offload-algs $a)
    y=$(snippet_value "$TMP/snip" kaccel-min-offload-async-algs $a)
    expect_grep "info: $a $s synchronous, $y in jobs, both from kaccel tune" "$TMP/t.info" \
        "^  $a  *yes  *dpdk:crypto_aesni_mb0  *$s  kaccel tune .* $y  kaccel tune .*async-jobs=4"
done

# 3. --jobs 0: synchronous only; a job count out of range is refused.
timeout $T "$KACCEL_TOOL" tune --config "$TMP/d.cnf" --algs AES-128-CBC --ms 5 --repeats 1 \
    --jobs 0 >"$TMP/tune0" 2>&1 && ok "tune --jobs 0: exit 0" || { not_ok "tune --jobs 0 failed"; cat "$TMP/tune0"; }
expect_grep "tune --jobs 0: synchronous line" "$TMP/tune0" "^kaccel-min-offload-algs = AES-128-CBC:"
if grep -q "ASYNC jobs\|^kaccel-min-offload-async-algs\|async-jobs" "$TMP/tune0"; then
    not_ok "tune --jobs 0: async measured or written"; cat "$TMP/tune0"
else
    ok "tune --jobs 0: no async row or line"
fi
"$KACCEL_TOOL" tune --config "$TMP/d.cnf" --jobs 65 >"$TMP/tune65" 2>&1
[ $? -eq 2 ] && ok "tune --jobs 65: usage error" || not_ok "tune --jobs 65 accepted"

# 4. The thresholds per mode are honoured.
big=$TMP/big
head -c 100000 /dev/urandom >"$big"
K="-propquery provider=kaccel"
# run_case CNF LABEL CMD...: `kaccel stats -- CMD`; AES-128-CBC's dpdk ops and small in $dp $sm
run_case() {
    c=$1 l=$2
    shift 2
    OPENSSL_CONF="$c" timeout $T "$KACCEL_TOOL" stats -- "$@" >"$TMP/$l" 2>&1 ||
        { not_ok "$l: command failed"; cat "$TMP/$l"; }
    dp=$(awk '$1 == "AES-128-CBC" { n = $6 } END { print n + 0 }' "$TMP/$l")
    sm=$(awk '$1 == "AES-128-CBC" { for (i = 8; i <= NF; i++) if ($i ~ /^small=/) n = substr($i, 7) }
              END { print n + 0 }' "$TMP/$l")
}
enc() { run_case "$1" "$2" $OSSL enc -aes-128-cbc -K 000102030405060708090a0b0c0d0e0f \
            -iv 0f0e0d0c0b0a09080706050403020100 $K -in "$big" -out /dev/null; }
speed() { run_case "$1" "$2" $OSSL speed -elapsed -seconds 1 $K -evp aes-128-cbc -bytes 16384 \
              -async_jobs 4; }

kaccel_cnf "$TMP/a.cnf" "kaccel-backends = dpdk" "kaccel-dpdk-eal = $eal" \
    "kaccel-algorithms = all" "kaccel-min-offload = 1024M" "kaccel-min-offload-async = 0"
kaccel_cnf "$TMP/s.cnf" "kaccel-backends = dpdk" "kaccel-dpdk-eal = $eal" \
    "kaccel-algorithms = all" "kaccel-min-offload = 0" "kaccel-min-offload-async = 1024M"
enc "$TMP/a.cnf" a.enc
[ "$dp" -eq 0 ] && [ "$sm" -gt 0 ] && ok "sync 1024M, async 0: enc in software (small=$sm)" ||
    { not_ok "sync 1024M, async 0: enc: dpdk ops $dp, small $sm"; cat "$TMP/a.enc"; }
enc "$TMP/s.cnf" s.enc
[ "$dp" -gt 0 ] && [ "$sm" -eq 0 ] && ok "sync 0, async 1024M: enc through DPDK ($dp ops)" ||
    { not_ok "sync 0, async 1024M: enc: dpdk ops $dp, small $sm"; cat "$TMP/s.enc"; }
if [ -n "${KACCEL_OPENSSL_PRELOAD:-}" ]; then
    # As in dpdk_ops.sh: the uninstrumented openssl's ASYNC fibres upset ASan;
    # test/dpdk/test_dpdk_route.c covers the jobs in the sanitizer build.
    echo "# speed -async_jobs: not run in the sanitizer build"
else
    speed "$TMP/a.cnf" a.speed
    [ "$dp" -gt 0 ] && [ "$sm" -eq 0 ] &&
        ok "sync 1024M, async 0: speed -async_jobs through DPDK ($dp ops)" ||
        { not_ok "sync 1024M, async 0: speed -async_jobs: dpdk ops $dp, small $sm"; cat "$TMP/a.speed"; }
    speed "$TMP/s.cnf" s.speed
    [ "$dp" -eq 0 ] && [ "$sm" -gt 0 ] &&
        ok "sync 0, async 1024M: speed -async_jobs in software (small=$sm)" ||
        { not_ok "sync 0, async 1024M: speed -async_jobs: dpdk ops $dp, small $sm"; cat "$TMP/s.speed"; }
fi

finish
