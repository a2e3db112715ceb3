#include "selftest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "backend/afalg/afalg.h"
#include "backend/afalg/kcrypto.h"

struct st_alg {
    const char *kname;   /* kernel algorithm */
    const char *ossl;    /* OpenSSL reference */
    size_t keylen, ivlen;
};

static const struct st_alg st_algs[] = {
    { "ecb(aes)", "AES-128-ECB", 16, 0 },  { "ecb(aes)", "AES-256-ECB", 32, 0 },
    { "cbc(aes)", "AES-128-CBC", 16, 16 }, { "cbc(aes)", "AES-192-CBC", 24, 16 },
    { "cbc(aes)", "AES-256-CBC", 32, 16 }, { "ctr(aes)", "AES-128-CTR", 16, 16 },
    { "ctr(aes)", "AES-256-CTR", 32, 16 }, { "xts(aes)", "AES-128-XTS", 32, 16 },
    { "xts(aes)", "AES-256-XTS", 64, 16 },
};

static int ossl_ref(const struct st_alg *a, const unsigned char *key, const unsigned char *iv,
                    const unsigned char *in, size_t len, unsigned char *out)
{
    EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, a->ossl, "provider=default");
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0, ok;

    ok = c != NULL && ctx != NULL && EVP_EncryptInit_ex2(ctx, c, key, iv, NULL)
         && EVP_CIPHER_CTX_set_padding(ctx, 0)
         && EVP_EncryptUpdate(ctx, out, &n1, in, (int)len)
         && EVP_EncryptFinal_ex(ctx, out + n1, &n2) && (size_t)(n1 + n2) == len;
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(c);
    return ok;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int kac_selftest(int any_driver, size_t len, FILE *out)
{
    struct kac_kcrypto kc;
    unsigned char key[64], iv[16], *pt, *ct, *ref, *back;
    size_t i;
    int failed = 0, ran = 0;

    if (!kac_afalg_available()) {
        fprintf(out, "AF_ALG unavailable on this kernel: nothing to test\n");
        return 77;
    }
    if (!kac_kcrypto_load(&kc)) {
        fprintf(out, "cannot read /proc/crypto\n");
        return 1;
    }
    pt = malloc(len);
    ct = malloc(len);
    ref = malloc(len);
    back = malloc(len);
    if (pt == NULL || ct == NULL || ref == NULL || back == NULL) {
        fprintf(out, "out of memory\n");
        failed = 1;
        goto end;
    }
    fprintf(out, "%-12s %-28s %-8s %-6s %s\n", "algorithm", "kernel driver", "hardware",
            "result", "time/op");
    for (i = 0; i < sizeof(st_algs) / sizeof(st_algs[0]); i++) {
        const struct st_alg *a = &st_algs[i];
        const struct kac_kdriver *d = kac_kcrypto_best(&kc, a->kname, !any_driver);
        double t0, t1;
        int fd, r;

        if (d == NULL) {
            fprintf(out, "%-12s %-28s %-8s %s\n", a->ossl, "-", "-",
                    any_driver ? "no driver" : "no hardware driver");
            continue;
        }
        if (RAND_bytes(key, (int)a->keylen) != 1 || RAND_bytes(iv, sizeof(iv)) != 1
            || RAND_bytes(pt, (int)len) != 1) {
            failed++;
            continue;
        }
        if (strcmp(a->kname, "xts(aes)") == 0)
            key[a->keylen / 2] ^= (unsigned char)(key[0] == key[a->keylen / 2]); /* K1 != K2 */
        fd = kac_afalg_open("skcipher", d->driver, key, a->keylen, 0);
        if (fd < 0) {
            fprintf(out, "%-12s %-28s %-8s FAIL   bind/setkey: %s\n", a->ossl, d->driver,
                    d->hardware ? "yes" : "no", strerror(-fd));
            failed++;
            continue;
        }
        t0 = now();
        r = kac_afalg_cipher(fd, 1, iv, a->ivlen, pt, len, ct);
        t1 = now();
        if (r == 0)
            r = kac_afalg_cipher(fd, 0, iv, a->ivlen, ct, len, back);
        close(fd);
        ran++;
        if (r != 0) {
            fprintf(out, "%-12s %-28s %-8s FAIL   %s\n", a->ossl, d->driver,
                    d->hardware ? "yes" : "no", strerror(-r));
            failed++;
        } else if (!ossl_ref(a, key, a->ivlen ? iv : NULL, pt, len, ref)
                   || memcmp(ct, ref, len) != 0 || memcmp(back, pt, len) != 0) {
            fprintf(out, "%-12s %-28s %-8s FAIL   differs from OpenSSL\n", a->ossl, d->driver,
                    d->hardware ? "yes" : "no");
            failed++;
        } else {
            fprintf(out, "%-12s %-28s %-8s ok     %.0f us\n", a->ossl, d->driver,
                    d->hardware ? "yes" : "no", (t1 - t0) * 1e6);
        }
    }
    fprintf(out, "%d algorithm(s) checked on %zu-byte buffers, %d failed\n", ran, len, failed);
end:
    free(pt);
    free(ct);
    free(ref);
    free(back);
    kac_kcrypto_free(&kc);
    return failed ? 1 : 0;
}
