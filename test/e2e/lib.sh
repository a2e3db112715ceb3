# Shared helpers of the deployment tests (POSIX sh), on top of test/cli/lib.sh
# (ok, not_ok, finish, $TMP).
#
# Servers listen on 127.0.0.1 only, run under timeout(1) and are stopped by
# the EXIT trap.  Every process start costs about a second in the TCG guest
# (more on a loaded machine): one curl process makes all the transfers of a
# step, one sha256sum and one awk check them, and the rest are builtins.
. "$KACCEL_SRC/test/cli/lib.sh"

E2E_T=${KACCEL_E2E_TIMEOUT:-240}   # seconds any server or client may live
EX=$KACCEL_SRC/examples
DATA=${KACCEL_E2E_DATA:-}          # the build's certificate and files
read -r E2E_T0 _ </proc/uptime

# e2e_t STEP: "# [SECONDS] STEP", the time since the test started.
e2e_t() {
    read -r now _ </proc/uptime
    s0=${E2E_T0%.*} s1=${now%.*}
    echo "# [$((s1 - s0))s] $*"
}

# e2e_skip WHY: exit 77, or 1 where skips are failures (KACCEL_REQUIRE_AFALG=1).
e2e_skip() {
    if [ "${KACCEL_REQUIRE_AFALG:-0}" = 1 ]; then
        echo "not ok - $* (KACCEL_REQUIRE_AFALG=1: a skip is a failure)"
        exit 1
    fi
    echo "skip: $*"
    exit 77
}

# e2e_require CMD...: the guest (test/vm/run; KACCEL_E2E=1 elsewhere), the
# build's data, AF_ALG with virtio-crypto's cbc(aes), kTLS, and the commands
# named.  Then sets the EXIT trap that stops every server.
e2e_require() {
    [ "${KACCEL_VM_GUEST:-0}" = 1 ] || [ "${KACCEL_E2E:-0}" = 1 ] ||
        e2e_skip "not in the guest (run: test/vm/run ctest -L e2e)"
    [ -r "$DATA/www.sums" ] || e2e_skip "no test data in KACCEL_E2E_DATA='$DATA' (build first)"
    for c in timeout curl sha256sum awk "$@"; do
        command -v "$c" >/dev/null 2>&1 || e2e_skip "$c is not installed"
    done
    # the guest's device (benchmarks/tls-load takes any: E2E_ANY_DEVICE=1)
    hw=${E2E_ANY_DEVICE:-0}
    while read -r k _ v; do
        [ "$k" = driver ] && [ "$v" = virtio_crypto_aes_cbc ] && hw=1
    done </proc/crypto
    [ $hw = 1 ] || e2e_skip "no AF_ALG hardware driver for cbc(aes) (virtio_crypto_aes_cbc)"
    [ -e /proc/net/tls_stat ] || e2e_skip "no kTLS (/proc/net/tls_stat): the tls module is absent"
    chmod 755 "$TMP"               # nginx's workers run as www-data
    pids=
    trap e2e_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

e2e_cleanup() {
    for f in "$TMP"/*.pid; do
        [ -s "$f" ] && read -r p <"$f" && kill -TERM "$p" 2>/dev/null
    done
    [ -z "$pids" ] || kill -TERM $pids 2>/dev/null
    wait 2>/dev/null
    if [ "$fails" -ne 0 ] && [ -n "${KACCEL_E2E_KEEP:-}" ]; then
        cp -r "$TMP" "$KACCEL_E2E_KEEP" 2>/dev/null && echo "# kept in $KACCEL_E2E_KEEP"
    fi
    rm -rf "$TMP"
}

# e2e_www: the build's files in $TMP/www (readable by nginx's workers), their
# sums in $TMP/www.sums; the certificate stays in $DATA (read by the masters).
e2e_www() {
    cp -r "$DATA/www" "$DATA/www.sums" "$TMP/"
}

# e2e_write FILE: standard input to FILE, with builtins (no cat).
e2e_write() {
    while IFS= read -r l; do printf '%s\n' "$l"; done >"$1"
}

# e2e_listening PORT: 127.0.0.1:PORT is in LISTEN state (/proc/net/tcp).
e2e_listening() {
    hex=$(printf '0100007F:%04X' "$1")
    while read -r _ l _ st _; do
        [ "$l" = "$hex" ] && [ "$st" = 0A ] && return 0
    done </proc/net/tcp
    return 1
}

# e2e_port_wait PORT...: until each port listens on 127.0.0.1, at most E2E_T
# seconds in all; 1 if not.
e2e_port_wait() {
    i=0
    for p; do
        until e2e_listening "$p"; do
            i=$((i + 1))
            [ $i -lt $((E2E_T * 4)) ] || return 1
            sleep 0.25
        done
    done
}

# e2e_nginx_up INST...: waits for each nginx instance's ports ($ports_INST);
# one that does not come up fails the test with its output and error log.
e2e_nginx_up() {
    for inst; do
        eval "e2e_port_wait \$ports_$inst" || {
            not_ok "$inst: nginx did not start"
            cat "$TMP/$inst.out" "$TMP/$inst.error.log"
            finish
            exit 1
        }
    done
}

# e2e_fetch NAME ARG...: one curl process makes every transfer (https with
# the test certificate as the CA, CURL_OPTS added): an ARG FILE@URL uploads
# FILE to URL (PUT), first; an ARG URL fetches URL to $TMP/NAME/N.g.FILE.
# Its report in $TMP/NAME/report: "code method bytes url error" per transfer.
e2e_fetch() {
    d=$TMP/$1
    shift
    mkdir -p "$d"
    # curl pairs its n-th upload-file with its n-th URL: uploads go first
    n=0
    {
        for a; do
            case $a in *@*)
                n=$((n + 1))
                printf 'upload-file = "%s"\nurl = "%s"\noutput = "%s/%s.p.response"\n' \
                    "${a%%@*}" "${a#*@}" "$d" $n ;;
            esac
        done
        for a; do
            case $a in *@*) ;; *)
                n=$((n + 1))
                printf 'url = "%s"\noutput = "%s/%s.g.%s"\n' "$a" "$d" $n "${a##*/}" ;;
            esac
        done
    } >"$d/curl.cfg"
    OPENSSL_CONF=/dev/null timeout $E2E_T curl -sS --cacert "$DATA/cert.pem" --max-time 120 \
        ${CURL_OPTS:-} -w '%{http_code} %{method} %{size_download} %{url_effective} %{errormsg}\n' \
        --config "$d/curl.cfg" >"$d/report" 2>"$d/curl.err"
    echo $? >"$d/curl.rc"
}

# e2e_check NAME...: every transfer of each e2e_fetch NAME succeeded (GET
# 200, PUT 201 or 204; curl exit 0) and every file fetched has the bytes of
# its source in $TMP/www (sha256).  One ok or not_ok line per NAME.
e2e_check() {
    files='' args=''
    for n; do
        files="$files $TMP/$n/*.g.*"
        args="$args $TMP/$n/curl.cfg $TMP/$n/curl.rc $TMP/$n/report"
    done
    sha256sum -- $files >"$TMP/got.sums" 2>"$TMP/sha.err"
    awk -v tmp="$TMP/" '
        function name(f) { sub("^" tmp, "", f); sub("/.*", "", f); return f }
        FILENAME ~ /www.sums$/ { src[$2] = $1; next }
        FILENAME ~ /got.sums$/ { f = $2; sub(/.*\/[0-9]+\.g\./, "", f)
            if (src[f] != $1) { bad[name($2)] = bad[name($2)] "\n  differs from its source: " $2 }
            next }
        { n = name(FILENAME); names[n] = 1 }
        FILENAME ~ /curl.cfg$/ { if ($1 == "url") want[n]++; next }
        FILENAME ~ /curl.rc$/ { if ($1 != 0) bad[n] = bad[n] "\n  curl exit " $1; next }
        { got[n]++
          if (!($2 == "GET" && $1 == 200) && !($2 == "PUT" && ($1 == 201 || $1 == 204)))
              bad[n] = bad[n] "\n  failed: " $0 }
        END { for (n in names) {
                  if (got[n] != want[n]) bad[n] = bad[n] "\n  " got[n] + 0 " transfers, want " want[n]
                  if (bad[n] == "") printf "ok - %s: %d transfers, every byte intact (sha256)\n", n, got[n]
                  else printf "not ok - %s: transfers failed or differ:%s\n", n, bad[n] } }
    ' "$TMP/www.sums" "$TMP/got.sums" $args >"$TMP/check.out"
    e2e_report "$TMP/check.out"
}

# e2e_report FILE: takes over the "ok - ..." / "not ok - ..." lines of FILE
# (lines after a "not ok" line that start with blanks belong to it).
e2e_report() {
    while IFS= read -r l; do
        case $l in
            "ok - "*) ok "${l#ok - }" ;;
            "not ok - "*) not_ok "${l#not ok - }" ;;
            *) printf '%s\n' "$l" ;;
        esac
    done <"$1"
}

# e2e_stats FILE GROUP...: shell assignments of kaccel's counters in a
# KACCEL_STATS file, for groups of processes: GROUP is PREFIX=PID,PID... (or
# PREFIX= for every process).  Per group PREFIX_ALG_FIELD=N (ALG with - as _,
# e.g. hw2_AES_128_CBC_offload_ops), PREFIX_io_uring_FIELD=N and
# PREFIX_reports (process reports).  Use: eval "$(e2e_stats ...)", then
# e2e_v PREFIX ALG FIELD.
e2e_stats() {
    f=$1
    shift
    awk -v groups="$*" '
        BEGIN { ng = split(groups, g, " ")
                for (i = 1; i <= ng; i++) { split(g[i], kv, "="); pre[i] = kv[1]; set[i] = "," kv[2] "," } }
        /^# kaccel / { for (i = 1; i <= ng; i++) {
                           use[i] = set[i] == ",," || index(set[i], "," $5 ",") > 0
                           if (use[i]) t[pre[i] "_reports"]++ }
                       next }
        { a = $1; gsub(/-/, "_", a)
          for (j = 2; j <= NF; j++) { split($j, kv, "=")
              if (kv[2] !~ /^[0-9]+$/) continue
              for (i = 1; i <= ng; i++) if (use[i]) t[pre[i] "_" a "_" kv[1]] += kv[2] } }
        END { for (k in t) print k "=" t[k] }' "$f"
}

# e2e_v PREFIX ALG FIELD: $v, a value set by e2e_stats (0 when unset).
e2e_v() {
    v=$1 IFS=-
    for w in $2; do v=${v}_$w; done
    IFS=' 	
'
    eval "v=\${${v}_$3:-0}"
}

# e2e_expect DESCRIPTION CONDITION: ok when the shell command list CONDITION
# (evaluated) succeeds.
e2e_expect() {
    if eval "$2"; then ok "$1"; else not_ok "$1"; fi
}

# e2e_not_kaccels PREFIX ALG: ok when ALG (an AEAD the guest has no hardware
# driver for) went neither to offload nor to kaccel's software path.
e2e_not_kaccels() {
    e2e_v $1 $2 offload_ops
    n=$v
    e2e_v $1 $2 sw_ops
    e2e_expect "$1: $2 is not kaccel's (no hardware driver): $((n + v)) operations" \
        "[ $((n + v)) -eq 0 ]"
}

# e2e_tls_stat NAME: $v, a /proc/net/tls_stat counter.
e2e_tls_stat() {
    v=0
    while read -r k n; do [ "$k" = "$1" ] && v=$n; done 2>/dev/null </proc/net/tls_stat
}

# e2e_nginx_conf NAME EXTRA: $TMP/NAME.conf, examples/nginx.conf made fit
# for a test: pid and logs $TMP/NAME.*, the test certificate, files from
# $TMP/www, ports 443 and 8443 as $P443 and $P8443, temporary files in $TMP,
# and the test's directives (the file EXTRA, with its servers) in http {}.
e2e_nginx_conf() {
    awk -v t="$TMP" -v n="$1" -v d="$DATA" -v p443="$P443" -v p8443="$P8443" -v x="$2" '
        /^pid / { $0 = "pid " t "/" n ".pid;" }
        /^error_log / { $0 = "error_log " t "/" n ".error.log notice;" }
        { sub("access_log /var/log/nginx/access.log", "access_log " t "/" n ".access.log")
          sub("/etc/ssl/certs/kaccel-example.pem", d "/cert.pem")
          sub("/etc/ssl/private/kaccel-example.key", d "/key.pem")
          sub("root /var/www/html;", "root " t "/www;")
          sub("listen 443 ssl;", "listen 127.0.0.1:" p443 " ssl;")
          sub("listen 8443 ssl;", "listen 127.0.0.1:" p8443 " ssl;")
          l[NR] = $0 }
        END { for (i = 1; i < NR; i++) print l[i]
              split("client_body proxy fastcgi uwsgi scgi", tp, " ")
              for (i in tp) print "    " tp[i] "_temp_path " t "/" n ".tmp-" tp[i] ";"
              print "    include " x ";"
              print l[NR] }' "$EX/nginx.conf" >"$TMP/$1.conf"
}

# e2e_nginx_start NAME OPENSSL_CNF: nginx with $TMP/NAME.conf in the
# foreground (daemon off) under timeout, kaccel loaded from OPENSSL_CNF,
# counters to $TMP/NAME.stats.  The master's pid is in $TMP/NAME.pid once
# it runs (e2e_port_wait for its ports).
e2e_nginx_start() {
    : >"$TMP/$1.stats"
    chmod 666 "$TMP/$1.stats"
    OPENSSL_CONF=$2 KACCEL_STATS=$TMP/$1.stats timeout $E2E_T \
        nginx -e "$TMP/$1.error.log" -c "$TMP/$1.conf" -g 'daemon off;' >"$TMP/$1.out" 2>&1 &
    echo $! >"$TMP/$1.timeout.pid"
    pids="$pids $!"
}

# e2e_nginx_signal NAME SIGNAL: a signal to the master (HUP: reload, QUIT:
# graceful stop, TERM: fast stop), as nginx -s does.
e2e_nginx_signal() {
    read -r mp <"$TMP/$1.pid" && kill -"$2" "$mp"
}

# e2e_nginx_stop NAME: a graceful stop; waits for the master, so that every
# process has written its counters.
e2e_nginx_stop() {
    e2e_nginx_signal "$1" QUIT
    read -r tp <"$TMP/$1.timeout.pid"
    wait "$tp" 2>/dev/null
    rc=$?
    rm -f "$TMP/$1.timeout.pid"
    [ $rc -eq 0 ] || { not_ok "$1: nginx exited with $rc"; tail -5 "$TMP/$1.out"; }
}

# e2e_nginx_logs NAME [ALLOWED-REGEX]: awk lines checking an nginx instance's
# logs: no [error], [crit], [alert] or [emerg] in its error log (except lines
# matching ALLOWED-REGEX); with SUITES set ("PORT PROTOCOL CIPHER" lines),
# every request on PORT used that protocol and cipher and there were at
# least MIN_REQ (1) of them.  Output for e2e_report.
e2e_nginx_logs() {
    awk -v inst="$1" -v allow="${2:-^$}" -v suites="${SUITES:-}" -v min="${MIN_REQ:-1}" '
        BEGIN { n = split(suites, w, "\n")
                for (i = 1; i <= n; i++) { split(w[i], f, " "); if (f[1] != "") v[f[1]] = f[2] " " f[3] } }
        FILENAME ~ /error.log$/ { if ($0 ~ /\[(error|crit|alert|emerg)\]/ && $0 !~ allow) err = err "\n  " $0
                                  next }
        { p = $(NF-2); c[p]++; if ((p in v) && $(NF-1) " " $NF != v[p]) bad[p]++ }
        END { for (p in v) printf "%s - %s: port %s: %d requests, %d not %s\n",
                  (c[p] >= min && !bad[p]) ? "ok" : "not ok", inst, p, c[p], bad[p], v[p]
              if (err == "") printf "ok - %s: no errors in the nginx log\n", inst
              else printf "not ok - %s: errors in the nginx log:%s\n", inst, err }
    ' "$TMP/$1.error.log" "$TMP/$1.access.log" >"$TMP/$1.logs.out"
    e2e_report "$TMP/$1.logs.out"
}

# e2e_workers PID: $v, the pids of the children of a process (an nginx
# master's workers).
e2e_workers() {
    v=
    for s in /proc/[0-9]*/stat; do
        read -r p _ _ pp _ 2>/dev/null <"$s" || continue
        [ "$pp" = "$1" ] && v="$v $p"
    done
}

# e2e_workers_up PID N: waits (bounded) until the process PID (an nginx
# master) has N children and none of them has opened or closed a
# descriptor for half a second (a worker's start-up done); $v, their pids.
# An nginx master listens before it forks its workers: its ports being up
# says nothing of them.
e2e_workers_up() {
    j=0 last=
    while [ $j -lt $((E2E_T * 4)) ]; do
        e2e_workers $1
        w=$v
        set -- $1 $2 $w
        now=
        if [ $(($# - 2)) -eq $2 ]; then
            for p in $w; do e2e_nfd $p; now="$now $p:$v"; done
            [ "$now" = "$last" ] && { v=$w; return 0; }
        fi
        set -- $1 $2
        last=$now
        sleep 0.25
        j=$((j + 1))
    done
    v=$w
    return 1
}

# e2e_nfd PID: $v, the open descriptors of a process.
e2e_nfd() {
    set -- /proc/"$1"/fd/*
    v=$#
}
