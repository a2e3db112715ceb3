#!/bin/sh
# nginx under load while it reloads and loses a worker, kaccel loaded
# (examples/openssl.cnf; records on ECDHE-RSA-AES128-SHA256, AES-CBC
# offloaded to virtio-crypto).
#
# One curl process makes 112 transfers (100 KB and 3 KB files, 4 at a time,
# retrying a transfer cut off by a killed worker; nginx sends each response
# at 100 KB/s, so that the load outlasts the reloads).  Meanwhile, after
# every 16 requests, nginx is reloaded, 5 times in all (as nginx -s reload
# does: SIGHUP to the master, which forks new workers; the old ones finish
# their requests and exit), and after the third reload one worker is
# killed (SIGKILL; the master starts another).
#   - every transfer ends with 200 and the bytes of its file (sha256);
#   - no error in the error log (but the killed worker's exit);
#   - no descriptor growth: the master's count after each reload equals its
#     count at start; the last workers, idle after the load, hold at most 3
#     more than the first workers had before any request (kaccel's per-thread
#     io_uring queue and its eventfd);
#   - kaccel in each generation of workers: each generation that served
#     records offloaded them (its own AF_ALG sockets and queue after fork),
#     and no worker counted a backend error.
. "$(dirname "$0")/lib.sh"

e2e_require nginx
e2e_www

base=$((28000 + ($$ % 100) * 20))
P443=$base P8443=$((base + 1)) PCBC=$((base + 2))
e2e_write "$TMP/r.extra.conf" <<EOF
log_format bypid '\$pid \$connection \$connection_requests \$request_uri \$status \$body_bytes_sent';
server {
    access_log $TMP/r.pid.log bypid;
    access_log $TMP/r.access.log tls;
    listen 127.0.0.1:$PCBC ssl;
    root $TMP/www;
    ssl_protocols TLSv1.2;
    ssl_ciphers ECDHE-RSA-AES128-SHA256;
    keepalive_requests 20;
    limit_rate 100k;
}
EOF
e2e_nginx_conf r "$TMP/r.extra.conf"
e2e_nginx_start r "$EX/openssl.cnf"
e2e_t "server starting"
ports_r=$PCBC
e2e_nginx_up r
read -r master <"$TMP/r.pid"
nw=$(getconf _NPROCESSORS_ONLN)     # worker_processes auto
e2e_workers_up $master $nw || e2e_t "not yet $nw workers:$v"
gen0=$v
e2e_nfd $master
m0=$v
w0=0
for p in $gen0; do e2e_nfd $p; [ $v -gt $w0 ] && w0=$v; done
e2e_t "server up: master $master ($m0 fds), workers$gen0 (at most $w0 fds)"

# 112 transfers in the background
set --
i=0
while [ $i -lt 28 ]; do
    for f in b2 b2 b2 s3; do set -- "$@" "https://127.0.0.1:$PCBC/$f"; done
    i=$((i + 1))
done
CURL_OPTS="--parallel --parallel-max 4 --retry 4 --retry-all-errors --retry-delay 1" \
    e2e_fetch load "$@" &
loader=$!
pids="$pids $loader"

# done_at_least N: wait until nginx logged N requests or the loader ended
# (curl's own report is buffered until it exits)
done_at_least() {
    j=0
    while [ $j -lt $((E2E_T * 4)) ]; do
        n=0
        while read -r _; do n=$((n + 1)); done <"$TMP/r.access.log"
        [ $n -ge $1 ] && return 0
        kill -0 $loader 2>/dev/null || return 1
        sleep 0.25
        j=$((j + 1))
    done
    return 1
}

# wait_gone PID...: until none of the processes exists (bounded)
wait_gone() {
    j=0 alive=1
    while [ $alive = 1 ] && [ $j -lt $((E2E_T * 4)) ]; do
        alive=0
        for p; do [ -d /proc/$p ] && alive=1; done
        [ $alive = 0 ] || { sleep 0.25; j=$((j + 1)); }
    done
}

mfds=
echo "0$gen0" >"$TMP/gens"         # generation pid...: 0 (start), 1..5 (reloads), respawn
r=1
while [ $r -le 5 ]; do
    done_at_least $((r * 16)) || break
    e2e_workers $master
    old=$v
    e2e_nginx_signal r HUP
    wait_gone $old
    e2e_nfd $master
    mfds="$mfds $v"
    mf=$v
    e2e_workers $master
    e2e_t "reload $r: old workers$old gone ($alive), master $mf fds, workers$v"
    [ $r = 3 ] && gen3=$v
    echo "$r$v" >>"$TMP/gens"
    if [ $r = 3 ]; then
        set -- $v
        kill -KILL $1
        victim=$1
        j=0
        while [ $j -lt $((E2E_T * 4)) ]; do
            e2e_workers $master
            case " $v " in *" $victim "*) ;; *) set -- $v; [ $# -ge $nw ] && break ;; esac
            sleep 0.25
            j=$((j + 1))
        done
        e2e_t "worker $victim killed, workers now$v"
        for p in $v; do
            case " $gen3 " in *" $p "*) ;; *) echo "respawn $p" >>"$TMP/gens" ;; esac
        done
    fi
    r=$((r + 1))
done
e2e_expect "5 reloads during the load" "[ $r -eq 6 ]"
wait $loader
e2e_t "load done"

# the last workers, idle now
e2e_workers $master
last=$v
wmax=0
for p in $last; do e2e_nfd $p; [ $v -gt $wmax ] && wmax=$v; done
e2e_nfd $master
mend=$v
ok_m=1
for m in $mfds $mend; do [ "$m" = "$m0" ] || ok_m=0; done
e2e_expect "master's descriptors after each reload:$mfds, at the end $mend (start $m0)" \
    "[ $ok_m = 1 ]"
e2e_expect "idle workers after the load: at most $wmax descriptors (before any request: $w0)" \
    "[ $wmax -le $((w0 + 3)) ]"
e2e_nginx_stop r
e2e_t "server stopped"

e2e_check load
e2e_nginx_logs r "worker process $victim exited on signal 9"

# kaccel: every report of a worker, by generation
eval "$(e2e_stats "$TMP/r.stats" all=)"
e2e_v all AES-128-CBC errors
e2e_expect "no backend errors (AES-128-CBC errors=$v)" "[ $v -eq 0 ]"
awk -v victim="$victim" '
    FILENAME ~ /gens$/ { for (i = 2; i <= NF; i++) { gen[$i] = $1; pids[$1] = pids[$1] " " $i }
                         order[++ng] = $1; next }
    /^# kaccel / { p = $5; rep[p] = 1; next }
    $1 == "AES-128-CBC" { for (i = 2; i <= NF; i++) { split($i, kv, "=")
                              if (kv[1] == "offload_ops") off[p] += kv[2] } }
    END { for (k = 1; k <= ng; k++) { g = order[k]; n = split(pids[g], q, " "); s = 0; r = 0; d = ""
              for (i = 1; i <= n; i++) { s += off[q[i]]; r += rep[q[i]]; d = d " " q[i] "=" off[q[i]] + 0
                                         if (q[i] == victim) { r++; d = d " (killed)" } }
              # a respawned worker may have had no connection; it must have
              # written its counters at its exit (reload 4) all the same
              good = r == n && (s > 0 || g == "respawn")
              printf "%s - workers %s:%s: counters written at exit; AES-128-CBC offload_ops%s\n",
                  good ? "ok" : "not ok", g == "respawn" ? "respawned" : "of generation " g,
                  pids[g], d } }
' "$TMP/gens" "$TMP/r.stats" >"$TMP/gens.out"
e2e_report "$TMP/gens.out"
e2e_t "checked"
[ $fails -eq 0 ] || "$KACCEL_TOOL" stats "$TMP/r.stats"
finish
