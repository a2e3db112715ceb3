#!/bin/sh
# The DPDK keys are parsed strictly: `kaccel config` and the provider itself
# reject a malformed value with a message naming the key and the value, and
# reject dpdk in kaccel-backends without kaccel-dpdk-eal.  Nothing here starts
# an EAL.
. "$(dirname "$0")/lib.sh"

EAL="--no-huge --no-pci --vdev=crypto_aesni_mb0"

# ok_cnf NAME LINES...: kaccel config accepts it.
ok_cnf() {
    n=$1
    shift
    kaccel_cnf "$TMP/$n.cnf" "$@"
    "$KACCEL_TOOL" config "$TMP/$n.cnf" >"$TMP/$n.chk" 2>&1 && ok "$n: kaccel config accepts it" ||
        { not_ok "$n: kaccel config rejects it"; cat "$TMP/$n.chk"; }
}
ok_cnf valid "kaccel-backends = dpdk,afalg" "kaccel-dpdk-eal = $EAL" \
    "kaccel-dpdk-devices = crypto_qat, crypto_aesni_mb" "kaccel-dpdk-queue-pairs = 64" \
    "kaccel-dpdk-burst = 256" "kaccel-queue-depth = 128" "kaccel-dpdk-timeout = 600000"
ok_cnf all "kaccel-backends = dpdk" "kaccel-dpdk-eal = $EAL" "kaccel-dpdk-devices = all"
# OpenSSL's parser removes quotes; \" reaches kaccel as a quote.
ok_cnf quoted "kaccel-backends = dpdk" 'kaccel-dpdk-eal = --no-huge \"--vdev=crypto_null0\"'
# DPDK keys without dpdk in kaccel-backends are accepted (and unused).
ok_cnf unused "kaccel-backends = afalg" "kaccel-dpdk-burst = 8"

# bad NAME PATTERN LINES...: kaccel config and the provider reject the lines,
# naming PATTERN (key = "value").
bad() {
    n=$1 pat=$2
    shift 2
    kaccel_cnf "$TMP/$n.cnf" "$@"
    expect_rejected "$n" "$pat" "key and value"
}
bad qp0 'kaccel-dpdk-queue-pairs = "0": not a queue pair count from 1 to 64' \
    "kaccel-dpdk-queue-pairs = 0"
bad qp65 'kaccel-dpdk-queue-pairs = "65": not a queue pair count from 1 to 64' \
    "kaccel-dpdk-queue-pairs = 65"
bad qpword 'kaccel-dpdk-queue-pairs = "many"' "kaccel-dpdk-queue-pairs = many"
bad burst0 'kaccel-dpdk-burst = "0": not a burst size from 1 to 256' "kaccel-dpdk-burst = 0"
bad burst257 'kaccel-dpdk-burst = "257": not a burst size from 1 to 256' "kaccel-dpdk-burst = 257"
bad timeout0 'kaccel-dpdk-timeout = "0": not a time in milliseconds from 1 to 600000' \
    "kaccel-dpdk-timeout = 0"
bad devempty 'kaccel-dpdk-devices = "crypto_qat,,crypto_aesni_mb": empty item' \
    "kaccel-dpdk-devices = crypto_qat,,crypto_aesni_mb"
bad devmany 'kaccel-dpdk-devices = "a,b,c,d,e,f,g,h,i": too many' \
    "kaccel-dpdk-devices = a,b,c,d,e,f,g,h,i"
bad ealempty 'kaccel-dpdk-eal = "": empty EAL argument list' "kaccel-backends = dpdk" \
    "kaccel-dpdk-eal ="
bad ealquote 'kaccel-dpdk-eal = "--no-huge "--vdev=x": unterminated quote' \
    "kaccel-backends = dpdk" 'kaccel-dpdk-eal = --no-huge \"--vdev=x'
bad noeal 'kaccel-backends = "dpdk,afalg": dpdk needs kaccel-dpdk-eal' \
    "kaccel-backends = dpdk,afalg"

finish
