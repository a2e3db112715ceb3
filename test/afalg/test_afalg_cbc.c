/*
 * AES-CBC through the kernel's virtio-crypto driver, bound by driver name,
 * compared byte for byte with OpenSSL's default provider and with libkcapi.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <kcapi.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "afalg_guard.h"
#include "backend/afalg/afalg.h"
#include "backend/afalg/kcrypto.h"

#define DRIVER "virtio_crypto_aes_cbc"

static const size_t sizes[] = { 16, 32, 48, 256, 1024, 4096, 16384, 65536 };

static void ossl_cbc(int enc, const unsigned char *key, size_t keylen, const unsigned char *iv,
                     const unsigned char *in, size_t len, unsigned char *out)
{
    static const char *const names[] = { "AES-128-CBC", "AES-192-CBC", "AES-256-CBC" };
    EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, names[(keylen - 16) / 8], "provider=default");
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0;

    assert_non_null(c);
    assert_non_null(ctx);
    assert_int_equal(EVP_CipherInit_ex2(ctx, c, key, iv, enc, NULL), 1);
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    assert_int_equal(EVP_CipherUpdate(ctx, out, &n1, in, (int)len), 1);
    assert_int_equal(EVP_CipherFinal_ex(ctx, out + n1, &n2), 1);
    assert_int_equal((size_t)(n1 + n2), len);
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(c);
}

static void kcapi_cbc(const unsigned char *key, size_t keylen, const unsigned char *iv,
                      const unsigned char *in, size_t len, unsigned char *out)
{
    struct kcapi_handle *h = NULL;

    assert_int_equal(kcapi_cipher_init(&h, DRIVER, 0), 0);
    assert_int_equal(kcapi_cipher_setkey(h, key, (uint32_t)keylen), 0);
    assert_int_equal(kcapi_cipher_encrypt(h, in, len, iv, out, len, KCAPI_ACCESS_SENDMSG),
                     (ssize_t)len);
    kcapi_cipher_destroy(h);
}

static void test_driver_listed(void **state)
{
    struct kac_kcrypto kc;
    const struct kac_kdriver *d;
    size_t i;
    int found = 0;

    assert_true(kac_kcrypto_load(&kc));
    for (i = 0; i < kc.n; i++)
        if (strcmp(kc.v[i].driver, DRIVER) == 0) {
            found = 1;
            assert_string_equal(kc.v[i].name, "cbc(aes)");
            assert_true(kc.v[i].hardware);
        }
    assert_true(found);
    d = kac_kcrypto_best(&kc, "cbc(aes)", 1);
    assert_non_null(d);
    assert_string_equal(d->driver, DRIVER);
    kac_kcrypto_free(&kc);
}

static void test_cbc_matches(void **state)
{
    size_t k, i;

    for (k = 16; k <= 32; k += 8) {
        unsigned char key[32], iv[16];
        int fd;

        assert_int_equal(RAND_bytes(key, sizeof(key)), 1);
        fd = kac_afalg_open("skcipher", DRIVER, key, k, 0);
        if (fd < 0)
            fail_msg("bind/setkey/accept %s keylen %zu: %s", DRIVER, k, strerror(-fd));
        for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            size_t len = sizes[i];
            unsigned char *pt = malloc(len), *ct = malloc(len), *ref = malloc(len),
                          *kref = malloc(len), *back = malloc(len);

            assert_non_null(pt);
            assert_non_null(ct);
            assert_non_null(ref);
            assert_non_null(kref);
            assert_non_null(back);
            assert_int_equal(RAND_bytes(pt, (int)len), 1);
            assert_int_equal(RAND_bytes(iv, sizeof(iv)), 1);

            assert_int_equal(kac_afalg_cipher(fd, 1, iv, 16, pt, len, ct), 0);
            ossl_cbc(1, key, k, iv, pt, len, ref);
            assert_memory_equal(ct, ref, len);
            kcapi_cbc(key, k, iv, pt, len, kref);
            assert_memory_equal(ct, kref, len);

            assert_int_equal(kac_afalg_cipher(fd, 0, iv, 16, ct, len, back), 0);
            assert_memory_equal(back, pt, len);

            /* in place */
            memcpy(back, pt, len);
            assert_int_equal(kac_afalg_cipher(fd, 1, iv, 16, back, len, back), 0);
            assert_memory_equal(back, ref, len);
            printf("# %s AES-%zu-CBC %6zu bytes: matches OpenSSL and libkcapi\n", DRIVER,
                   k * 8, len);
            free(pt);
            free(ct);
            free(ref);
            free(kref);
            free(back);
        }
        close(fd);
    }
}

static void test_bad_inputs(void **state)
{
    unsigned char key[16] = { 0 }, buf[32] = { 0 }, iv[16] = { 0 };
    int fd;

    /* AES takes 16, 24 or 32 byte keys */
    fd = kac_afalg_open("skcipher", DRIVER, key, 15, 0);
    assert_true(fd < 0);
    fd = kac_afalg_open("skcipher", "no_such_driver_xyz", key, 16, 0);
    assert_true(fd < 0);
    fd = kac_afalg_open("skcipher", DRIVER, key, 16, 0);
    assert_true(fd >= 0);
    /* CBC needs whole blocks */
    assert_true(kac_afalg_cipher(fd, 1, iv, 16, buf, 17, buf) < 0);
    assert_int_equal(kac_afalg_cipher(fd, 1, iv, 16, buf, KAC_AFALG_MAX_CHUNK + 16, buf),
                     -EMSGSIZE);
    close(fd);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_driver_listed),
        cmocka_unit_test(test_cbc_matches),
        cmocka_unit_test(test_bad_inputs),
    };

    kac_test_need_afalg(argv[0]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
