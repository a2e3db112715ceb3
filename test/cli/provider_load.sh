#!/bin/sh
# The provider loads from openssl.cnf and from the command line, reports its
# parameters, and refuses malformed configuration naming the key and value.
. "$(dirname "$0")/lib.sh"

cnf="$KACCEL_SRC/examples/openssl.cnf"

OPENSSL_CONF="$cnf" ossl list -providers -verbose >"$TMP/list" 2>&1
expect_grep "openssl.cnf: kaccel listed" "$TMP/list" "^  kaccel"
expect_grep "openssl.cnf: kaccel active" "$TMP/list" "status: active"
expect_grep "openssl.cnf: buildinfo" "$TMP/list" "build info: kaccel"
expect_grep "openssl.cnf: default still active" "$TMP/list" "OpenSSL Default Provider"

OPENSSL_CONF=/dev/null ossl list -providers -verbose -provider kaccel >"$TMP/cmd" 2>&1
expect_grep "-provider kaccel: active" "$TMP/cmd" "status: active"
expect_grep "-provider kaccel: kaccel-min-offload gettable" "$TMP/cmd" "kaccel-min-offload"

# The configuration in force reaches the provider's parameters.
sed 's/^kaccel-min-offload = .*/kaccel-min-offload = 64k/' "$cnf" >"$TMP/64k.cnf"
OPENSSL_CONF="$TMP/64k.cnf" "$KACCEL_TOOL" info >"$TMP/info" 2>&1
expect_grep "kaccel info shows configured min-offload" "$TMP/info" "min-offload  65536 bytes"
expect_grep "kaccel info validates the config" "$TMP/info" "kaccel configuration valid"

# Malformed values: the provider refuses to load with an error naming key and value.
# OpenSSL 3.0 discards activation errors of providers activated from openssl.cnf,
# so the section is left unactivated and the provider is loaded with -provider.
bad() { # NAME KEY VALUE PATTERN
    sed -e "s/^$2 = .*/$2 = $3/" "$cnf" |
        awk '/^\[kaccel_sect\]/{s=1} s && /^activate/{next} {print}' >"$TMP/$1.cnf"
    if OPENSSL_CONF="$TMP/$1.cnf" ossl list -providers -provider kaccel >"$TMP/$1.out" 2>&1; then
        not_ok "$1: provider loaded despite $2 = $3"
    else
        ok "$1: provider refused to load"
    fi
    expect_grep "$1: error names the key" "$TMP/$1.out" "$2"
    expect_grep "$1: error names the value" "$TMP/$1.out" "\"$3\""
    expect_grep "$1: error says why" "$TMP/$1.out" "$4"
    if "$KACCEL_TOOL" config "$TMP/$1.cnf" >"$TMP/$1.chk" 2>&1; then
        not_ok "$1: kaccel config accepted it"
    else
        ok "$1: kaccel config rejects it"
    fi
    expect_grep "$1: kaccel config names key and value" "$TMP/$1.chk" "$2 = \"$3\""
}
bad backends kaccel-backends nosuch "unknown backend"
bad minoffload kaccel-min-offload lots "not a byte count"
bad negative kaccel-min-offload -5 "not a byte count"

# Activated from openssl.cnf with a bad value, OpenSSL 3.0 drops the provider:
# it must not appear as active, and kaccel config must flag the file.
sed 's/^kaccel-backends = .*/kaccel-backends = nosuch/' "$cnf" >"$TMP/act.cnf"
OPENSSL_CONF="$TMP/act.cnf" ossl list -providers >"$TMP/act.out" 2>&1
if grep -q "^  kaccel" "$TMP/act.out"; then
    not_ok "activated bad config: kaccel must not be active"
else
    ok "activated bad config: kaccel not loaded"
fi
OPENSSL_CONF="$TMP/act.cnf" "$KACCEL_TOOL" config >"$TMP/act.chk" 2>&1 &&
    not_ok "kaccel config (OPENSSL_CONF) accepted a bad file" ||
    ok "kaccel config (OPENSSL_CONF) rejects a bad file"

# Keys the provider cannot see (OpenSSL passes only requested keys) are caught by kaccel config.
printf 'kaccel-min-ofload = 5\n' >>"$TMP/64k.cnf"
"$KACCEL_TOOL" config "$TMP/64k.cnf" >"$TMP/typo.chk" 2>&1 &&
    not_ok "kaccel config accepted a misspelt key" || ok "kaccel config rejects a misspelt key"
expect_grep "kaccel config names the misspelt key" "$TMP/typo.chk" "kaccel-min-ofload"

finish
