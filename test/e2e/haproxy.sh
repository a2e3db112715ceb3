#!/bin/sh
# HAProxy (Debian's package, 2.6) with ssl-mode-async terminating TLS in
# front of a plain-HTTP nginx, kaccel loaded from openssl.cnf; the
# configuration is examples/haproxy.cfg (made fit for a test: loopback
# ports, the test certificate; no chroot, user, logging or daemon mode).
# Two instances: "h" with examples/openssl.cnf as shipped, "h0" with
# kaccel-min-offload = 0.
#
# One curl process (without kaccel) makes 64 transfers, 16 at a time, over
# TLS 1.2 ECDHE-RSA-AES128-SHA256 (AES-CBC, offloaded to virtio-crypto):
# 256 KB, 100 KB, 5 KB and 1 KB files from each instance.  Every transfer
# must end with 200 and the bytes of its file (sha256); HAProxy must exit
# cleanly (soft stop) with no alert and write kaccel's counters: in "h" the
# records of 4096 bytes and more offloaded, the smaller ones in software;
# in "h0" every record offloaded.
#
# HAProxy runs the handshake in OpenSSL ASYNC jobs but clears SSL_MODE_ASYNC
# once it is done (its buffers may move between calls, which a paused job
# cannot survive): the records of the data are offloaded synchronously, and
# only the handshake's own records (Finished, session ticket) can pause a
# job.  They are small, so "h" never pauses; "h0" offloads them inside the
# jobs, and its counters must show the jobs paused (io_uring pauses), with
# HAProxy polling kaccel's wait fds in its event loop.
. "$(dirname "$0")/lib.sh"

e2e_require haproxy nginx
e2e_www

base=$((32000 + ($$ % 100) * 20))
PH=$base PB=$((base + 1)) PH0=$((base + 2))

# the backend: nginx, plain HTTP, without kaccel
e2e_write "$TMP/web.conf" <<EOF
worker_processes 1;
pid $TMP/web.pid;
error_log $TMP/web.error.log;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $TMP/web.tmp;
    server {
        listen 127.0.0.1:$PB;
        root $TMP/www;
    }
}
EOF
OPENSSL_CONF=/dev/null timeout $E2E_T nginx -e "$TMP/web.error.log" -c "$TMP/web.conf" \
    -g 'daemon off; user root;' >"$TMP/web.out" 2>&1 &
echo $! >"$TMP/web.timeout.pid"
pids="$pids $!"

# HAProxy: the example, fit for a test, twice: "h" with examples/openssl.cnf
# as shipped, "h0" with kaccel-min-offload = 0 (the handshake's records too)
{
    while IFS= read -r l; do printf '%s\n' "$l"; done <"$EX/openssl.cnf"
    echo "kaccel-min-offload = 0"
} >"$TMP/h0.cnf"
for inst in h h0; do
    [ $inst = h ] && p=$PH || p=$PH0
    awk -v ph="$p" -v pb="$PB" -v crt="$DATA/both.pem" '
        /^[ \t]*(log|chroot|user|group|daemon|option httplog)( |$)/ { next }
        { sub("bind :443 ssl crt /etc/haproxy/kaccel-example.pem", "bind 127.0.0.1:" ph " ssl crt " crt)
          sub("server web1 127.0.0.1:8080", "server web1 127.0.0.1:" pb)
          print }' "$EX/haproxy.cfg" >"$TMP/$inst.cfg"
    : >"$TMP/$inst.stats"
    [ $inst = h ] && cnf=$EX/openssl.cnf || cnf=$TMP/h0.cnf
    OPENSSL_CONF=$cnf KACCEL_STATS=$TMP/$inst.stats timeout $E2E_T \
        haproxy -db -f "$TMP/$inst.cfg" >"$TMP/$inst.out" 2>&1 &
    eval "t_$inst=$!"
    pids="$pids $!"
done

e2e_t "servers starting"
e2e_port_wait $PB $PH $PH0 || {
    not_ok "the servers did not start"
    cat "$TMP/web.out" "$TMP/web.error.log" "$TMP/h.out" "$TMP/h0.out"
    finish
    exit 1
}
e2e_t "servers up"

set --
i=0
while [ $i -lt 8 ]; do
    for f in b3 b2 b1 s2; do set -- "$@" "https://127.0.0.1:$PH/$f" "https://127.0.0.1:$PH0/$f"; done
    i=$((i + 1))
done
CURL_OPTS="--parallel --parallel-max 16 --tls-max 1.2 --ciphers ECDHE-RSA-AES128-SHA256" \
    e2e_fetch async "$@"
e2e_t "transfers done"

# soft stop (SIGUSR1): HAProxy exits once its connections are closed, and
# kaccel writes its counters
for inst in h h0; do
    eval "tp=\$t_$inst"
    e2e_workers $tp              # HAProxy, the child of timeout(1)
    kill -USR1 $v
    wait $tp
    rc=$?
    e2e_expect "$inst: HAProxy exited cleanly after a soft stop (exit $rc)" "[ $rc -eq 0 ]"
done
read -r wp <"$TMP/web.pid" && kill -QUIT "$wp"
read -r tp <"$TMP/web.timeout.pid" && wait "$tp"
rm -f "$TMP/web.timeout.pid"
e2e_t "servers stopped"

e2e_check async
# HAProxy's own messages: no alert (a warning is not a failure)
for inst in h h0; do
    alerts=
    while IFS= read -r l; do
        case $l in *ALERT*) alerts="$alerts
  $l" ;; esac
    done <"$TMP/$inst.out"
    e2e_expect "$inst: no alert from HAProxy$alerts" '[ -z "$alerts" ]'
done

eval "$(e2e_stats "$TMP/h.stats" h=)"
eval "$(e2e_stats "$TMP/h0.stats" h0=)"
for inst in h h0; do
    e2e_v $inst "" reports
    e2e_expect "$inst: HAProxy wrote kaccel's counters at exit ($v report)" "[ $v -eq 1 ]"
    e2e_v $inst AES-128-CBC offload_ops
    off=$v
    e2e_v $inst AES-128-CBC sw_small
    small=$v
    e2e_v $inst AES-128-CBC errors
    err=$v
    e2e_v $inst io_uring pauses
    pauses=$v
    e2e_v $inst io_uring batch_max
    batch=$v
    # 8 x (256 KB: 16 records, 100 KB: 6 or 7, 5 KB: 1) of 4096 bytes or more
    if [ $inst = h ]; then
        e2e_expect "h: AES-128-CBC records of 4096 bytes and more offloaded: offload_ops=$off (want >= 184), smaller ones in software: sw_small=$small, errors=$err" \
            "[ $off -ge 184 ] && [ $small -gt 0 ] && [ $err -eq 0 ]"
        echo "# h: ASYNC job pauses $pauses (HAProxy clears SSL_MODE_ASYNC after the handshake, whose records are small)"
    else
        e2e_expect "h0: every AES-128-CBC record offloaded: offload_ops=$off (want >= 200), sw_small=$small, errors=$err" \
            "[ $off -ge 200 ] && [ $small -eq 0 ] && [ $err -eq 0 ]"
        e2e_expect "h0: handshake records offloaded inside HAProxy's ASYNC jobs: io_uring pauses=$pauses, largest batch $batch" \
            "[ $pauses -gt 0 ]"
    fi
done
e2e_t "checked"
[ $fails -eq 0 ] || for inst in h h0; do cat "$TMP/$inst.out"; "$KACCEL_TOOL" stats "$TMP/$inst.stats"; done
finish
