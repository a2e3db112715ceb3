#!/bin/sh
# Stock nginx (Debian's package) serving TLS 1.2 and 1.3 with kaccel loaded
# from openssl.cnf: examples/nginx.conf and examples/openssl.cnf (made fit
# for a test by e2e_nginx_conf), curl (without kaccel) as the client.
#
# Two nginx instances, each with the example's TLS 1.2/1.3 server (curl gets
# TLS 1.3 TLS_AES_256_GCM_SHA384) and four TLS 1.2 servers of one suite each:
#   ECDHE-RSA-AES128-SHA256 (encrypt-then-MAC, as curl and nginx agree),
#   ECDHE-RSA-AES256-SHA384 with encrypt-then-MAC refused by nginx,
#   ECDHE-RSA-AES128-GCM-SHA256, ECDHE-RSA-CHACHA20-POLY1305.
# "hw" uses examples/openssl.cnf as shipped: hardware drivers only, in the
#   guest AES-CBC on virtio-crypto; AES-GCM and ChaCha20-Poly1305 are not
#   kaccel's there (no accelerator offers them: the default provider's).
# "any" adds kaccel-afalg-drivers = any (the kernel's software AEAD drivers
#   too), so the GCM and ChaCha20-Poly1305 records are offloaded as well.
#
# Phase 1 fetches only files whose records stay below kaccel-min-offload
# (4096); then nginx -s reload, and the old workers' counters (written as
# they exit) must show no offload at all and records in software as "small".
# Phase 2 fetches 5 KB, 100 KB and 256 KB files and uploads 256 KB (PUT,
# stored by nginx's dav module: the client's records decrypted by kaccel);
# the new workers' counters must show the records offloaded, per algorithm.
# Every transfer's bytes are checked (sha256), the suite of every request
# (access log), and the error logs.
. "$(dirname "$0")/lib.sh"

e2e_require nginx
e2e_www

base=$((20000 + ($$ % 100) * 20))
SMALL="s0 s1 s2 s3"
BIG="b1 b2 b3"

# ports BASE: an instance's ports: the example's two, then one per suite
ports() {
    P443=$1 P8443=$(($1 + 1)) PCBC=$(($1 + 2)) PMTE=$(($1 + 3)) PGCM=$(($1 + 4)) PCHA=$(($1 + 5))
}

# extra NAME: the test's servers of instance NAME (its ports set)
extra() {
    e2e_write "$TMP/$1.extra.conf" <<EOF
server {
    listen 127.0.0.1:$PCBC ssl;
    root $TMP/www;
    ssl_protocols TLSv1.2;
    ssl_ciphers ECDHE-RSA-AES128-SHA256;
    location ~ \.g\.up\$ {
        root $TMP/big;
        dav_methods PUT;
        client_max_body_size 4m;
    }
}
server {
    listen 127.0.0.1:$PMTE ssl;
    root $TMP/www;
    ssl_protocols TLSv1.2;
    ssl_ciphers ECDHE-RSA-AES256-SHA384;
    ssl_conf_command Options -EncryptThenMac;
}
server {
    listen 127.0.0.1:$PGCM ssl;
    root $TMP/www;
    ssl_protocols TLSv1.2;
    ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256;
}
server {
    listen 127.0.0.1:$PCHA ssl;
    root $TMP/www;
    ssl_protocols TLSv1.2;
    ssl_ciphers ECDHE-RSA-CHACHA20-POLY1305;
}
EOF
}

mkdir "$TMP/big"                # where nginx stores the uploads too
chmod 777 "$TMP/big"
# the example's openssl.cnf, and the same with any AF_ALG driver
{
    while IFS= read -r l; do printf '%s\n' "$l"; done <"$EX/openssl.cnf"
    echo "kaccel-afalg-drivers = any"
} >"$TMP/any.cnf"
for inst in hw any; do
    if [ $inst = hw ]; then ports $base; else ports $((base + 10)); fi
    extra $inst
    e2e_nginx_conf $inst "$TMP/$inst.extra.conf"
    [ $inst = hw ] && cnf=$EX/openssl.cnf || cnf=$TMP/any.cnf
    e2e_nginx_start $inst "$cnf"
    eval "ports_$inst='$P443 $PCBC $PMTE $PGCM $PCHA'"
done

# urls INSTANCE FILE...: every file from every port of the instance
urls() {
    eval "ps=\$ports_$1"
    shift
    for p in $ps; do
        for f; do echo "https://127.0.0.1:$p/$f"; done
    done
}

# workers PHASE: the workers of both instances now, in $w_INSTANCE_PHASE
workers() {
    for inst in hw any; do
        read -r mp <"$TMP/$inst.pid"
        e2e_workers $mp
        eval "w_${inst}_$1='$v'"
    done
}

e2e_t "servers starting"
e2e_nginx_up hw any

# ---- phase 1: small files only ------------------------------------------------
e2e_t "servers up"
e2e_fetch small $(urls hw $SMALL) $(urls any $SMALL)
workers 1
e2e_nginx_signal hw HUP
e2e_nginx_signal any HUP
# the old workers exit (and write their counters) once their connections close
set -- $w_hw_1 $w_any_1
i=0 alive=1
while [ $alive = 1 ] && [ $i -lt $((E2E_T * 4)) ]; do
    alive=0
    for p; do [ -d /proc/$p ] && alive=1; done
    [ $alive = 0 ] || { sleep 0.25; i=$((i + 1)); }
done
e2e_expect "phase 1: the $# old workers exited after the reload" '[ $alive = 0 ]'

# ---- phase 2: large files, and an upload ---------------------------------------
e2e_t "phase 1 done"
e2e_fetch big $(urls hw $BIG) $(urls any $BIG) \
    "$TMP/www/up@https://127.0.0.1:$((base + 2))/900.g.up" \
    "$TMP/www/up@https://127.0.0.1:$((base + 12))/901.g.up"
workers 2
e2e_nginx_stop hw
e2e_nginx_stop any
e2e_t "phase 2 done, servers stopped"

# ---- every byte ---------------------------------------------------------------
# nginx stored the uploads next to the files fetched (as N.g.up)
e2e_expect "the 256 KB uploads (PUT, ECDHE-RSA-AES128-SHA256) were stored by nginx" \
    '[ -f "$TMP/big/900.g.up" ] && [ -f "$TMP/big/901.g.up" ]'
e2e_check small big

# ---- the suites negotiated, the error logs ------------------------------------
for inst in hw any; do
    if [ $inst = hw ]; then ports $base; else ports $((base + 10)); fi
    SUITES="$P443 TLSv1.3 TLS_AES_256_GCM_SHA384
$PCBC TLSv1.2 ECDHE-RSA-AES128-SHA256
$PMTE TLSv1.2 ECDHE-RSA-AES256-SHA384
$PGCM TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256
$PCHA TLSv1.2 ECDHE-RSA-CHACHA20-POLY1305"
    MIN_REQ=7
    e2e_nginx_logs $inst
done

# ---- kaccel's counters -------------------------------------------------------
# hw1_*, hw2_*, any1_*, any2_*: the counters of each phase's workers
g() { echo "$1=$(set -- $2; IFS=,; echo "$*")"; }
eval "$(e2e_stats "$TMP/hw.stats" "$(g hw1 "$w_hw_1")" "$(g hw2 "$w_hw_2")")"
eval "$(e2e_stats "$TMP/any.stats" "$(g any1 "$w_any_1")" "$(g any2 "$w_any_2")")"
for inst in hw any; do
    for ph in 1 2; do
        eval "set -- \$w_${inst}_$ph"
        e2e_v $inst$ph "" reports
        e2e_expect "$inst: the $# workers of phase $ph wrote their counters at exit ($v)" \
            "[ $# -gt 0 ] && [ $v -eq $# ]"
    done
done
# phase 1: nothing offloaded, the records were "small"
for inst in hw any; do
    off=0
    for a in AES-128-CBC AES-256-CBC AES-128-GCM AES-256-GCM ChaCha20-Poly1305; do
        e2e_v ${inst}1 $a offload_ops
        off=$((off + v))
    done
    e2e_v ${inst}1 AES-128-CBC sw_small
    e2e_expect "$inst: phase 1 (records < 4096 bytes): offload_ops=$off, AES-128-CBC sw_small=$v" \
        "[ $off -eq 0 ] && [ $v -gt 0 ]"
done
# phase 2: per port 23 records of 4096 bytes or more (256 KB: 16, 100 KB: 6,
# 5 KB: 1), 16 more for the upload
check2() { # INSTANCE ALG MIN WHAT
    e2e_v ${1}2 $2 offload_ops
    off=$v
    e2e_v ${1}2 $2 errors
    e2e_expect "$1: $2 $4: offload_ops=$off (want >= $3), errors=$v" \
        "[ $off -ge $3 ] && [ $v -eq 0 ]"
}
check2 hw AES-128-CBC 39 "(TLS 1.2 CBC encrypt-then-MAC, virtio-crypto, both directions)"
check2 hw AES-256-CBC 23 "(TLS 1.2 CBC MAC-then-encrypt, virtio-crypto, records sent)"
e2e_v hw2 AES-256-CBC sw_params
e2e_expect "hw: AES-256-CBC MAC-then-encrypt records received: OpenSSL's software (sw_params=$v)" \
    "[ $v -gt 0 ]"
for a in AES-128-GCM AES-256-GCM ChaCha20-Poly1305; do
    e2e_not_kaccels hw2 $a
done
check2 any AES-128-CBC 39 "(virtio-crypto)"
check2 any AES-128-GCM 23 "(TLS 1.2, kernel software driver)"
check2 any ChaCha20-Poly1305 23 "(TLS 1.2, kernel software driver)"
check2 any AES-256-GCM 23 "(TLS 1.3, kernel software driver)"
e2e_t "checked"
if [ $fails -ne 0 ]; then
    for inst in hw any; do
        echo "# $inst: kaccel stats (all processes)"
        "$KACCEL_TOOL" stats "$TMP/$inst.stats"
    done
fi
finish
