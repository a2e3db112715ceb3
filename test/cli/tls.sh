#!/bin/sh
# TLS 1.2 and 1.3 through openssl s_server / s_client with kaccel preferred
# (default_properties = ?provider=kaccel). Per case a 256 KiB random file goes
# from s_server -WWW to s_client and must arrive intact (sha256), the protocol
# and suite must be the ones asked for, and the KACCEL_STATS counters of both
# processes must show that kaccel's AEAD handled the records: offloaded when
# AF_ALG is present (KACCEL_REQUIRE_AFALG=1, the guest), else kaccel's
# software path (no_route). A kaccel-min-offload = 16384 case splits the
# records: the 16 KiB data records offloaded, the small ones in software.
#
# Servers listen on 127.0.0.1 on ports the kernel picks; every openssl process
# runs under timeout(1) and the trap kills whatever is left. Process creation is
# very slow in the TCG guest, so the cases run concurrently and the checks use
# shell builtins where they can.
. "$(dirname "$0")/lib.sh"

T=${KACCEL_TLS_TIMEOUT:-120}    # seconds allowed to each openssl process
SIZE=262144                     # 16 records of 16 KiB
openssl_procs

# cnf FILE MIN_OFFLOAD
cnf() {
    kaccel_cnf_props "$1" "?provider=kaccel" "kaccel-algorithms = all" \
        "kaccel-afalg-drivers = any" "kaccel-min-offload = $2"
}
cnf "$TMP/k.cnf" 0
cnf "$TMP/k16k.cnf" 16384

# name config AEAD-as-kaccel-counts-it protocol suite
CASES="tls12-aes128gcm k.cnf AES-128-GCM tls1_2 ECDHE-RSA-AES128-GCM-SHA256
tls12-chacha k.cnf ChaCha20-Poly1305 tls1_2 ECDHE-RSA-CHACHA20-POLY1305
tls13-aes128gcm k.cnf AES-128-GCM tls1_3 TLS_AES_128_GCM_SHA256
tls13-aes256gcm k.cnf AES-256-GCM tls1_3 TLS_AES_256_GCM_SHA384
tls13-chacha k.cnf ChaCha20-Poly1305 tls1_3 TLS_CHACHA20_POLY1305_SHA256
tls13-aes128gcm-min16k k16k.cnf AES-128-GCM tls1_3 TLS_AES_128_GCM_SHA256"

OPENSSL_CONF=/dev/null ossl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" \
    -out "$TMP/cert.pem" -subj /CN=localhost -days 2 >"$TMP/req.log" 2>&1 ||
    { not_ok "certificate generation"; cat "$TMP/req.log"; finish; exit; }
echo "$CASES" >"$TMP/cases"
dirs=
while read -r n rest; do dirs="$dirs $TMP/$n"; done <"$TMP/cases"
mkdir "$TMP/www" $dirs
head -c $SIZE /dev/urandom >"$TMP/www/data"
printf 'GET /data HTTP/1.0\r\n\r\n' >"$TMP/get"
# What s_client must print: s_server -WWW's response header, then the file.
want=$({ printf 'HTTP/1.0 200 ok\r\nContent-type: text/plain\r\n\r\n'; cat "$TMP/www/data"; } | sha256sum)
want=${want%% *}

# 1. All servers, concurrently.
k=0
while read -r n conf alg proto suite; do
    k=$((k + 1))
    tls_opts $proto $suite
    : >"$TMP/$n/server.out"
    (cd "$TMP/www" && OPENSSL_CONF="$TMP/$conf" KACCEL_STATS="$TMP/$n/server.stats" exec timeout $T \
        $OSSL s_server -accept 127.0.0.1:0 -naccept 1 -WWW -cert "$TMP/cert.pem" -key "$TMP/key.pem" \
        $opts </dev/null >"$TMP/$n/server.out" 2>"$TMP/$n/server.err") &
    eval "spid_$k=$!"
    pids="$pids $!"
done <"$TMP/cases"

# 2. Their ports, from "ACCEPT 127.0.0.1:PORT" (builtins only; bounded by T).
i=0 missing=x
while [ -n "$missing" ] && [ $i -lt $((T * 2)) ]; do
    missing= k=0
    while read -r n rest; do
        k=$((k + 1))
        [ -s "$TMP/$n/port" ] && continue
        port=
        while read -r l; do case $l in "ACCEPT 127.0.0.1:"*) port=${l##*:} ;; esac; done <"$TMP/$n/server.out"
        eval "spid=\$spid_$k"
        if [ -n "$port" ]; then echo $port >"$TMP/$n/port"
        elif kill -0 $spid 2>/dev/null; then missing="$missing $n"; fi  # else: it died
    done <"$TMP/cases"
    [ -z "$missing" ] || { sleep 0.5; i=$((i + 1)); }
done

# 3. All clients, concurrently.
k=0
while read -r n conf alg proto suite; do
    k=$((k + 1))
    [ -s "$TMP/$n/port" ] || continue
    tls_opts $proto $suite
    read -r port <"$TMP/$n/port"
    OPENSSL_CONF="$TMP/$conf" KACCEL_STATS="$TMP/$n/client.stats" timeout $T \
        $OSSL s_client -connect 127.0.0.1:$port -servername localhost $opts -brief -ign_eof \
        -CAfile "$TMP/cert.pem" -verify_return_error <"$TMP/get" >"$TMP/$n/recv" 2>"$TMP/$n/client.err" &
    eval "cpid_$k=$!"
    pids="$pids $!"
done <"$TMP/cases"

# check_stats CASE SIDE ALG MODE: one `kaccel stats` run, parsed with builtins.
# MODE all: every record may be offloaded; split: kaccel-min-offload = 16384.
check_stats() {
    kaccel_stats "$1: $2 counters" "$TMP/$1/$2.stats" "$3" || return
    desc="$1: $2 $3 offload_ops=$off sw_ops=$sw (no_route=$nr small=$small)"
    if [ "${KACCEL_REQUIRE_AFALG:-0}" = 1 ]; then
        case $4 in
            all) [ "$off" -ge 16 ] && [ "$nr" -eq 0 ] && [ "$small" -eq 0 ] ;;
            split) [ "$off" -ge 16 ] && [ "$small" -gt 0 ] ;;
        esac
    else
        # No AF_ALG: kaccel's own software path (no_route) ran the records.
        [ "$off" -ge 16 ] || { [ "$sw" -ge 16 ] && [ "$nr" -ge 16 ]; }
    fi && ok "$desc" || { not_ok "$desc"; cat "$TMP/$1/$2.stats.total"; }
}

# 4. Results.
k=0
while read -r n conf alg proto suite; do
    k=$((k + 1))
    if ! [ -s "$TMP/$n/port" ]; then
        not_ok "$n: s_server did not start"; cat "$TMP/$n/server.out" "$TMP/$n/server.err"
        continue
    fi
    eval "cpid=\$cpid_$k spid=\$spid_$k"
    wait $cpid; crc=$?
    [ $crc -eq 0 ] || kill $spid 2>/dev/null
    wait $spid; src=$?
    [ $crc -eq 0 ] && [ $src -eq 0 ] && ok "$n: s_client and s_server exit 0" ||
        { not_ok "$n: s_client exit $crc, s_server exit $src"; cat "$TMP/$n/client.err" "$TMP/$n/server.err"; }
    expect_negotiated "$n" "$TMP/$n/client.err" $proto $suite
    got=$(sha256sum <"$TMP/$n/recv")
    got=${got%% *}
    [ "$got" = "$want" ] && ok "$n: $SIZE bytes received intact" ||
        not_ok "$n: received data differ (sha256 $got, want $want)"
    mode=all
    [ $conf = k16k.cnf ] && mode=split
    check_stats $n server $alg $mode
    check_stats $n client $alg $mode
done <"$TMP/cases"
pids=

finish
