#!/bin/sh
# openssl list / dgst / mac through kaccel: with kaccel-algorithms = all every
# algorithm is listed under kaccel; digests and MACs equal the default
# provider's; bad input gives a clear error.
. "$(dirname "$0")/lib.sh"

kaccel_cnf "$TMP/k.cnf" "kaccel-algorithms = all" "kaccel-afalg-drivers = any" \
    "kaccel-min-offload = 0"
K="-propquery provider=kaccel"

OPENSSL_CONF="$TMP/k.cnf" ossl list -cipher-algorithms $K >"$TMP/c" 2>&1
for a in AES-128-ECB AES-192-ECB AES-256-ECB AES-128-CBC AES-192-CBC AES-256-CBC AES-128-CTR \
    AES-192-CTR AES-256-CTR AES-128-XTS AES-256-XTS AES-128-GCM AES-192-GCM AES-256-GCM \
    AES-128-CCM AES-192-CCM AES-256-CCM ChaCha20-Poly1305; do
    grep -qi " $a[ ,}].*@ kaccel" "$TMP/c" && ok "list: cipher $a offered by kaccel" ||
        not_ok "list: cipher $a not offered by kaccel"
done
OPENSSL_CONF="$TMP/k.cnf" ossl list -digest-algorithms $K >"$TMP/d" 2>&1
for a in SHA1 SHA2-224 SHA2-256 SHA2-384 SHA2-512 SHA3-224 SHA3-256 SHA3-384 SHA3-512; do
    expect_grep "list: digest $a offered by kaccel" "$TMP/d" "$a[ ,}].*@ kaccel"
done
OPENSSL_CONF="$TMP/k.cnf" ossl list -mac-algorithms $K >"$TMP/m" 2>&1
expect_grep "list: HMAC offered by kaccel" "$TMP/m" "HMAC @ kaccel"
expect_grep "list: CMAC offered by kaccel" "$TMP/m" "CMAC @ kaccel"

: >"$TMP/empty"
head -c 100 /dev/urandom >"$TMP/small"
head -c 70000 /dev/urandom >"$TMP/big"
for f in empty small big; do
    for d in sha1 sha224 sha256 sha384 sha512 sha3-224 sha3-256 sha3-384 sha3-512; do
        a=$(OPENSSL_CONF="$TMP/k.cnf" ossl dgst -$d $K -r "$TMP/$f" 2>&1)
        b=$(OPENSSL_CONF=/dev/null ossl dgst -$d -r "$TMP/$f" 2>&1)
        [ "$a" = "$b" ] && ok "dgst $d $f" || { not_ok "dgst $d $f: '$a' != '$b'"; }
    done
    for d in SHA1 SHA256 SHA512 SHA3-256; do
        a=$(OPENSSL_CONF="$TMP/k.cnf" ossl mac $K -digest $d -macopt hexkey:000102030405060708090a0b0c0d0e0f -in "$TMP/$f" HMAC 2>&1)
        b=$(OPENSSL_CONF=/dev/null ossl mac -digest $d -macopt hexkey:000102030405060708090a0b0c0d0e0f -in "$TMP/$f" HMAC 2>&1)
        [ -n "$a" ] && [ "$a" = "$b" ] && ok "mac HMAC-$d $f" || not_ok "mac HMAC-$d $f: '$a' != '$b'"
    done
    for c in AES-128-CBC AES-256-CBC; do
        k=000102030405060708090a0b0c0d0e0f
        [ $c = AES-256-CBC ] && k=$k$k
        a=$(OPENSSL_CONF="$TMP/k.cnf" ossl mac $K -cipher $c -macopt hexkey:$k -in "$TMP/$f" CMAC 2>&1)
        b=$(OPENSSL_CONF=/dev/null ossl mac -cipher $c -macopt hexkey:$k -in "$TMP/$f" CMAC 2>&1)
        [ -n "$a" ] && [ "$a" = "$b" ] && ok "mac CMAC-$c $f" || not_ok "mac CMAC-$c $f: '$a' != '$b'"
    done
done
# dgst -hmac signs with an EVP_PKEY HMAC key: the default provider's adaptor, whose
# MAC and digest come from kaccel when kaccel is preferred (as in deployments).
kaccel_cnf_props "$TMP/pref.cnf" "?provider=kaccel" "kaccel-algorithms = all" \
    "kaccel-afalg-drivers = any" "kaccel-min-offload = 0"
a=$(OPENSSL_CONF="$TMP/pref.cnf" ossl dgst -sha256 -hmac secret -r "$TMP/big" 2>&1)
b=$(OPENSSL_CONF=/dev/null ossl dgst -sha256 -hmac secret -r "$TMP/big" 2>&1)
[ "$a" = "$b" ] && ok "dgst -hmac with kaccel preferred" || not_ok "dgst -hmac: '$a' != '$b'"

# Bad input
if OPENSSL_CONF="$TMP/k.cnf" ossl mac $K -digest SHA256 -in "$TMP/small" HMAC >"$TMP/e" 2>&1; then
    not_ok "HMAC without a key must fail"
else
    ok "HMAC without a key fails"
fi
if OPENSSL_CONF="$TMP/k.cnf" ossl mac $K -cipher AES-128-CBC -macopt hexkey:0001 -in "$TMP/small" CMAC >"$TMP/e" 2>&1; then
    not_ok "CMAC with a 2-byte AES key must fail"
else
    ok "CMAC with a bad key length fails"
fi

# Counters: the digests ran through kaccel (offloaded where AF_ALG exists).
OPENSSL_CONF="$TMP/k.cnf" "$KACCEL_TOOL" stats -- $OSSL dgst -sha256 $K "$TMP/big" >"$TMP/stats" 2>&1
expect_offloaded SHA2-256 "$TMP/stats"

finish
