#!/bin/sh
# kTLS with kaccel loaded: stock nginx's kTLS server of examples/nginx.conf
# (sendfile on; ssl_conf_command Options KTLS) and three more servers with
# the same two lines, TLS 1.2 only, one suite each: AES-128-GCM and
# ChaCha20-Poly1305 (which the kernel's tls module takes over) and
# ECDHE-RSA-AES128-SHA256 (which it cannot: OpenSSL keeps the records).
#
# "k1" loads kaccel with examples/openssl.cnf as shipped; "k2" prefers kaccel
# for every algorithm of the handshake and the records (kaccel-algorithms =
# all, any AF_ALG driver, kaccel-min-offload = 0), so the AEAD contexts whose
# keys, IV and sequence libssl hands to the kernel are kaccel's, after
# kaccel encrypted the handshake's last records itself.
#
# Per instance one curl process fetches 256 KB and 100 KB from each server:
# /proc/net/tls_stat's TlsTxSw must grow by one per GCM or ChaCha20-Poly1305
# connection (kTLS silently skipped is a failure), every byte must arrive
# (sha256), the CBC server's records must be offloaded by kaccel, and in k2
# kaccel's AEAD must have served the handshake but not the file data.
. "$(dirname "$0")/lib.sh"

e2e_require nginx
e2e_www

base=$((24000 + ($$ % 100) * 20))
FILES="b3 b2"

{
    while IFS= read -r l; do printf '%s\n' "$l"; done <"$EX/openssl.cnf"
    echo "kaccel-algorithms = all"
    echo "kaccel-afalg-drivers = any"
    echo "kaccel-min-offload = 0"
} >"$TMP/k2.cnf"

for inst in k1 k2; do
    [ $inst = k1 ] && b=$base || b=$((base + 10))
    P443=$b P8443=$((b + 1)) PGCM=$((b + 2)) PCHA=$((b + 3)) PCBC=$((b + 4))
    e2e_write "$TMP/$inst.extra.conf" <<EOF
server {
    listen 127.0.0.1:$PGCM ssl;
    root $TMP/www;
    ssl_protocols TLSv1.2;
    ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256;
    sendfile on;
    ssl_conf_command Options KTLS;
}
server {
    listen 127.0.0.1:$PCHA ssl;
    root $TMP/www;
    ssl_protocols TLSv1.2;
    ssl_ciphers ECDHE-RSA-CHACHA20-POLY1305;
    sendfile on;
    ssl_conf_command Options KTLS;
}
server {
    listen 127.0.0.1:$PCBC ssl;
    root $TMP/www;
    ssl_protocols TLSv1.2;
    ssl_ciphers ECDHE-RSA-AES128-SHA256;
    sendfile on;
    ssl_conf_command Options KTLS;
}
EOF
    e2e_nginx_conf $inst "$TMP/$inst.extra.conf"
    [ $inst = k1 ] && cnf=$EX/openssl.cnf || cnf=$TMP/k2.cnf
    e2e_nginx_start $inst "$cnf"
    eval "ports_$inst='$P8443 $PGCM $PCHA $PCBC'"
    eval "suites_$inst='$P8443 TLSv1.3 TLS_AES_256_GCM_SHA384
$PGCM TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256
$PCHA TLSv1.2 ECDHE-RSA-CHACHA20-POLY1305
$PCBC TLSv1.2 ECDHE-RSA-AES128-SHA256'"
done

e2e_t "servers starting"
e2e_nginx_up k1 k2
e2e_t "servers up"

for inst in k1 k2; do
    eval "ps=\$ports_$inst"
    set --
    for p in $ps; do
        for f in $FILES; do set -- "$@" "https://127.0.0.1:$p/$f"; done
    done
    e2e_tls_stat TlsTxSw
    tx0=$v
    e2e_tls_stat TlsRxSw
    rx0=$v
    e2e_fetch $inst "$@"
    e2e_tls_stat TlsTxSw
    tx=$((v - tx0))
    e2e_tls_stat TlsRxSw
    rx=$((v - rx0))
    # one connection per server: TLS 1.3 AES-256-GCM, 1.2 AES-128-GCM, 1.2
    # ChaCha20-Poly1305 in kTLS; the CBC one not
    e2e_expect "$inst: kTLS engaged for the 3 AEAD connections (TlsTxSw +$tx, TlsRxSw +$rx)" \
        "[ $tx -eq 3 ]"
done
e2e_nginx_stop k1
e2e_nginx_stop k2
e2e_t "transfers done, servers stopped"

e2e_check k1 k2
for inst in k1 k2; do
    eval "SUITES=\$suites_$inst"
    MIN_REQ=2
    e2e_nginx_logs $inst
done

# kaccel's counters, all processes of an instance
eval "$(e2e_stats "$TMP/k1.stats" k1= )"
eval "$(e2e_stats "$TMP/k2.stats" k2= )"
for inst in k1 k2; do
    e2e_v $inst AES-128-CBC offload_ops
    e2e_expect "$inst: the CBC server's records (no kTLS) offloaded by kaccel: AES-128-CBC offload_ops=$v" \
        "[ $v -ge 23 ]"
done
for a in AES-128-GCM AES-256-GCM ChaCha20-Poly1305; do
    e2e_not_kaccels k1 $a
    # k2: the handshake's records (Finished, tickets) went through kaccel,
    # offloaded (kaccel-min-offload = 0); the 23 records of file data did not
    e2e_v k2 $a offload_ops
    n=$v
    e2e_v k2 $a errors
    e2e_expect "k2: $a handshake records through kaccel before kTLS took over: offload_ops=$n (want 1..10), errors=$v" \
        "[ $n -ge 1 ] && [ $n -le 10 ] && [ $v -eq 0 ]"
done
e2e_t "checked"
if [ $fails -ne 0 ]; then
    cat /proc/net/tls_stat
    for inst in k1 k2; do
        echo "# $inst: kaccel stats (all processes)"
        "$KACCEL_TOOL" stats "$TMP/$inst.stats"
    done
fi
finish
