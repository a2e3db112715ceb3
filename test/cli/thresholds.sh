#!/bin/sh
# The thresholds per mode: kaccel-min-offload-async and
# kaccel-min-offload-async-algs are parsed strictly (the provider refuses a
# malformed value naming key and value, and so does kaccel config), and
# kaccel info shows the threshold of operations inside ASYNC jobs and its
# origin next to the synchronous one; without the async keys both agree.
. "$(dirname "$0")/lib.sh"

# info_row FILE ALG: ALG's row of kaccel info's routing table.
info_row() { grep "^  $2 " "$1"; }
# expect_row DESCRIPTION FILE ALG PATTERN
expect_row() {
    if info_row "$2" "$3" | grep -q -- "$4"; then ok "$1"; else not_ok "$1"; info_row "$2" "$3"; fi
}

# 1. Neither async key: the async column repeats the synchronous threshold and origin.
kaccel_cnf "$TMP/plain.cnf" "kaccel-algorithms = all" "kaccel-min-offload = 64k" \
    "kaccel-min-offload-algs = SHA2-256:1M"
OPENSSL_CONF="$TMP/plain.cnf" "$KACCEL_TOOL" info >"$TMP/plain" 2>&1
expect_grep "no async keys: summary" "$TMP/plain" \
    "min-offload  65536 bytes (inside ASYNC jobs: 65536 bytes)"
expect_grep "routing table: async columns" "$TMP/plain" "async threshold from"
expect_row "no async keys: AES-128-CBC async as synchronous" "$TMP/plain" AES-128-CBC \
    " 65536  kaccel-min-offload  *65536  kaccel-min-offload "
expect_row "no async keys: SHA2-256 async as synchronous" "$TMP/plain" SHA2-256 \
    " 1048576  kaccel-min-offload-algs  *1048576  kaccel-min-offload-algs "

# 2. Both keys: per-algorithm over global, the synchronous thresholds untouched.
kaccel_cnf "$TMP/async.cnf" "kaccel-algorithms = all" "kaccel-min-offload = 64k" \
    "kaccel-min-offload-algs = SHA2-256:1M" "kaccel-min-offload-async = 2k" \
    "kaccel-min-offload-async-algs = AES-128-CBC:0, HMAC:8k"
"$KACCEL_TOOL" config "$TMP/async.cnf" >"$TMP/async.chk" 2>&1 &&
    ok "kaccel config accepts the async keys" || { not_ok "kaccel config rejects them"; cat "$TMP/async.chk"; }
OPENSSL_CONF="$TMP/async.cnf" "$KACCEL_TOOL" info >"$TMP/async" 2>&1
expect_grep "async keys: summary" "$TMP/async" \
    "min-offload  65536 bytes (inside ASYNC jobs: 2048 bytes)"
expect_row "AES-128-CBC: 64k synchronous, 0 in jobs (async-algs)" "$TMP/async" AES-128-CBC \
    " 65536  kaccel-min-offload  *0  kaccel-min-offload-async-algs "
expect_row "SHA2-256: 1M synchronous, 2k in jobs (async)" "$TMP/async" SHA2-256 \
    " 1048576  kaccel-min-offload-algs  *2048  kaccel-min-offload-async "
expect_row "HMAC-SHA2-384: 8k in jobs (HMAC names every variant)" "$TMP/async" HMAC-SHA2-384 \
    " 65536  kaccel-min-offload  *8192  kaccel-min-offload-async-algs "

# 3. kaccel-tuned: the per-algorithm values of both keys come from kaccel tune.
kaccel_cnf "$TMP/tuned.cnf" "kaccel-algorithms = all" \
    "kaccel-min-offload-algs = AES-128-CBC:1024M" "kaccel-min-offload-async-algs = AES-128-CBC:4096" \
    "kaccel-tuned = 2025-01-02 hostx dpdk:crypto_aesni_mb0 async-jobs=16"
OPENSSL_CONF="$TMP/tuned.cnf" "$KACCEL_TOOL" info >"$TMP/tuned" 2>&1
expect_row "tuned: both origins kaccel tune" "$TMP/tuned" AES-128-CBC \
    " 1073741824  kaccel tune 2025-01-02 hostx .* 4096  kaccel tune 2025-01-02 hostx "
expect_row "tuned: others from the defaults" "$TMP/tuned" AES-256-CBC \
    " 4096  default  *4096  default "

# 4. The provider answers the async parameters.
OPENSSL_CONF=/dev/null ossl list -providers -verbose -provider kaccel >"$TMP/params" 2>&1
expect_grep "kaccel-min-offload-async gettable" "$TMP/params" "kaccel-min-offload-async"
expect_grep "kaccel-thresholds-async gettable" "$TMP/params" "kaccel-thresholds-async"

# 5. Malformed values: the provider refuses to load and kaccel config rejects
#    the file; both name key, value and reason.
bad() { # NAME PATTERN LINE
    kaccel_cnf "$TMP/$1.cnf" "$3"
    expect_rejected "$1" "$2" "key, value and reason"
}
bad async_lots 'kaccel-min-offload-async = "lots": not a byte count' \
    "kaccel-min-offload-async = lots"
bad async_neg 'kaccel-min-offload-async = "-5": not a byte count' \
    "kaccel-min-offload-async = -5"
bad async_algs_name 'kaccel-min-offload-async-algs = "AES-128-CBC:4k, NOSUCH:1": unknown algorithm "NOSUCH"' \
    "kaccel-min-offload-async-algs = AES-128-CBC:4k, NOSUCH:1"
bad async_algs_size 'kaccel-min-offload-async-algs = "SHA1:lots": "lots" is not a byte count' \
    "kaccel-min-offload-async-algs = SHA1:lots"
bad async_algs_form 'kaccel-min-offload-async-algs = "SHA1": "SHA1" is not ALGORITHM:BYTES' \
    "kaccel-min-offload-async-algs = SHA1"

finish
