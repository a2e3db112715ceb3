#!/bin/sh
# kaccel info with the DPDK backend configured (crypto_aesni_mb0, a software
# PMD): the provider loads without starting the EAL; kaccel info starts it and
# shows its state, the device, its PMD, queue pairs and the algorithms it
# serves, and routes algorithms to dpdk:<device>; a bad EAL argument leaves
# DPDK unavailable without failing anything.
. "$(dirname "$0")/lib.sh"

eal=$(dpdk_eal) || exit $?
kaccel_cnf "$TMP/d.cnf" "kaccel-backends = dpdk,afalg" "kaccel-dpdk-eal = $eal" \
    "kaccel-dpdk-devices = crypto_aesni_mb" "kaccel-dpdk-queue-pairs = 4" \
    "kaccel-algorithms = all" "kaccel-min-offload = 0"

# Loading the provider does not start the EAL (it starts at the first offload).
KACCEL_DEBUG="$TMP/load.log" OPENSSL_CONF="$TMP/d.cnf" ossl list -providers >"$TMP/list" 2>&1
expect_grep "provider with DPDK configured loads" "$TMP/list" "^  kaccel"
if grep -q "bringing up the EAL" "$TMP/load.log"; then
    not_ok "loading the provider started the EAL"
else
    ok "loading the provider leaves the EAL down"
fi

OPENSSL_CONF="$TMP/d.cnf" "$KACCEL_TOOL" info >"$TMP/info" 2>"$TMP/info.err" &&
    ok "kaccel info exits 0" || not_ok "kaccel info failed"
expect_grep "info: configuration valid" "$TMP/info" "kaccel configuration valid"
expect_grep "info: backends in force" "$TMP/info" "^  backends     dpdk,afalg"
expect_grep "info: buildinfo names the dpdk backend" "$TMP/info" "build .*backends: afalg, dpdk"
expect_grep "info: DPDK section, EAL up" "$TMP/info" "^DPDK: up (DPDK "
expect_grep "info: EAL arguments shown" "$TMP/info" "eal: --no-huge"
expect_grep "info: device and PMD" "$TMP/info" "device crypto_aesni_mb0: pmd crypto_aesni_mb,"
expect_grep "info: queue pairs (kaccel-dpdk-queue-pairs)" "$TMP/info" "4 queue pairs"
expect_grep "info: the device's algorithms" "$TMP/info" "algorithms: .*AES-128-CBC"
expect_grep "info: routing header" "$TMP/info" "offload to (backend:driver|device)"
expect_grep "info: AES-128-CBC routed to dpdk:crypto_aesni_mb0" "$TMP/info" \
    "^  AES-128-CBC  *yes  *dpdk:crypto_aesni_mb0 "
expect_grep "info: SHA2-256 routed to dpdk:crypto_aesni_mb0" "$TMP/info" \
    "^  SHA2-256  *yes  *dpdk:crypto_aesni_mb0 "
# An algorithm the device does not offer goes to the next backend or software.
if grep "^  SHA3-256 " "$TMP/info" | grep -q "dpdk"; then
    not_ok "info: SHA3-256 routed to DPDK, which aesni_mb cannot do"
else
    ok "info: SHA3-256 (not offered by aesni_mb) not routed to DPDK"
fi
kaccel_cnf "$TMP/d1.cnf" "kaccel-backends = dpdk" "kaccel-dpdk-eal = $eal" "kaccel-algorithms = all"
OPENSSL_CONF="$TMP/d1.cnf" "$KACCEL_TOOL" info >"$TMP/info.1" 2>&1
expect_grep "info: DPDK alone, SHA3-256 in software and why" "$TMP/info.1" \
    "^  SHA3-256  *yes  *software .*no configured device offers it"
if grep -q "dpdk:dpdk" "$TMP/info"; then
    not_ok "info: a route still names no device (dpdk:dpdk) with the EAL up"
else
    ok "info: every DPDK route names its device"
fi
if grep -q "^EAL\|^kaccel: " "$TMP/info"; then
    not_ok "info: EAL output on stdout"; grep "^EAL\|^kaccel: " "$TMP/info"
else
    ok "info: no EAL output on stdout"
fi

# The provider parameter itself, through OSSL_PROVIDER_get_params: checked by
# kaccel info above; without dpdk in kaccel-backends there is no DPDK section.
kaccel_cnf "$TMP/a.cnf" "kaccel-backends = afalg" "kaccel-dpdk-eal = $eal"
OPENSSL_CONF="$TMP/a.cnf" "$KACCEL_TOOL" info >"$TMP/info.a" 2>&1
if grep -q "^DPDK" "$TMP/info.a"; then
    not_ok "info without dpdk in kaccel-backends shows a DPDK section"
else
    ok "info without dpdk in kaccel-backends: no DPDK section"
fi

# examples/openssl-dpdk.cnf is valid, and works with this system's PMD folder.
ex="$KACCEL_SRC/examples/openssl-dpdk.cnf"
"$KACCEL_TOOL" config "$ex" >"$TMP/ex.chk" 2>&1 && ok "examples/openssl-dpdk.cnf valid" ||
    { not_ok "examples/openssl-dpdk.cnf rejected"; cat "$TMP/ex.chk"; }
sed "s|-d /usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0/|-d $KACCEL_DPDK_PMD_DIR/|" "$ex" >"$TMP/ex.cnf"
OPENSSL_CONF="$TMP/ex.cnf" "$KACCEL_TOOL" info >"$TMP/info.ex" 2>&1
expect_grep "examples/openssl-dpdk.cnf: DPDK up" "$TMP/info.ex" "^DPDK: up"
expect_grep "examples/openssl-dpdk.cnf: AES-128-CBC on crypto_aesni_mb0" "$TMP/info.ex" \
    "^  AES-128-CBC  *yes  *dpdk:crypto_aesni_mb0 "

# A device name that matches nothing: the EAL comes up, DPDK is unavailable.
kaccel_cnf "$TMP/n.cnf" "kaccel-backends = dpdk" "kaccel-dpdk-eal = $eal" \
    "kaccel-dpdk-devices = crypto_nosuch0" "kaccel-algorithms = all"
OPENSSL_CONF="$TMP/n.cnf" "$KACCEL_TOOL" info >"$TMP/info.n" 2>&1 &&
    ok "no matching device: kaccel info exits 0" || not_ok "no matching device: kaccel info failed"
expect_grep "no matching device: DPDK unavailable, reason given" "$TMP/info.n" \
    "^DPDK: unavailable: .*kaccel-dpdk-devices"
expect_grep "no matching device: routes fall through" "$TMP/info.n" "DPDK is not up in this process"

# A bad EAL argument: bring-up fails, the reason is shown, nothing else fails.
kaccel_cnf "$TMP/b.cnf" "kaccel-backends = dpdk" \
    "kaccel-dpdk-eal = --no-huge --no-pci --no-shconf -m 256 --no-such-eal-option"
OPENSSL_CONF="$TMP/b.cnf" "$KACCEL_TOOL" info >"$TMP/info.b" 2>/dev/null &&
    ok "bad EAL argument: kaccel info exits 0" || not_ok "bad EAL argument: kaccel info failed"
expect_grep "bad EAL argument: DPDK unavailable, reason given" "$TMP/info.b" \
    "^DPDK: unavailable: EAL bring-up failed.*kaccel-dpdk-eal"
# and the routes say where the algorithms go now, and why
expect_grep "bad EAL argument: routes to software, reason given" "$TMP/info.b" \
    "^  AES-128-CBC .* software .*EAL bring-up failed"
if grep -q "dpdk:dpdk" "$TMP/info.b"; then
    not_ok "bad EAL argument: a route still names DPDK"
else
    ok "bad EAL argument: no route names DPDK"
fi

finish
