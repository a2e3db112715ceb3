/* /proc/crypto parsing and the hardware-driver policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "backend/afalg/kcrypto.h"

static void test_classification(void **state)
{
    static const char *const hw[] = {
        "virtio_crypto_aes_cbc", "qat_aes_cbc", "qat-aes-gcm", "cbc-aes-ccp",
        "cbc-aes-caam", "hisi_sec_cbc(aes)", "sha256-caam-hash", "safexcel-cbc-aes",
        "atmel-cbc-aes", "mv-cbc-aes", "cbc-aes-talitos", "n5_cbc(aes)",
    };
    static const char *const sw[] = {
        "cbc(aes-generic)", "cbc-aes-aesni", "__cbc-aes-aesni", "cryptd(__cbc-aes-aesni)",
        "ecb(aes-fixed-time)", "cbc(ecb(aes-fixed-time))", "sha256-ni", "sha256-avx2",
        "sha1-ssse3", "sha1-lib", "sha3-256-generic", "ghash-clmulni",
        "gcm_base(ctr(aes-aesni),ghash-clmulni)", "rfc7539(chacha20-simd,poly1305-simd)",
        "hmac(sha256-lib)", "cmac(aes-aesni)", "cbc-aes-ce", "cbc-aes-neonbs",
        "sha256-arm64", "xts-aes-vaes-avx10_256", "p8_aes_cbc", "cbc-aes-s390",
        "cbc(virtio_crypto_aes_ecb)", "",
    };
    size_t i;

    for (i = 0; i < sizeof(hw) / sizeof(hw[0]); i++)
        if (!kac_kdriver_is_hardware(hw[i]))
            fail_msg("expected hardware: %s", hw[i]);
    for (i = 0; i < sizeof(sw) / sizeof(sw[0]); i++)
        if (kac_kdriver_is_hardware(sw[i]))
            fail_msg("expected software: %s", sw[i]);
}

static const char fixture[] =
    "name         : cbc(aes)\n"
    "driver       : cbc-aes-aesni\n"
    "module       : aesni_intel\n"
    "priority     : 400\n"
    "refcnt       : 1\n"
    "selftest     : passed\n"
    "internal     : no\n"
    "type         : skcipher\n"
    "async        : yes\n"
    "blocksize    : 16\n"
    "\n"
    "name         : cbc(aes)\n"
    "driver       : virtio_crypto_aes_cbc\n"
    "module       : virtio_crypto\n"
    "priority     : 150\n"
    "refcnt       : 1\n"
    "selftest     : passed\n"
    "internal     : no\n"
    "type         : skcipher\n"
    "async        : yes\n"
    "\n"
    "name         : cbc(aes)\n"
    "driver       : broken_hw_cbc\n"
    "module       : broken\n"
    "priority     : 900\n"
    "selftest     : unknown\n"
    "internal     : no\n"
    "type         : skcipher\n"
    "\n"
    "name         : __cbc(aes)\n"
    "driver       : __cbc-aes-aesni\n"
    "module       : aesni_intel\n"
    "priority     : 400\n"
    "selftest     : passed\n"
    "internal     : yes\n"
    "type         : skcipher\n"
    "\n"
    "name         : aes\n"
    "driver       : aes-aesni\n"
    "module       : aesni_intel\n"
    "priority     : 300\n"
    "selftest     : passed\n"
    "internal     : no\n"
    "type         : cipher\n"
    "\n"
    "name         : sha256\n"
    "driver       : sha256-avx2\n"
    "module       : sha256_ssse3\n"
    "priority     : 170\n"
    "selftest     : passed\n"
    "internal     : no\n"
    "type         : shash\n";

static void test_parse_and_best(void **state)
{
    FILE *f = fmemopen((void *)fixture, sizeof(fixture) - 1, "r");
    struct kac_kcrypto kc;
    const struct kac_kdriver *d;

    assert_non_null(f);
    assert_true(kac_kcrypto_parse(f, &kc));
    fclose(f);
    assert_int_equal(kc.n, 6);
    assert_string_equal(kc.v[1].driver, "virtio_crypto_aes_cbc");
    assert_string_equal(kc.v[1].module, "virtio_crypto");
    assert_int_equal(kc.v[1].priority, 150);
    assert_true(kc.v[1].async);
    assert_true(kc.v[1].hardware);
    assert_false(kc.v[0].hardware);
    assert_true(kc.v[3].internal);
    assert_false(kc.v[2].selftest_ok);

    d = kac_kcrypto_best(&kc, "cbc(aes)", 0);
    assert_non_null(d);
    assert_string_equal(d->driver, "cbc-aes-aesni"); /* 900 failed its selftest */
    d = kac_kcrypto_best(&kc, "cbc(aes)", 1);
    assert_non_null(d);
    assert_string_equal(d->driver, "virtio_crypto_aes_cbc");
    assert_null(kac_kcrypto_best(&kc, "aes", 0)); /* single-block cipher: no AF_ALG type */
    assert_null(kac_kcrypto_best(&kc, "sha256", 1));
    assert_non_null(kac_kcrypto_best(&kc, "sha256", 0));
    assert_null(kac_kcrypto_best(&kc, "gcm(aes)", 0));
    kac_kcrypto_free(&kc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classification),
        cmocka_unit_test(test_parse_and_best),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
