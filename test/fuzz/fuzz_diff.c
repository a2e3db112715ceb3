/*
 * Differential fuzzing: one program read from the fuzzer's input runs, call
 * for call, on a context of kaccel (one of several routing configurations,
 * so the same sizes go to offload or software) and on one of OpenSSL's
 * default provider, and every call must give the same result:
 *
 *  - the same success or failure, the same output length;
 *  - the same output buffer, compared whole (bytes past the reported length
 *    included: both start from the same fill), after every call, failed
 *    calls included;
 *  - AEAD decryption with a corrupted tag or ciphertext: wherever the
 *    default provider releases no plaintext (a failed update: CCM; a failed
 *    TLS 1.2 record), kaccel's output buffer holds no plaintext either (it is
 *    the default provider's buffer byte for byte, and, checked on its own,
 *    not the plaintext).  Streaming GCM and ChaCha20-Poly1305 release each
 *    update's output in both and EVP_DecryptFinal fails in both.
 *
 * Programs: every cipher, AEAD, digest and MAC kaccel registers (src/core/
 * alg_list.h; HMAC and CMAC also over digests and ciphers kaccel does not
 * offload); keys, IVs, IV and tag lengths, AAD, chunking of the updates, in
 * place or not, EVP_Cipher() raw calls, context copies (EVP_CIPHER_CTX_copy,
 * EVP_MD_CTX_copy_ex, EVP_MAC_CTX_dup) at any point continuing on the copy or
 * the original, re-init with a new IV, key or direction, padding changes,
 * TLS 1.2 records, IV and counter read-back.  A program ends at the first
 * call that fails (in both).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include "core/alg.h"
#include "fuzz_common.h"

#define MAX_LEN 70000
#define MAX_OPS 24
#define SLACK 48
#define FILL 0xa5

static struct fz_env env;

/* Extra MAC variants that kaccel computes in software (no offload variant). */
static const char *const extra_hmac[] = { "SHA2-512/256", "MD5", "BLAKE2S-256", "SHA2-224" };
static const char *const extra_cmac[] = { "ARIA-128-CBC", "DES-EDE3-CBC", "AES-128-ECB",
                                          "AES-256-CBC" };
#define NEXTRA_HMAC (sizeof(extra_hmac) / sizeof(extra_hmac[0]))
#define NEXTRA_CMAC (sizeof(extra_cmac) / sizeof(extra_cmac[0]))

struct fetched {
    EVP_CIPHER *cipher[KAC_ALG_COUNT];
    EVP_MD *md[KAC_ALG_COUNT];
    EVP_MAC *hmac, *cmac;
};
static struct fetched kf[FZ_MAX_CONFIGS], rf;

/* The program's subjects: kaccel's algorithms, then the extra MAC variants. */
enum subj_kind { S_CIPHER, S_AEAD, S_DIGEST, S_HMAC, S_CMAC };
struct subject {
    enum subj_kind kind;
    enum kac_alg_id id;   /* cipher, AEAD, digest; MAC: its variant or KAC_ALG_COUNT */
    const char *name;     /* cipher / digest name; MAC: the digest or cipher parameter */
};
static struct subject subj[KAC_ALG_COUNT + NEXTRA_HMAC + NEXTRA_CMAC];
static size_t nsubj;

static const char *kaccel_of(const void *prov)
{
    return prov != NULL ? OSSL_PROVIDER_get0_name(prov) : "(none)";
}

static void fetch_all(struct fetched *f, OSSL_LIB_CTX *ctx, const char *propq, int want_kaccel)
{
    size_t i;

    for (i = 0; i < KAC_ALG_COUNT; i++) {
        const struct kac_alg *a = &kac_algs[i];

        if (a->kind == KAC_KIND_CIPHER || a->kind == KAC_KIND_AEAD) {
            f->cipher[i] = EVP_CIPHER_fetch(ctx, a->name, propq);
            if (f->cipher[i] == NULL
                || (want_kaccel
                    && strcmp(kaccel_of(EVP_CIPHER_get0_provider(f->cipher[i])), "kaccel"))) {
                fprintf(stderr, "kac-fuzz: %s not offered by %s\n", a->name,
                        want_kaccel ? "kaccel" : "the default provider");
                exit(1);
            }
        } else if (a->kind == KAC_KIND_DIGEST) {
            f->md[i] = EVP_MD_fetch(ctx, a->name, propq);
            if (f->md[i] == NULL
                || (want_kaccel && strcmp(kaccel_of(EVP_MD_get0_provider(f->md[i])), "kaccel"))) {
                fprintf(stderr, "kac-fuzz: %s not offered\n", a->name);
                exit(1);
            }
        }
    }
    f->hmac = EVP_MAC_fetch(ctx, "HMAC", propq);
    f->cmac = EVP_MAC_fetch(ctx, "CMAC", propq);
    if (f->hmac == NULL || f->cmac == NULL
        || (want_kaccel && (strcmp(kaccel_of(EVP_MAC_get0_provider(f->hmac)), "kaccel")
                            || strcmp(kaccel_of(EVP_MAC_get0_provider(f->cmac)), "kaccel")))) {
        fprintf(stderr, "kac-fuzz: HMAC / CMAC not offered\n");
        exit(1);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    size_t i;
    int k;

    fz_env_init(&env, (*argv)[0]);
    for (k = 0; k < env.nk; k++)
        fetch_all(&kf[k], env.k[k].ctx, "provider=kaccel", 1);
    fetch_all(&rf, env.ref, NULL, 0);
    for (i = 0; i < KAC_ALG_COUNT; i++) {
        const struct kac_alg *a = &kac_algs[i];
        struct subject *s = &subj[nsubj++];

        s->id = a->id;
        switch (a->kind) {
        case KAC_KIND_CIPHER:
            s->kind = S_CIPHER;
            s->name = a->name;
            break;
        case KAC_KIND_AEAD:
            s->kind = S_AEAD;
            s->name = a->name;
            break;
        case KAC_KIND_DIGEST:
            s->kind = S_DIGEST;
            s->name = a->name;
            break;
        case KAC_KIND_MAC:
            if (a->mode == KAC_MODE_HMAC) {
                s->kind = S_HMAC;
                s->name = a->name + 5; /* "HMAC-SHA2-256" -> "SHA2-256" */
            } else {
                static char names[3][16];
                int n = a->keylen == 16 ? 0 : a->keylen == 24 ? 1 : 2;

                s->kind = S_CMAC;
                snprintf(names[n], sizeof(names[n]), "AES-%u-CBC", a->keylen * 8);
                s->name = names[n];
            }
            break;
        }
    }
    for (i = 0; i < NEXTRA_HMAC; i++)
        subj[nsubj++] = (struct subject){ S_HMAC, KAC_ALG_COUNT, extra_hmac[i] };
    for (i = 0; i < NEXTRA_CMAC; i++)
        subj[nsubj++] = (struct subject){ S_CMAC, KAC_ALG_COUNT, extra_cmac[i] };
    return 0;
}

/* ---- comparison helpers ------------------------------------------------- */

static const char *ok_str(int ok)
{
    return ok ? "succeeded" : "failed";
}

/* Same success or failure; returns 1 when both succeeded. */
static int same_ok(const char *what, int kok, int rok)
{
    if (!kok != !rok)
        fz_fail("%s: kaccel %s, the default provider %s", what, ok_str(kok), ok_str(rok));
    return kok;
}

static void same_bytes(const char *what, const unsigned char *k, const unsigned char *r, size_t n)
{
    if (memcmp(k, r, n) != 0) {
        fz_dump_diff(what, k, r, n);
        fz_fail("%s: output differs from the default provider's", what);
    }
}

/* A cleansed buffer equals an all-zero plaintext: no evidence either way. */
static int all_zero(const unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

/* Two buffers of len + SLACK bytes, filled alike (the input when in place). */
struct io {
    unsigned char *k, *r;
    size_t size;
};

static void io_new(struct io *b, size_t len, const unsigned char *in)
{
    b->size = len + SLACK;
    b->k = malloc(b->size);
    b->r = malloc(b->size);
    if (b->k == NULL || b->r == NULL)
        abort();
    memset(b->k, FILL, b->size);
    memset(b->r, FILL, b->size);
    if (in != NULL && len > 0) {
        memcpy(b->k, in, len);
        memcpy(b->r, in, len);
    }
}

static void io_free(struct io *b)
{
    free(b->k);
    free(b->r);
}

static unsigned char *input(struct fz *f, size_t len)
{
    unsigned char *p = malloc(len > 0 ? len : 1);

    if (p == NULL)
        abort();
    if (len <= 64)
        fz_bytes(f, p, len);
    else
        fz_fill(fz_u32(f) | (uint64_t)len << 32, p, len);
    return p;
}

/* ---- ciphers ------------------------------------------------------------- */

static EVP_CIPHER_CTX *cctx_copy(EVP_CIPHER_CTX *x)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

    if (c != NULL && !EVP_CIPHER_CTX_copy(c, x)) {
        EVP_CIPHER_CTX_free(c);
        c = NULL;
    }
    return c;
}

/*
 * A copy of both contexts; keep tells which continues (the copy or the
 * original), the other is freed at once.
 */
static void cipher_dup(EVP_CIPHER_CTX **kx, EVP_CIPHER_CTX **rx, int keep_copy)
{
    EVP_CIPHER_CTX *kc = cctx_copy(*kx), *rc = cctx_copy(*rx);

    fz_trace("copy, continue on the %s", keep_copy ? "copy" : "original");
    if (!same_ok("EVP_CIPHER_CTX_copy", kc != NULL, rc != NULL)) {
        return;
    }
    if (keep_copy) {
        EVP_CIPHER_CTX_free(*kx);
        EVP_CIPHER_CTX_free(*rx);
        *kx = kc;
        *rx = rc;
    } else {
        EVP_CIPHER_CTX_free(kc);
        EVP_CIPHER_CTX_free(rc);
    }
}

/* IV and counter state as the application can read them. */
/*
 * "padding" is read back for ECB and CBC only: OpenSSL's XTS ignores
 * EVP_CIPHER_CTX_set_padding() and keeps answering 1, kaccel answers the
 * value set (a parameter without meaning in a mode without padding).
 */
static void cipher_readback(EVP_CIPHER_CTX *kx, EVP_CIPHER_CTX *rx, int aead, int block)
{
    static const char *const keys[] = { OSSL_CIPHER_PARAM_UPDATED_IV, OSSL_CIPHER_PARAM_IV,
                                        OSSL_CIPHER_PARAM_NUM, OSSL_CIPHER_PARAM_IVLEN,
                                        OSSL_CIPHER_PARAM_KEYLEN, OSSL_CIPHER_PARAM_PADDING };
    size_t i;

    for (i = aead ? 3 : 0; i < sizeof(keys) / sizeof(keys[0]) - !block; i++) {
        unsigned char kb[64], rb[64];
        size_t kv = 0, rv = 0;
        OSSL_PARAM kp[2], rp[2];
        int octets = i < 2, kok, rok;
        char what[64];

        memset(kb, 0, sizeof(kb));
        memset(rb, 0, sizeof(rb));
        if (octets) {
            kp[0] = OSSL_PARAM_construct_octet_string(keys[i], kb, 16);
            rp[0] = OSSL_PARAM_construct_octet_string(keys[i], rb, 16);
        } else {
            kp[0] = OSSL_PARAM_construct_size_t(keys[i], &kv);
            rp[0] = OSSL_PARAM_construct_size_t(keys[i], &rv);
        }
        kp[1] = rp[1] = OSSL_PARAM_construct_end();
        snprintf(what, sizeof(what), "get_ctx_params %s", keys[i]);
        kok = EVP_CIPHER_CTX_get_params(kx, kp) > 0;
        rok = EVP_CIPHER_CTX_get_params(rx, rp) > 0;
        ERR_clear_error();
        if (!same_ok(what, kok, rok))
            continue;
        if (octets) {
            if (kp[0].return_size != rp[0].return_size)
                fz_fail("%s: %zu bytes, the default provider %zu", what, kp[0].return_size,
                        rp[0].return_size);
            same_bytes(what, kb, rb, sizeof(kb));
        } else if (kv != rv) {
            fz_fail("%s: %zu, the default provider %zu", what, kv, rv);
        }
    }
}

static void fuzz_cipher(struct fz *f, const EVP_CIPHER *kc, const EVP_CIPHER *rc,
                        const struct kac_alg *a)
{
    EVP_CIPHER_CTX *kx = EVP_CIPHER_CTX_new(), *rx = EVP_CIPHER_CTX_new();
    unsigned char key[64], iv[16];
    size_t keylen = (size_t)EVP_CIPHER_get_key_length(rc), op;
    int enc = fz_bool(f), block = a->mode == KAC_MODE_ECB || a->mode == KAC_MODE_CBC;
    int finished = 0, pad = 1, held = 0; /* held: a decryption holds its last block */
    size_t fed = 0; /* ECB, CBC: bytes through EVP_CipherUpdate since the init */

    if (kx == NULL || rx == NULL)
        abort();
    fz_bytes(f, key, keylen);
    if (a->mode == KAC_MODE_XTS && fz_one_in(f, 8))
        memcpy(key + keylen / 2, key, keylen / 2); /* XTS refuses equal halves */
    fz_bytes(f, iv, sizeof(iv));
    fz_trace("%s init enc=%d", a->name, enc);
    if (!same_ok("EVP_CipherInit_ex2", EVP_CipherInit_ex2(kx, kc, key, iv, enc, NULL) > 0,
                 EVP_CipherInit_ex2(rx, rc, key, iv, enc, NULL) > 0))
        goto done;
    if (block && fz_one_in(f, 4)) {
        pad = 0;
        fz_trace("padding off");
        EVP_CIPHER_CTX_set_padding(kx, 0);
        EVP_CIPHER_CTX_set_padding(rx, 0);
    }
    for (op = 0; op < MAX_OPS && !fz_empty(f); op++) {
        unsigned sel = fz_u8(f) % 16;

        if (sel <= 7 || sel >= 13) {
            /* update (sel 7: EVP_Cipher, the raw call) */
            size_t len = fz_len(f, MAX_LEN);
            int inplace = fz_bool(f), kol = 0, rol = 0, kok, rok;
            /*
             * In place only where OpenSSL defines it: for ECB and CBC, no
             * partial block buffered (a decryption with padding holds one
             * back), else the output starts ahead of the input - a partial
             * overlap, which the EVP documentation leaves undefined.
             */
            if (block && sel != 7 && (fed % 16 != 0 || held))
                inplace = 0;
            unsigned char *in = input(f, len);
            struct io o;

            io_new(&o, len, inplace ? in : NULL);
            if (sel == 7) {
                fz_trace("EVP_Cipher %zu%s", len, inplace ? " in place" : "");
                kol = EVP_Cipher(kx, o.k, inplace ? o.k : in, (unsigned)len);
                rol = EVP_Cipher(rx, o.r, inplace ? o.r : in, (unsigned)len);
                kok = kol >= 0;
                rok = rol >= 0;
                if (same_ok("EVP_Cipher", kok, rok) && kol != rol)
                    fz_fail("EVP_Cipher: kaccel returned %d, the default provider %d", kol, rol);
            } else {
                fz_trace("update %zu%s", len, inplace ? " in place" : "");
                kok = EVP_CipherUpdate(kx, o.k, &kol, inplace ? o.k : in, (int)len) > 0;
                rok = EVP_CipherUpdate(rx, o.r, &rol, inplace ? o.r : in, (int)len) > 0;
                if (same_ok("EVP_CipherUpdate", kok, rok) && kol != rol)
                    fz_fail("EVP_CipherUpdate: kaccel output %d bytes, the default provider %d",
                            kol, rol);
                fed += len;
                /* OpenSSL holds the last whole block back when decrypting with padding */
                held = !enc && pad && fed > 0 && fed % 16 == 0;
            }
            same_bytes(sel == 7 ? "EVP_Cipher" : "EVP_CipherUpdate", o.k, o.r, o.size);
            io_free(&o);
            free(in);
            if (!kok)
                goto done;
        } else if (sel == 8) {
            cipher_dup(&kx, &rx, fz_bool(f));
        } else if (sel == 9) {
            /* re-init: new IV, sometimes a new key or the other direction */
            int newkey = fz_one_in(f, 4), flip = fz_one_in(f, 4), noiv = fz_one_in(f, 6);

            if (newkey)
                fz_bytes(f, key, keylen);
            fz_bytes(f, iv, sizeof(iv));
            if (flip)
                enc = !enc;
            fz_trace("re-init%s%s%s enc=%d", newkey ? " key" : "", noiv ? "" : " iv",
                     flip ? " flip" : "", enc);
            if (!same_ok("EVP_CipherInit_ex2 (re-init)",
                         EVP_CipherInit_ex2(kx, NULL, newkey ? key : NULL, noiv ? NULL : iv, enc,
                                            NULL) > 0,
                         EVP_CipherInit_ex2(rx, NULL, newkey ? key : NULL, noiv ? NULL : iv, enc,
                                            NULL) > 0))
                goto done;
            finished = 0;
            fed = 0;
            held = 0;
        } else if (sel == 10) {
            struct io o;
            int kol = 0, rol = 0, kok, rok;

            if (finished)
                continue; /* a second final: the default provider's answer is unspecified */
            io_new(&o, 16, NULL);
            fz_trace("final");
            kok = EVP_CipherFinal_ex(kx, o.k, &kol) > 0;
            rok = EVP_CipherFinal_ex(rx, o.r, &rol) > 0;
            if (same_ok("EVP_CipherFinal_ex", kok, rok) && kol != rol)
                fz_fail("EVP_CipherFinal_ex: kaccel output %d bytes, the default provider %d",
                        kol, rol);
            same_bytes("EVP_CipherFinal_ex", o.k, o.r, o.size);
            io_free(&o);
            if (!kok)
                goto done;
            finished = 1;
            /* what follows a final is a new init (update after final is not compared) */
            fz_bytes(f, iv, sizeof(iv));
            fz_trace("re-init iv after final");
            if (!same_ok("EVP_CipherInit_ex2 (after final)",
                         EVP_CipherInit_ex2(kx, NULL, NULL, iv, enc, NULL) > 0,
                         EVP_CipherInit_ex2(rx, NULL, NULL, iv, enc, NULL) > 0))
                goto done;
            finished = 0;
            fed = 0;
            held = 0;
        } else if (sel == 11) {
            pad = fz_bool(f);
            fz_trace("padding %d", pad);
            EVP_CIPHER_CTX_set_padding(kx, pad);
            EVP_CIPHER_CTX_set_padding(rx, pad);
        } else {
            fz_trace("read back");
            cipher_readback(kx, rx, 0, block);
        }
    }
    if (!finished) {
        struct io o;
        int kol = 0, rol = 0;

        io_new(&o, 16, NULL);
        fz_trace("final (end)");
        if (same_ok("EVP_CipherFinal_ex (end)", EVP_CipherFinal_ex(kx, o.k, &kol) > 0,
                    EVP_CipherFinal_ex(rx, o.r, &rol) > 0) && kol != rol)
            fz_fail("EVP_CipherFinal_ex: kaccel output %d bytes, the default provider %d", kol,
                    rol);
        same_bytes("EVP_CipherFinal_ex (end)", o.k, o.r, o.size);
        io_free(&o);
    }
done:
    EVP_CIPHER_CTX_free(kx);
    EVP_CIPHER_CTX_free(rx);
}

/* ---- AEAD ----------------------------------------------------------------- */

static int set_size(EVP_CIPHER_CTX *x, const char *key, size_t v)
{
    OSSL_PARAM p[] = { OSSL_PARAM_size_t(key, &v), OSSL_PARAM_END };

    return EVP_CIPHER_CTX_set_params(x, p) > 0;
}

static int set_octets(EVP_CIPHER_CTX *x, const char *key, const void *data, size_t len)
{
    OSSL_PARAM p[] = { OSSL_PARAM_octet_string(key, (void *)data, len), OSSL_PARAM_END };

    return EVP_CIPHER_CTX_set_params(x, p) > 0;
}

static int get_octets(EVP_CIPHER_CTX *x, const char *key, void *data, size_t len)
{
    OSSL_PARAM p[] = { OSSL_PARAM_octet_string(key, data, len), OSSL_PARAM_END };

    return EVP_CIPHER_CTX_get_params(x, p) > 0;
}

struct aead_shape {
    const struct kac_alg *a;
    int enc;
    size_t ivlen, taglen;  /* 0: the cipher's default IV length */
    unsigned char key[32], iv[32];
    size_t keylen;
};

/* Sets up a context as the program says (IV length and CCM tag length first). */
static int aead_setup(EVP_CIPHER_CTX *x, const EVP_CIPHER *c, const struct aead_shape *s,
                      const unsigned char *tag)
{
    if (!EVP_CipherInit_ex2(x, c, NULL, NULL, s->enc, NULL))
        return 0;
    if (s->ivlen != 0 && !set_size(x, OSSL_CIPHER_PARAM_AEAD_IVLEN, s->ivlen))
        return 0;
    if (s->a->mode == KAC_MODE_CCM
        && !set_octets(x, OSSL_CIPHER_PARAM_AEAD_TAG, s->enc ? NULL : tag, s->taglen))
        return 0;
    return EVP_CipherInit_ex2(x, NULL, s->key, s->iv, s->enc, NULL) > 0;
}

static size_t pick_ivlen(struct fz *f, const struct kac_alg *a)
{
    unsigned sel = fz_u8(f) % 8;

    switch (a->mode) {
    case KAC_MODE_GCM:
        return sel < 6 ? 0 : fz_range(f, 1, 20);
    case KAC_MODE_CCM:
        return sel < 7 ? fz_range(f, 7, 13) : fz_range(f, 5, 15);
    default:
        return sel < 7 ? 0 : fz_range(f, 1, 16);
    }
}

static size_t pick_taglen(struct fz *f, const struct kac_alg *a)
{
    static const size_t gcm[] = { 16, 16, 16, 16, 12, 8, 4, 13, 14, 15 };
    unsigned sel = fz_u8(f);

    switch (a->mode) {
    case KAC_MODE_GCM:
        return sel % 8 == 7 ? fz_range(f, 1, 17) : gcm[sel % (sizeof(gcm) / sizeof(gcm[0]))];
    case KAC_MODE_CCM:
        return sel % 8 == 7 ? fz_range(f, 2, 18) : 4 + 2 * (sel % 7);
    default:
        return sel % 8 == 7 ? fz_range(f, 1, 17) : 16;
    }
}

/*
 * The reference encryption of one message (a throwaway context of the
 * default provider): the ciphertext and tag a decryption program consumes.
 * 0 when the default provider refuses the shape.
 */
static int aead_reference(const EVP_CIPHER *rc, const struct aead_shape *s0,
                          const unsigned char *aad, size_t aadlen, const unsigned char *pt,
                          size_t len, unsigned char *ct, unsigned char *tag)
{
    struct aead_shape s = *s0;
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int ol = 0, ok;

    s.enc = 1;
    ok = x != NULL && aead_setup(x, rc, &s, NULL)
         && (s.a->mode != KAC_MODE_CCM || EVP_CipherUpdate(x, NULL, &ol, NULL, (int)len))
         && (aadlen == 0 || EVP_CipherUpdate(x, NULL, &ol, aad, (int)aadlen))
         && EVP_CipherUpdate(x, ct, &ol, pt, (int)len) && EVP_CipherFinal_ex(x, ct + ol, &ol)
         && get_octets(x, OSSL_CIPHER_PARAM_AEAD_TAG, tag, s.taglen);
    EVP_CIPHER_CTX_free(x);
    ERR_clear_error();
    return ok;
}

static void aead_dup(EVP_CIPHER_CTX **kx, EVP_CIPHER_CTX **rx, struct fz *f)
{
    cipher_dup(kx, rx, fz_bool(f));
}

/* AAD or data through both contexts (raw: EVP_Cipher); 1 when both succeeded. */
static int aead_update(EVP_CIPHER_CTX *kx, EVP_CIPHER_CTX *rx, int raw, int aad,
                       const unsigned char *in, size_t len, int inplace,
                       const unsigned char *plain, int dec)
{
    struct io o;
    int kol = 0, rol = 0, kok, rok;
    const char *what = aad ? (raw ? "EVP_Cipher (AAD)" : "EVP_CipherUpdate (AAD)")
                           : (raw ? "EVP_Cipher" : "EVP_CipherUpdate");

    fz_trace("%s %zu%s", what, len, inplace && !aad ? " in place" : "");
    io_new(&o, len, inplace && !aad ? in : NULL);
    if (raw) {
        kol = EVP_Cipher(kx, aad ? NULL : o.k, inplace && !aad ? o.k : in, (unsigned)len);
        rol = EVP_Cipher(rx, aad ? NULL : o.r, inplace && !aad ? o.r : in, (unsigned)len);
        kok = kol >= 0;
        rok = rol >= 0;
        if (same_ok(what, kok, rok) && kol != rol)
            fz_fail("%s: kaccel returned %d, the default provider %d", what, kol, rol);
    } else {
        kok = EVP_CipherUpdate(kx, aad ? NULL : o.k, &kol, inplace && !aad ? o.k : in,
                               (int)len) > 0;
        rok = EVP_CipherUpdate(rx, aad ? NULL : o.r, &rol, inplace && !aad ? o.r : in,
                               (int)len) > 0;
        if (same_ok(what, kok, rok) && kol != rol)
            fz_fail("%s: kaccel output %d bytes, the default provider %d", what, kol, rol);
    }
    same_bytes(what, o.k, o.r, o.size);
    /* No plaintext released by a failed decryption, checked on its own. */
    if (!kok && dec && !aad && plain != NULL && len >= 4 && memcmp(o.k, plain, len) == 0
        && !all_zero(plain, len))
        fz_fail("%s: failed, yet kaccel's output buffer holds the plaintext", what);
    io_free(&o);
    return kok;
}

static void fuzz_aead_tls(struct fz *f, const EVP_CIPHER *kc, const EVP_CIPHER *rc,
                          const struct kac_alg *a);

static void fuzz_aead(struct fz *f, const EVP_CIPHER *kc, const EVP_CIPHER *rc,
                      const struct kac_alg *a)
{
    EVP_CIPHER_CTX *kx = EVP_CIPHER_CTX_new(), *rx = EVP_CIPHER_CTX_new();
    struct aead_shape s = { .a = a };
    unsigned nmsg, m;
    int ccm = a->mode == KAC_MODE_CCM;
    unsigned char tag[16];

    if (kx == NULL || rx == NULL)
        abort();
    if (fz_one_in(f, 6)) {
        EVP_CIPHER_CTX_free(kx);
        EVP_CIPHER_CTX_free(rx);
        fuzz_aead_tls(f, kc, rc, a);
        return;
    }
    s.enc = fz_bool(f);
    s.keylen = (size_t)EVP_CIPHER_get_key_length(rc);
    s.ivlen = pick_ivlen(f, a);
    s.taglen = pick_taglen(f, a);
    fz_bytes(f, s.key, s.keylen);
    fz_bytes(f, s.iv, sizeof(s.iv));
    nmsg = 1 + fz_u8(f) % 3;
    memset(tag, 0, sizeof(tag));
    for (m = 0; m < nmsg; m++) {
        size_t aadlen = fz_one_in(f, 3) ? 0 : fz_len(f, MAX_LEN);
        size_t len = fz_len(f, MAX_LEN), off;
        int raw = fz_one_in(f, 6), tag_early = ccm || fz_bool(f), setlen;
        int corrupt = s.enc ? 0 : fz_u8(f) % 8; /* 1: tag, 2: data, 3: AAD */
        int refok = 1, kok, rok, kol = 0, rol = 0;
        unsigned char *aad = input(f, aadlen), *pt = input(f, len);
        unsigned char *ct = malloc(len + 1), *in;
        unsigned char rtag[16];
        struct io o;
        int newkey = m > 0 && fz_one_in(f, 4);

        if (ct == NULL)
            abort();
        if (m > 0) {
            /* the next message: a new IV, sometimes a new key */
            if (newkey)
                fz_bytes(f, s.key, s.keylen);
            fz_bytes(f, s.iv, sizeof(s.iv));
        }
        memset(rtag, 0, sizeof(rtag));
        if (!s.enc) {
            refok = s.taglen <= 16 && aead_reference(rc, &s, aad, aadlen, pt, len, ct, rtag);
            if (!refok)
                memcpy(ct, pt, len); /* the default provider refuses: garbage in */
            if (corrupt == 1)
                rtag[fz_u8(f) % (s.taglen > 0 && s.taglen <= 16 ? s.taglen : 16)] ^=
                    (unsigned char)(1 + fz_u8(f) % 255);
            else if (corrupt == 2 && len > 0)
                ct[fz_range(f, 0, len - 1)] ^= 0x01;
            else if (corrupt == 3 && aadlen > 0)
                aad[fz_range(f, 0, aadlen - 1)] ^= 0x80;
            memcpy(tag, rtag, sizeof(tag));
        }
        in = s.enc ? pt : ct;
        fz_trace("%s message %u: enc=%d ivlen=%zu taglen=%zu aad=%zu len=%zu raw=%d "
                 "tag_early=%d corrupt=%d", a->name, m, s.enc, s.ivlen, s.taglen, aadlen, len,
                 raw, tag_early, corrupt);
        if (m == 0) {
            if (!same_ok("AEAD init", aead_setup(kx, kc, &s, tag), aead_setup(rx, rc, &s, tag)))
                goto msg_end_fail;
        } else {
            fz_trace("re-init%s iv", newkey ? " key" : "");
            if (ccm && !s.enc
                && !same_ok("CCM tag", set_octets(kx, OSSL_CIPHER_PARAM_AEAD_TAG, tag, s.taglen),
                            set_octets(rx, OSSL_CIPHER_PARAM_AEAD_TAG, tag, s.taglen)))
                goto msg_end_fail;
            if (!same_ok("AEAD re-init",
                         EVP_CipherInit_ex2(kx, NULL, newkey ? s.key : NULL, s.iv, s.enc, NULL),
                         EVP_CipherInit_ex2(rx, NULL, newkey ? s.key : NULL, s.iv, s.enc, NULL)))
                goto msg_end_fail;
        }
        if (fz_one_in(f, 8))
            aead_dup(&kx, &rx, f);
        if (!s.enc && tag_early && !ccm) {
            fz_trace("tag %zu (before the data)", s.taglen);
            if (!same_ok("set tag", set_octets(kx, OSSL_CIPHER_PARAM_AEAD_TAG, tag, s.taglen),
                         set_octets(rx, OSSL_CIPHER_PARAM_AEAD_TAG, tag, s.taglen)))
                goto msg_end_fail;
        }
        setlen = ccm && (aadlen > 0 || fz_bool(f));
        if (setlen) {
            fz_trace("CCM length %zu", len);
            kok = EVP_CipherUpdate(kx, NULL, &kol, NULL, (int)len) > 0;
            rok = EVP_CipherUpdate(rx, NULL, &rol, NULL, (int)len) > 0;
            if (!same_ok("CCM length", kok, rok))
                goto msg_end_fail;
            if (kol != rol)
                fz_fail("CCM length: kaccel output %d, the default provider %d", kol, rol);
        }
        /* AAD in pieces (CCM: one) */
        for (off = 0; off < aadlen || (aadlen == 0 && off == 0 && fz_one_in(f, 4));) {
            size_t piece = ccm || fz_one_in(f, 3) ? aadlen - off : fz_range(f, 0, aadlen - off);

            if (!aead_update(kx, rx, raw, 1, aad + off, piece, 0, NULL, !s.enc))
                goto msg_end_fail;
            off += piece;
            if (aadlen == 0)
                break;
            if (fz_one_in(f, 10))
                aead_dup(&kx, &rx, f);
        }
        /* data in pieces (CCM: one) */
        for (off = 0; off < len;) {
            size_t piece = ccm || fz_one_in(f, 3) ? len - off : fz_range(f, 1, len - off);
            int inplace = fz_bool(f);

            if (!aead_update(kx, rx, raw, 0, in + off, piece, inplace,
                             refok ? pt + off : NULL, !s.enc))
                goto msg_end_fail;
            off += piece;
            if (fz_one_in(f, 8))
                aead_dup(&kx, &rx, f);
        }
        if (!s.enc && !tag_early) {
            fz_trace("tag %zu (after the data)", s.taglen);
            if (!same_ok("set tag", set_octets(kx, OSSL_CIPHER_PARAM_AEAD_TAG, tag, s.taglen),
                         set_octets(rx, OSSL_CIPHER_PARAM_AEAD_TAG, tag, s.taglen)))
                goto msg_end_fail;
        }
        io_new(&o, 16, NULL);
        fz_trace("final%s", raw ? " (EVP_Cipher)" : "");
        if (raw) {
            kol = EVP_Cipher(kx, NULL, NULL, 0);
            rol = EVP_Cipher(rx, NULL, NULL, 0);
            kok = kol >= 0;
            rok = rol >= 0;
        } else {
            kok = EVP_CipherFinal_ex(kx, o.k, &kol) > 0;
            rok = EVP_CipherFinal_ex(rx, o.r, &rol) > 0;
        }
        if (same_ok("AEAD final", kok, rok) && kol != rol)
            fz_fail("AEAD final: kaccel %d, the default provider %d", kol, rol);
        same_bytes("AEAD final", o.k, o.r, o.size);
        io_free(&o);
        if (!kok)
            goto msg_end_fail;
        if (s.enc) {
            unsigned char kt[16], rt[16];
            size_t tl = s.taglen > 16 ? 16 : s.taglen;

            memset(kt, 0, sizeof(kt));
            memset(rt, 0, sizeof(rt));
            fz_trace("get tag %zu", tl);
            if (same_ok("get tag", get_octets(kx, OSSL_CIPHER_PARAM_AEAD_TAG, kt, tl),
                        get_octets(rx, OSSL_CIPHER_PARAM_AEAD_TAG, rt, tl)))
                same_bytes("tag", kt, rt, sizeof(kt));
            ERR_clear_error();
        }
        if (fz_one_in(f, 4))
            cipher_readback(kx, rx, 1, 0);
        free(aad);
        free(pt);
        free(ct);
        continue;
    msg_end_fail:
        free(aad);
        free(pt);
        free(ct);
        break;
    }
    EVP_CIPHER_CTX_free(kx);
    EVP_CIPHER_CTX_free(rx);
}

/*
 * TLS 1.2 records: "tlsaad" then one in-place EVP_Cipher per record (GCM and
 * CCM: explicit IV || payload || tag; ChaCha20-Poly1305: payload || tag).
 * Decryption takes records a default-provider context encrypted.
 */
static int tls_ctx(EVP_CIPHER_CTX *x, const EVP_CIPHER *c, const struct kac_alg *a, int enc,
                   const unsigned char *key, const unsigned char *fixed, size_t ccm_m)
{
    if (!EVP_CipherInit_ex2(x, c, NULL, NULL, enc, NULL))
        return 0;
    if (a->mode == KAC_MODE_CCM
        && (!set_size(x, OSSL_CIPHER_PARAM_AEAD_IVLEN, 12)
            || !set_octets(x, OSSL_CIPHER_PARAM_AEAD_TAG, NULL, ccm_m)))
        return 0;
    if (!EVP_CipherInit_ex2(x, NULL, key, NULL, enc, NULL))
        return 0;
    switch (a->mode) {
    case KAC_MODE_GCM:
        /* encrypt: the whole IV (no random explicit part); decrypt: the fixed 4 bytes */
        return EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IV_FIXED, enc ? -1 : 4, (void *)fixed) > 0;
    case KAC_MODE_CCM:
        return EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_CCM_SET_IV_FIXED, 4, (void *)fixed) > 0;
    default:
        return EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IV_FIXED, 12, (void *)fixed) > 0;
    }
}

static void fuzz_aead_tls(struct fz *f, const EVP_CIPHER *kc, const EVP_CIPHER *rc,
                          const struct kac_alg *a)
{
    EVP_CIPHER_CTX *kx = EVP_CIPHER_CTX_new(), *rx = EVP_CIPHER_CTX_new();
    EVP_CIPHER_CTX *ex = EVP_CIPHER_CTX_new(); /* decrypt: the records' source */
    unsigned char key[32], fixed[12];
    size_t keylen = (size_t)EVP_CIPHER_get_key_length(rc);
    size_t xiv = a->mode == KAC_MODE_CHACHAPOLY ? 0 : 8;
    size_t ccm_m = a->mode == KAC_MODE_CCM ? (fz_bool(f) ? 16 : 8) : 16;
    int enc = fz_bool(f), srcok = 1;
    unsigned nrec = 1 + fz_u8(f) % 3, r;
    uint64_t seq = fz_u32(f);

    if (kx == NULL || rx == NULL || ex == NULL)
        abort();
    fz_bytes(f, key, keylen);
    fz_bytes(f, fixed, sizeof(fixed));
    fz_trace("%s TLS enc=%d M=%zu", a->name, enc, ccm_m);
    if (!same_ok("TLS init", tls_ctx(kx, kc, a, enc, key, fixed, ccm_m),
                 tls_ctx(rx, rc, a, enc, key, fixed, ccm_m)))
        goto done;
    if (!enc)
        srcok = tls_ctx(ex, rc, a, 1, key, fixed, ccm_m);
    for (r = 0; r < nrec; r++) {
        size_t plen = fz_len(f, 17000), total = xiv + plen + ccm_m;
        unsigned char aad[13], *pt = input(f, plen), *rec = malloc(total + 1);
        int corrupt = enc ? 0 : fz_u8(f) % 6, badlen = fz_one_in(f, 16), notinplace =
            fz_one_in(f, 16);
        size_t field = enc ? plen : total, i;
        int kpad, rpad, kol, rol;
        struct io o;

        if (rec == NULL)
            abort();
        for (i = 0; i < 8; i++)
            aad[i] = (unsigned char)(seq >> (56 - 8 * i));
        seq++;
        aad[8] = 23;
        aad[9] = 3;
        aad[10] = 3;
        if (badlen)
            field = fz_range(f, 0, 0xffff);
        memset(rec, 0, total + 1);
        if (enc) {
            memcpy(rec + xiv, pt, plen);
        } else {
            unsigned char eaad[13];

            /* the record as a default-provider context encrypts it */
            memcpy(eaad, aad, 13);
            eaad[11] = (unsigned char)(plen >> 8);
            eaad[12] = (unsigned char)plen;
            memcpy(rec + xiv, pt, plen);
            if (!srcok
                || EVP_CIPHER_CTX_ctrl(ex, EVP_CTRL_AEAD_TLS1_AAD, 13, eaad) <= 0
                || EVP_Cipher(ex, rec, rec, (unsigned)total) <= 0)
                fz_fill(seq, rec, total); /* garbage in */
            ERR_clear_error();
            if (corrupt == 1)
                rec[total - 1 - fz_u8(f) % ccm_m] ^= 0x10;
            else if (corrupt == 2 && plen > 0)
                rec[xiv + fz_range(f, 0, plen - 1)] ^= 0x01;
            else if (corrupt == 3 && xiv > 0)
                rec[fz_u8(f) % xiv] ^= 0x02;
        }
        aad[11] = (unsigned char)(field >> 8);
        aad[12] = (unsigned char)field;
        fz_trace("record %u: plen=%zu field=%zu corrupt=%d in-place=%d", r, plen, field, corrupt,
                 !notinplace);
        kpad = EVP_CIPHER_CTX_ctrl(kx, EVP_CTRL_AEAD_TLS1_AAD, 13, aad);
        rpad = EVP_CIPHER_CTX_ctrl(rx, EVP_CTRL_AEAD_TLS1_AAD, 13, aad);
        if (!same_ok("tlsaad", kpad > 0, rpad > 0) || kpad != rpad) {
            if (kpad != rpad)
                fz_fail("tlsaad: kaccel %d, the default provider %d", kpad, rpad);
            free(pt);
            free(rec);
            break;
        }
        io_new(&o, total, rec);
        if (notinplace) {
            struct io src;

            io_new(&src, total, rec);
            kol = EVP_Cipher(kx, o.k, src.k, (unsigned)total);
            rol = EVP_Cipher(rx, o.r, src.r, (unsigned)total);
            io_free(&src);
        } else {
            kol = EVP_Cipher(kx, o.k, o.k, (unsigned)total);
            rol = EVP_Cipher(rx, o.r, o.r, (unsigned)total);
        }
        if (kol != rol)
            fz_fail("TLS record: kaccel returned %d, the default provider %d", kol, rol);
        same_bytes("TLS record", o.k, o.r, o.size);
        if (kol <= 0 && !enc && plen >= 4 && memcmp(o.k + xiv, pt, plen) == 0
            && !all_zero(pt, plen))
            fz_fail("TLS record: failed, yet kaccel's buffer holds the plaintext");
        io_free(&o);
        free(pt);
        free(rec);
        ERR_clear_error();
        if (fz_one_in(f, 6))
            cipher_dup(&kx, &rx, fz_bool(f));
    }
done:
    EVP_CIPHER_CTX_free(kx);
    EVP_CIPHER_CTX_free(rx);
    EVP_CIPHER_CTX_free(ex);
}

/* ---- digests ---------------------------------------------------------------- */

static void md_final(EVP_MD_CTX *kx, EVP_MD_CTX *rx, const char *what)
{
    unsigned char kd[EVP_MAX_MD_SIZE], rd[EVP_MAX_MD_SIZE];
    unsigned kl = 0, rl = 0;

    memset(kd, FILL, sizeof(kd));
    memset(rd, FILL, sizeof(rd));
    fz_trace("%s", what);
    if (same_ok(what, EVP_DigestFinal_ex(kx, kd, &kl) > 0, EVP_DigestFinal_ex(rx, rd, &rl) > 0)
        && kl != rl)
        fz_fail("%s: kaccel %u bytes, the default provider %u", what, kl, rl);
    same_bytes(what, kd, rd, sizeof(kd));
}

static void fuzz_digest(struct fz *f, const EVP_MD *km, const EVP_MD *rm, const char *name)
{
    EVP_MD_CTX *kx = EVP_MD_CTX_new(), *rx = EVP_MD_CTX_new();
    size_t op;
    int live;

    if (kx == NULL || rx == NULL)
        abort();
    fz_trace("%s init", name);
    live = same_ok("EVP_DigestInit_ex2", EVP_DigestInit_ex2(kx, km, NULL) > 0,
                   EVP_DigestInit_ex2(rx, rm, NULL) > 0);
    for (op = 0; live && op < MAX_OPS && !fz_empty(f); op++) {
        unsigned sel = fz_u8(f) % 16;

        if (sel < 10) {
            size_t len = fz_len(f, MAX_LEN);
            unsigned char *in = input(f, len);

            fz_trace("update %zu", len);
            live = same_ok("EVP_DigestUpdate", EVP_DigestUpdate(kx, in, len) > 0,
                           EVP_DigestUpdate(rx, in, len) > 0);
            free(in);
        } else if (sel < 12) {
            EVP_MD_CTX *kc = EVP_MD_CTX_new(), *rc = EVP_MD_CTX_new();
            int keep = fz_bool(f), fin = fz_one_in(f, 3);

            if (kc == NULL || rc == NULL)
                abort();
            fz_trace("copy, continue on the %s%s", keep ? "copy" : "original",
                     fin ? ", finish the other" : "");
            if (same_ok("EVP_MD_CTX_copy_ex", EVP_MD_CTX_copy_ex(kc, kx) > 0,
                        EVP_MD_CTX_copy_ex(rc, rx) > 0)) {
                EVP_MD_CTX *t;

                if (keep) {
                    t = kx, kx = kc, kc = t;
                    t = rx, rx = rc, rc = t;
                }
                if (fin)
                    md_final(kc, rc, "final of the other copy");
            }
            EVP_MD_CTX_free(kc);
            EVP_MD_CTX_free(rc);
        } else if (sel == 12) {
            md_final(kx, rx, "final");
            fz_trace("re-init");
            live = same_ok("EVP_DigestInit_ex2 (re-init)", EVP_DigestInit_ex2(kx, NULL, NULL) > 0,
                           EVP_DigestInit_ex2(rx, NULL, NULL) > 0);
        } else if (sel == 13) {
            fz_trace("re-init without final");
            live = same_ok("EVP_DigestInit_ex2 (restart)", EVP_DigestInit_ex2(kx, NULL, NULL) > 0,
                           EVP_DigestInit_ex2(rx, NULL, NULL) > 0);
        } else {
            size_t len = fz_len(f, MAX_LEN);
            unsigned char *in = input(f, len), kd[EVP_MAX_MD_SIZE], rd[EVP_MAX_MD_SIZE];
            unsigned kl = 0, rl = 0;

            memset(kd, 0, sizeof(kd));
            memset(rd, 0, sizeof(rd));
            fz_trace("EVP_Digest %zu", len);
            if (same_ok("EVP_Digest", EVP_Digest(in, len, kd, &kl, km, NULL) > 0,
                        EVP_Digest(in, len, rd, &rl, rm, NULL) > 0) && kl != rl)
                fz_fail("EVP_Digest: kaccel %u bytes, the default provider %u", kl, rl);
            same_bytes("EVP_Digest", kd, rd, sizeof(kd));
            free(in);
        }
    }
    if (live)
        md_final(kx, rx, "final (end)");
    EVP_MD_CTX_free(kx);
    EVP_MD_CTX_free(rx);
}

/* ---- MACs ------------------------------------------------------------------- */

static int mac_final(EVP_MAC_CTX *kx, EVP_MAC_CTX *rx, const char *what)
{
    unsigned char km[EVP_MAX_MD_SIZE], rm[EVP_MAX_MD_SIZE];
    size_t kl = 0, rl = 0;
    int ok;

    memset(km, FILL, sizeof(km));
    memset(rm, FILL, sizeof(rm));
    fz_trace("%s", what);
    ok = same_ok(what, EVP_MAC_final(kx, km, &kl, sizeof(km)) > 0,
                 EVP_MAC_final(rx, rm, &rl, sizeof(rm)) > 0);
    if (ok && kl != rl)
        fz_fail("%s: kaccel %zu bytes, the default provider %zu", what, kl, rl);
    same_bytes(what, km, rm, sizeof(km));
    return ok;
}

static void fuzz_mac(struct fz *f, EVP_MAC *kmac, EVP_MAC *rmac, const struct subject *s)
{
    EVP_MAC_CTX *kx = EVP_MAC_CTX_new(kmac), *rx = EVP_MAC_CTX_new(rmac);
    const char *pname = s->kind == S_HMAC ? OSSL_MAC_PARAM_DIGEST : OSSL_MAC_PARAM_CIPHER;
    char name[32];
    unsigned char key[300];
    size_t keylen, op;
    int live;

    if (kx == NULL || rx == NULL)
        abort();
    snprintf(name, sizeof(name), "%s", s->name);
    if (s->kind == S_HMAC) {
        keylen = fz_len(f, sizeof(key));
    } else {
        const EVP_CIPHER *c = EVP_get_cipherbyname(name);

        keylen = c != NULL ? (size_t)EVP_CIPHER_get_key_length(c) : 16;
        if (fz_one_in(f, 8))
            keylen = fz_range(f, 0, 40);
    }
    fz_bytes(f, key, keylen);
    {
        OSSL_PARAM p[] = { OSSL_PARAM_construct_utf8_string(pname, name, 0), OSSL_PARAM_END };

        fz_trace("%s %s key %zu", s->kind == S_HMAC ? "HMAC" : "CMAC", name, keylen);
        live = same_ok("EVP_MAC_init", EVP_MAC_init(kx, key, keylen, p) > 0,
                       EVP_MAC_init(rx, key, keylen, p) > 0);
    }
    for (op = 0; live && op < MAX_OPS && !fz_empty(f); op++) {
        unsigned sel = fz_u8(f) % 16;

        if (sel < 10) {
            size_t len = fz_len(f, MAX_LEN);
            unsigned char *in = input(f, len);

            fz_trace("update %zu", len);
            live = same_ok("EVP_MAC_update", EVP_MAC_update(kx, in, len) > 0,
                           EVP_MAC_update(rx, in, len) > 0);
            free(in);
        } else if (sel < 12) {
            EVP_MAC_CTX *kc = EVP_MAC_CTX_dup(kx), *rc = EVP_MAC_CTX_dup(rx);
            int keep = fz_bool(f), fin = fz_one_in(f, 3);

            fz_trace("dup, continue on the %s%s", keep ? "copy" : "original",
                     fin ? ", finish the other" : "");
            if (same_ok("EVP_MAC_CTX_dup", kc != NULL, rc != NULL)) {
                EVP_MAC_CTX *t;

                if (keep) {
                    t = kx, kx = kc, kc = t;
                    t = rx, rx = rc, rc = t;
                }
                if (fin)
                    mac_final(kc, rc, "final of the other copy");
            }
            EVP_MAC_CTX_free(kc);
            EVP_MAC_CTX_free(rc);
        } else if (sel == 12) {
            live = mac_final(kx, rx, "final");
            if (live) {
                fz_trace("re-init, same key");
                live = same_ok("EVP_MAC_init (re-init)", EVP_MAC_init(kx, NULL, 0, NULL) > 0,
                               EVP_MAC_init(rx, NULL, 0, NULL) > 0);
            }
        } else if (sel == 13) {
            /* a new key (sometimes a new digest or cipher too), without a final */
            OSSL_PARAM p[2];
            int newname = fz_one_in(f, 3);

            if (newname) {
                const struct subject *o = &subj[fz_u8(f) % nsubj];

                if (o->kind == s->kind)
                    snprintf(name, sizeof(name), "%s", o->name);
            }
            keylen = s->kind == S_HMAC ? fz_len(f, sizeof(key)) : keylen;
            fz_bytes(f, key, keylen);
            p[0] = OSSL_PARAM_construct_utf8_string(pname, name, 0);
            p[1] = OSSL_PARAM_construct_end();
            fz_trace("init key %zu%s%s", keylen, newname ? " " : "", newname ? name : "");
            live = same_ok("EVP_MAC_init (new key)",
                           EVP_MAC_init(kx, key, keylen, newname ? p : NULL) > 0,
                           EVP_MAC_init(rx, key, keylen, newname ? p : NULL) > 0);
        } else {
            size_t ks = EVP_MAC_CTX_get_mac_size(kx), rs = EVP_MAC_CTX_get_mac_size(rx);

            fz_trace("mac size");
            if (ks != rs)
                fz_fail("EVP_MAC_CTX_get_mac_size: kaccel %zu, the default provider %zu", ks, rs);
        }
    }
    if (live)
        mac_final(kx, rx, "final (end)");
    EVP_MAC_CTX_free(kx);
    EVP_MAC_CTX_free(rx);
}

/* ---- the entry point ------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = { data, size };
    int k = fz_u8(&f) % env.nk;
    const struct subject *s = &subj[fz_u8(&f) % nsubj];

    fz_trace_reset(data, size);
    fz_trace("configuration %d (%s)", k, env.k[k].what);
    switch (s->kind) {
    case S_CIPHER:
        fuzz_cipher(&f, kf[k].cipher[s->id], rf.cipher[s->id], &kac_algs[s->id]);
        break;
    case S_AEAD:
        fuzz_aead(&f, kf[k].cipher[s->id], rf.cipher[s->id], &kac_algs[s->id]);
        break;
    case S_DIGEST:
        fuzz_digest(&f, kf[k].md[s->id], rf.md[s->id], s->name);
        break;
    case S_HMAC:
        fuzz_mac(&f, kf[k].hmac, rf.hmac, s);
        break;
    case S_CMAC:
        fuzz_mac(&f, kf[k].cmac, rf.cmac, s);
        break;
    }
    ERR_clear_error();
    return 0;
}
