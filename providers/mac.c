/*
 * HMAC and CMAC.
 *
 * Each context holds a software EVP_MAC_CTX from kaccel's private library
 * context that receives every parameter and key: OpenSSL validates them,
 * answers get_ctx_params, and computes whatever is not offloaded (digests and
 * ciphers kaccel does not know, TLS-record HMAC, empty or oversized keys).
 *
 * A message follows the digests' policy (see digest.c): buffered below the
 * offload threshold and computed in software at final; at the threshold, with
 * a route for the variant ("hmac(<digest>)" from the digest, "cmac(aes)" from
 * the AES key length), streamed to a keyed AF_ALG hash socket.  A failure
 * while the buffered data is in hand falls back to software; a kernel failure
 * after that is an error.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/proverr.h>

#include "../src/backend/afalg/hash.h"
#include "../src/backend/afalg/session.h"
#include "../src/core/error.h"
#include "../src/core/log.h"
#include "prov.h"

enum kac_mstate {
    KAC_M_BUF,    /* buffering below the threshold (or nothing yet) */
    KAC_M_KERNEL, /* the message so far is in the AF_ALG socket */
    KAC_M_SW,     /* the message so far is in the software context */
    KAC_M_DONE,   /* final done, or never initialised: init first */
    KAC_M_FAILED, /* the kernel failed mid-stream: init first */
};

struct kac_mctx {
    struct kac_prov *prov;
    enum kac_mode mode;      /* KAC_MODE_HMAC or KAC_MODE_CMAC */
    EVP_MAC_CTX *sw;
    char name[64];           /* last digest / cipher parameter ("" when unknown) */
    const struct kac_alg *alg; /* variant the key was set for; NULL: not kaccel's */
    unsigned char *key;
    size_t keylen;
    int key_set;
    int tls;                 /* HMAC tls-data-size > 0: TLS records, software */
    enum kac_mstate state;
    enum kac_why why;
    unsigned char *buf;
    size_t buflen, bufcap;
    size_t total;
    struct kac_afalg_sess sess;
};

static OSSL_FUNC_mac_freectx_fn kac_mac_freectx;
static OSSL_FUNC_mac_dupctx_fn kac_mac_dupctx;
static OSSL_FUNC_mac_init_fn kac_mac_init;
static OSSL_FUNC_mac_update_fn kac_mac_update;
static OSSL_FUNC_mac_final_fn kac_mac_final;
static OSSL_FUNC_mac_get_ctx_params_fn kac_mac_get_ctx_params;
static OSSL_FUNC_mac_set_ctx_params_fn kac_mac_set_ctx_params;
static OSSL_FUNC_mac_gettable_ctx_params_fn kac_hmac_gettable_ctx_params;
static OSSL_FUNC_mac_settable_ctx_params_fn kac_hmac_settable_ctx_params;
static OSSL_FUNC_mac_gettable_ctx_params_fn kac_cmac_gettable_ctx_params;
static OSSL_FUNC_mac_settable_ctx_params_fn kac_cmac_settable_ctx_params;

static const char *mname(const struct kac_mctx *c)
{
    return c->alg != NULL ? c->alg->name : c->mode == KAC_MODE_HMAC ? "HMAC" : "CMAC";
}

static void *mctx_new(void *provctx, enum kac_mode mode)
{
    struct kac_prov *prov = provctx;
    struct kac_mctx *c = OPENSSL_zalloc(sizeof(*c));
    EVP_MAC *m = mode == KAC_MODE_HMAC ? prov->swhmac : prov->swcmac;

    if (c == NULL)
        return NULL;
    c->prov = prov;
    c->mode = mode;
    c->state = KAC_M_DONE;
    kac_afalg_sess_init(&c->sess);
    if (m == NULL || (c->sw = EVP_MAC_CTX_new(m)) == NULL) {
        OPENSSL_free(c);
        return NULL;
    }
    return c;
}

static void buf_clear(struct kac_mctx *c)
{
    OPENSSL_cleanse(c->buf, c->buflen);
    c->buflen = 0;
}

static void kac_mac_freectx(void *vctx)
{
    struct kac_mctx *c = vctx;

    if (c == NULL)
        return;
    kac_afalg_sess_close(&c->sess);
    EVP_MAC_CTX_free(c->sw);
    OPENSSL_clear_free(c->buf, c->bufcap);
    OPENSSL_clear_free(c->key, c->keylen);
    OPENSSL_clear_free(c, sizeof(*c));
}

static void *kac_mac_dupctx(void *vctx)
{
    struct kac_mctx *src = vctx, *c = OPENSSL_malloc(sizeof(*c));

    if (c == NULL)
        return NULL;
    *c = *src;
    c->buf = NULL;
    c->key = NULL;
    kac_afalg_sess_init(&c->sess);
    if ((c->sw = EVP_MAC_CTX_dup(src->sw)) == NULL)
        goto fail;
    if (src->key != NULL && (c->key = OPENSSL_memdup(src->key, src->keylen)) == NULL)
        goto fail;
    if (src->bufcap > 0) {
        if ((c->buf = OPENSSL_malloc(src->bufcap)) == NULL)
            goto fail;
        memcpy(c->buf, src->buf, src->buflen);
    }
    if (src->state == KAC_M_KERNEL) {
        int r = kac_afalg_hash_sess_clone(&c->sess, &src->sess);

        if (r < 0) {
            kac_stats_error(src->alg->id);
            KAC_ERR(KAC_R_OPERATION_FAILED, "%s: cannot copy the offloaded MAC state (%s)",
                    mname(src), r == -EBADFD ? "socket of the parent process" : strerror(-r));
            goto fail;
        }
    }
    return c;
fail:
    EVP_MAC_CTX_free(c->sw);
    OPENSSL_clear_free(c->buf, c->bufcap);
    OPENSSL_clear_free(c->key, c->keylen);
    OPENSSL_clear_free(c, sizeof(*c));
    return NULL;
}

/* The kaccel variant for the current digest / cipher name and key, or NULL. */
static const struct kac_alg *variant(const struct kac_mctx *c)
{
    const struct kac_alg *a = c->name[0] != '\0' ? kac_alg_by_name(c->name) : NULL;

    if (a == NULL)
        return NULL;
    if (c->mode == KAC_MODE_HMAC)
        return a->kind == KAC_KIND_DIGEST ? kac_alg_hmac_for(a->id) : NULL;
    if (a->kind != KAC_KIND_CIPHER || a->mode != KAC_MODE_CBC || a->keylen != c->keylen
        || strncmp(a->name, "AES-", 4) != 0)
        return NULL;
    return kac_alg_cmac_for(c->keylen);
}

/* A new key (as the software context applies it: with the current digest / cipher). */
static int set_key(struct kac_mctx *c, const unsigned char *key, size_t keylen)
{
    const struct kac_alg *old = c->alg;
    int same = c->key_set && keylen == c->keylen
               && (keylen == 0 || CRYPTO_memcmp(key, c->key, keylen) == 0);

    if (!same) {
        unsigned char *k = OPENSSL_malloc(keylen > 0 ? keylen : 1);

        if (k == NULL)
            return 0;
        if (keylen > 0)
            memcpy(k, key, keylen);
        OPENSSL_clear_free(c->key, c->keylen);
        c->key = k;
        c->keylen = keylen;
    }
    c->key_set = 1;
    c->alg = variant(c);
    if (!same || old != c->alg)
        kac_afalg_sess_close(&c->sess);
    return 1;
}

/* Restarts the message (the software context has been (re)initialised). */
static void restart(struct kac_mctx *c)
{
    if (c->state == KAC_M_KERNEL)
        kac_afalg_sess_close(&c->sess);
    buf_clear(c);
    c->total = 0;
    c->state = KAC_M_BUF;
    c->why = KAC_WHY_SMALL;
}

/* kaccel's view of parameters the software context has accepted. */
static int note_params(struct kac_mctx *c, const OSSL_PARAM params[])
{
    const char *pname = c->mode == KAC_MODE_HMAC ? OSSL_MAC_PARAM_DIGEST : OSSL_MAC_PARAM_CIPHER;
    const OSSL_PARAM *p;

    if (params == NULL)
        return 1;
    if ((p = OSSL_PARAM_locate_const(params, pname)) != NULL) {
        const char *s = NULL;

        if (!OSSL_PARAM_get_utf8_string_ptr(p, &s) || strlen(s) >= sizeof(c->name))
            c->name[0] = '\0';
        else
            strcpy(c->name, s);
    }
    if (c->mode == KAC_MODE_HMAC
        && (p = OSSL_PARAM_locate_const(params, OSSL_MAC_PARAM_TLS_DATA_SIZE)) != NULL) {
        size_t v = 0;

        if (!OSSL_PARAM_get_size_t(p, &v))
            return 0;
        c->tls = v > 0;
    }
    if ((p = OSSL_PARAM_locate_const(params, OSSL_MAC_PARAM_KEY)) != NULL) {
        if (p->data_type != OSSL_PARAM_OCTET_STRING || !set_key(c, p->data, p->data_size))
            return 0;
        restart(c); /* a new key restarts the software context's message too */
    }
    return 1;
}

static int kac_mac_init(void *vctx, const unsigned char *key, size_t keylen,
                        const OSSL_PARAM params[])
{
    struct kac_mctx *c = vctx;

    if (key == NULL && !c->key_set
        && (params == NULL || OSSL_PARAM_locate_const(params, OSSL_MAC_PARAM_KEY) == NULL)) {
        ERR_raise_data(ERR_LIB_PROV, PROV_R_NO_KEY_SET, "%s: init without a key", mname(c));
        return 0;
    }
    restart(c);
    c->state = KAC_M_FAILED; /* until the software context accepts the key and parameters */
    if (!EVP_MAC_init(c->sw, key, keylen, params)) {
        if (ERR_peek_last_error() == 0)
            KAC_ERR(KAC_R_INVALID_PARAMETER, "%s: init failed (no %s set, or a bad key)",
                    mname(c), c->mode == KAC_MODE_HMAC ? "digest" : "cipher");
        return 0;
    }
    if (!note_params(c, params) || (key != NULL && !set_key(c, key, keylen)))
        return 0;
    restart(c);
    return 1;
}

/* Moves the message to software: the buffered part, then in. */
static int to_software(struct kac_mctx *c, enum kac_why why, const unsigned char *in,
                       size_t inl)
{
    if ((c->buflen > 0 && !EVP_MAC_update(c->sw, c->buf, c->buflen))
        || (inl > 0 && !EVP_MAC_update(c->sw, in, inl))) {
        c->state = KAC_M_FAILED;
        return 0;
    }
    buf_clear(c);
    c->state = KAC_M_SW;
    c->why = why;
    return 1;
}

/* As in digest.c: 1 on success, 0 when offload failed and the data is in hand. */
static int to_kernel(struct kac_mctx *c, const unsigned char *in, size_t inl, int more,
                     unsigned char *md, enum kac_why *why)
{
    int err = 0, r, fd;

    fd = kac_afalg_sess_fd(&c->sess, "hash", kac_route_driver(&c->prov->router, c->alg->id),
                           c->key, c->keylen, 0, &err);
    if (fd < 0) {
        r = -err;
        *why = KAC_WHY_SESSION;
        goto fail;
    }
    *why = KAC_WHY_OP_ERROR;
    if ((c->buflen > 0 && (r = kac_afalg_hash_send(fd, c->buf, c->buflen, more || inl > 0)) < 0)
        || ((inl > 0 || (!more && c->buflen == 0))
            && (r = kac_afalg_hash_send(fd, in, inl, more)) < 0)
        || (!more && (r = kac_afalg_hash_read(fd, md, c->alg->outlen)) < 0)) {
        kac_afalg_sess_close(&c->sess);
        goto fail;
    }
    buf_clear(c);
    return 1;
fail:
    kac_stats_error(c->alg->id);
    KAC_DBG("%s: offload of %zu bytes failed (%s): software", c->alg->name, c->buflen + inl,
            strerror(-r));
    return 0;
}

static int kernel_failed(struct kac_mctx *c, int r, const char *what)
{
    kac_stats_error(c->alg->id);
    kac_afalg_sess_close(&c->sess);
    c->state = KAC_M_FAILED;
    if (r == -EBADFD)
        KAC_ERR(KAC_R_OPERATION_FAILED,
                "%s: the offloaded MAC belongs to the parent process (fork mid-message)",
                c->alg->name);
    else
        KAC_ERR(KAC_R_OPERATION_FAILED, "%s: the kernel failed to %s after %zu bytes (%s)",
                c->alg->name, what, c->total, strerror(-r));
    return 0;
}

static int check_state(struct kac_mctx *c)
{
    if (c->state == KAC_M_DONE) {
        KAC_ERR(KAC_R_UPDATE_AFTER_FINAL, "%s: not initialised, or already finalised",
                mname(c));
        return 0;
    }
    if (c->state == KAC_M_FAILED) {
        KAC_ERR(KAC_R_OPERATION_FAILED, "%s: this message failed; init first", mname(c));
        return 0;
    }
    return 1;
}

static int buf_append(struct kac_mctx *c, const unsigned char *in, size_t inl)
{
    size_t need = c->buflen + inl;

    if (inl == 0)
        return 1;
    if (need > c->bufcap) {
        size_t limit = c->prov->router.min_offload[c->alg->id];
        size_t cap = c->bufcap < 256 ? 256 : c->bufcap * 2;
        unsigned char *nb;

        if (cap > limit)
            cap = limit; /* need < limit: the message is below the threshold */
        if (cap < need)
            cap = need;
        nb = OPENSSL_clear_realloc(c->buf, c->bufcap, cap);
        if (nb == NULL)
            return 0;
        c->buf = nb;
        c->bufcap = cap;
    }
    memcpy(c->buf + c->buflen, in, inl);
    c->buflen = need;
    return 1;
}

/* Why a message of this context cannot be offloaded at all (0: it may be). */
static int never_offload(const struct kac_mctx *c, enum kac_why *why)
{
    if (c->alg != NULL && !c->prov->router.registered[c->alg->id]) {
        *why = KAC_WHY_NO_ROUTE; /* not among kaccel-algorithms */
        return 1;
    }
    *why = KAC_WHY_PARAMS;
    return c->alg == NULL || c->tls || c->keylen == 0 || c->keylen > KAC_AFALG_HASH_MAX_KEY;
}

static int kac_mac_update(void *vctx, const unsigned char *in, size_t inl)
{
    struct kac_mctx *c = vctx;
    enum kac_why why;
    int r;

    if (!check_state(c))
        return 0;
    switch (c->state) {
    case KAC_M_BUF:
        if (never_offload(c, &why)) {
            /* straight to software: TLS-mode HMAC gives meaning to each update */
            c->total += inl;
            if (!to_software(c, why, NULL, 0))
                return 0;
            return EVP_MAC_update(c->sw, in, inl);
        }
        if (kac_route(&c->prov->router, c->alg->id, c->buflen + inl, &why)) {
            if (to_kernel(c, in, inl, 1, NULL, &why)) {
                c->total += inl;
                c->state = KAC_M_KERNEL;
                return 1;
            }
        } else if (why == KAC_WHY_SMALL) {
            if (!buf_append(c, in, inl)) {
                KAC_ERR0(KAC_R_MALLOC_FAILURE);
                return 0;
            }
            c->total += inl;
            return 1;
        }
        c->total += inl;
        return to_software(c, why, in, inl);
    case KAC_M_KERNEL:
        c->total += inl;
        if (!kac_afalg_hash_sess_owned(&c->sess))
            return kernel_failed(c, -EBADFD, "update");
        if ((r = kac_afalg_hash_send(c->sess.fd, in, inl, 1)) < 0)
            return kernel_failed(c, r, "update");
        return 1;
    default: /* KAC_M_SW */
        c->total += inl;
        return EVP_MAC_update(c->sw, in, inl);
    }
}

static int kac_mac_final(void *vctx, unsigned char *out, size_t *outl, size_t outsize)
{
    struct kac_mctx *c = vctx;
    enum kac_why why;
    size_t n = 0;
    int r;

    if (!check_state(c))
        return 0;
    switch (c->state) {
    case KAC_M_BUF:
        if (!never_offload(c, &why) && kac_route(&c->prov->router, c->alg->id, c->buflen, &why)) {
            if (outsize < c->alg->outlen) {
                ERR_raise(ERR_LIB_PROV, PROV_R_OUTPUT_BUFFER_TOO_SMALL);
                return 0;
            }
            if (to_kernel(c, NULL, 0, 0, out, &why)) {
                kac_stats_offload(c->alg->id, c->total);
                n = c->alg->outlen;
                break;
            }
        }
        if (!to_software(c, why, NULL, 0))
            return 0;
        /* fall through */
    case KAC_M_SW:
        if (!EVP_MAC_final(c->sw, out, &n, outsize)) {
            c->state = KAC_M_FAILED;
            return 0;
        }
        if (c->alg != NULL)
            kac_stats_software(c->alg->id, c->why, c->total);
        break;
    default: /* KAC_M_KERNEL */
        if (outsize < c->alg->outlen) {
            ERR_raise(ERR_LIB_PROV, PROV_R_OUTPUT_BUFFER_TOO_SMALL);
            return 0;
        }
        if (!kac_afalg_hash_sess_owned(&c->sess))
            return kernel_failed(c, -EBADFD, "finalise");
        if ((c->total == 0 && (r = kac_afalg_hash_send(c->sess.fd, NULL, 0, 0)) < 0)
            || (r = kac_afalg_hash_read(c->sess.fd, out, c->alg->outlen)) < 0) {
            OPENSSL_cleanse(out, c->alg->outlen);
            return kernel_failed(c, r, "finalise");
        }
        kac_stats_offload(c->alg->id, c->total);
        n = c->alg->outlen;
        break;
    }
    c->state = KAC_M_DONE;
    *outl = n;
    return 1;
}

static int kac_mac_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
    struct kac_mctx *c = vctx;

    return EVP_MAC_CTX_get_params(c->sw, params);
}

static int kac_mac_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
    struct kac_mctx *c = vctx;

    if (params == NULL)
        return 1;
    if (!EVP_MAC_CTX_set_params(c->sw, params))
        return 0;
    return note_params(c, params);
}

/* Parameter tables: exactly the default provider's. */
static const OSSL_PARAM *kac_hmac_gettable_ctx_params(void *vctx, void *provctx)
{
    return EVP_MAC_gettable_ctx_params(((struct kac_prov *)provctx)->swhmac);
}

static const OSSL_PARAM *kac_hmac_settable_ctx_params(void *vctx, void *provctx)
{
    return EVP_MAC_settable_ctx_params(((struct kac_prov *)provctx)->swhmac);
}

static const OSSL_PARAM *kac_cmac_gettable_ctx_params(void *vctx, void *provctx)
{
    return EVP_MAC_gettable_ctx_params(((struct kac_prov *)provctx)->swcmac);
}

static const OSSL_PARAM *kac_cmac_settable_ctx_params(void *vctx, void *provctx)
{
    return EVP_MAC_settable_ctx_params(((struct kac_prov *)provctx)->swcmac);
}

#define KAC_MAC_VARIANT(lc, mode)                                                        \
    static OSSL_FUNC_mac_newctx_fn kac_newctx_##lc;                                      \
    static void *kac_newctx_##lc(void *provctx) { return mctx_new(provctx, mode); }      \
    static const OSSL_DISPATCH kac_dispatch_##lc[] = {                                   \
        { OSSL_FUNC_MAC_NEWCTX, (void (*)(void))kac_newctx_##lc },                       \
        { OSSL_FUNC_MAC_DUPCTX, (void (*)(void))kac_mac_dupctx },                        \
        { OSSL_FUNC_MAC_FREECTX, (void (*)(void))kac_mac_freectx },                      \
        { OSSL_FUNC_MAC_INIT, (void (*)(void))kac_mac_init },                            \
        { OSSL_FUNC_MAC_UPDATE, (void (*)(void))kac_mac_update },                        \
        { OSSL_FUNC_MAC_FINAL, (void (*)(void))kac_mac_final },                          \
        { OSSL_FUNC_MAC_GETTABLE_CTX_PARAMS, (void (*)(void))kac_##lc##_gettable_ctx_params }, \
        { OSSL_FUNC_MAC_GET_CTX_PARAMS, (void (*)(void))kac_mac_get_ctx_params },        \
        { OSSL_FUNC_MAC_SETTABLE_CTX_PARAMS, (void (*)(void))kac_##lc##_settable_ctx_params }, \
        { OSSL_FUNC_MAC_SET_CTX_PARAMS, (void (*)(void))kac_mac_set_ctx_params },        \
        { 0, NULL },                                                                     \
    };

KAC_MAC_VARIANT(hmac, KAC_MODE_HMAC)
KAC_MAC_VARIANT(cmac, KAC_MODE_CMAC)

const OSSL_DISPATCH *kac_mac_dispatch(enum kac_mode mode)
{
    switch (mode) {
    case KAC_MODE_HMAC:
        return kac_dispatch_hmac;
    case KAC_MODE_CMAC:
        return kac_dispatch_cmac;
    default:
        return NULL;
    }
}
