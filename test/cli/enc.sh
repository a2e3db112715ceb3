#!/bin/sh
# openssl enc through kaccel, cross-checked with the default provider both ways;
# bad input gives a clear error; counters show where the work went (offloaded
# when AF_ALG is present, i.e. in the guest).
. "$(dirname "$0")/lib.sh"

kaccel_cnf "$TMP/k.cnf" "kaccel-algorithms = all" "kaccel-afalg-drivers = any" \
    "kaccel-min-offload = 0"
head -c 100000 /dev/urandom >"$TMP/pt"
head -c 4097 /dev/urandom >"$TMP/pt2"

KACCEL="-propquery provider=kaccel"
for c in aes-128-cbc aes-192-cbc aes-256-cbc aes-128-ecb aes-256-ecb aes-128-ctr aes-256-ctr; do
    case $c in
        aes-128*) k=000102030405060708090a0b0c0d0e0f ;;
        aes-192*) k=000102030405060708090a0b0c0d0e0f1011121314151617 ;;
        *) k=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f ;;
    esac
    case $c in *ecb) iv= ;; *) iv="-iv 0f0e0d0c0b0a09080706050403020100" ;; esac
    for f in pt pt2; do
        OPENSSL_CONF="$TMP/k.cnf" ossl enc -$c -K $k $iv $KACCEL -in "$TMP/$f" -out "$TMP/ct.k" 2>"$TMP/err" ||
            { not_ok "$c $f: kaccel encrypt failed"; cat "$TMP/err"; continue; }
        OPENSSL_CONF=/dev/null ossl enc -$c -K $k $iv -in "$TMP/$f" -out "$TMP/ct.d"
        cmp -s "$TMP/ct.k" "$TMP/ct.d" && ok "$c $f: kaccel ciphertext equals default's" ||
            not_ok "$c $f: ciphertexts differ"
        OPENSSL_CONF=/dev/null ossl enc -d -$c -K $k $iv -in "$TMP/ct.k" -out "$TMP/back.d" &&
            cmp -s "$TMP/back.d" "$TMP/$f" && ok "$c $f: default decrypts kaccel's" ||
            not_ok "$c $f: default cannot decrypt kaccel's"
        OPENSSL_CONF="$TMP/k.cnf" ossl enc -d -$c -K $k $iv $KACCEL -in "$TMP/ct.d" -out "$TMP/back.k" &&
            cmp -s "$TMP/back.k" "$TMP/$f" && ok "$c $f: kaccel decrypts default's" ||
            not_ok "$c $f: kaccel cannot decrypt default's"
    done
done

# The implementation really is kaccel's: the provider must be named in -list output
OPENSSL_CONF="$TMP/k.cnf" ossl list -cipher-algorithms $KACCEL >"$TMP/list" 2>&1
expect_grep "AES-128-CBC offered by kaccel" "$TMP/list" "AES-128-CBC.*@ kaccel"
expect_grep "AES-256-XTS offered by kaccel" "$TMP/list" "AES-256-XTS.*@ kaccel"

# Bad input: a wrong key for the padding check, a short key. The plaintext is
# fixed: with random data a wrong key yields valid padding about once in 256 runs.
head -c 4097 /dev/zero >"$TMP/pt.fixed"
OPENSSL_CONF=/dev/null ossl enc -aes-128-cbc -K 000102030405060708090a0b0c0d0e0f -iv 00 -in "$TMP/pt.fixed" -out "$TMP/ct.bad"
OPENSSL_CONF=/dev/null ossl enc -d -aes-128-cbc -K ffffffffffffffffffffffffffffffff -iv 00 \
    -in "$TMP/ct.bad" -out /dev/null 2>/dev/null &&
    not_ok "wrong key: the fixed input must fail the default provider's padding check too"
if OPENSSL_CONF="$TMP/k.cnf" ossl enc -d -aes-128-cbc -K ffffffffffffffffffffffffffffffff -iv 00 $KACCEL \
    -in "$TMP/ct.bad" -out /dev/null 2>"$TMP/err"; then
    not_ok "wrong key: decryption must fail"
else
    expect_grep "wrong key: bad decrypt reported" "$TMP/err" "bad decrypt"
fi

# Counters through kaccel stats.
OPENSSL_CONF="$TMP/k.cnf" "$KACCEL_TOOL" stats -- $OSSL enc -aes-128-cbc \
    -K 000102030405060708090a0b0c0d0e0f -iv 00 $KACCEL -in "$TMP/pt" -out /dev/null >"$TMP/stats" 2>&1
expect_grep "kaccel stats reports the process" "$TMP/stats" "1 process report"
expect_offloaded AES-128-CBC "$TMP/stats"

finish
