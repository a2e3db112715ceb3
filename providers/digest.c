/*
 * SHA-1, SHA-2 and SHA-3 digests.
 *
 * A message is buffered until its length reaches the offload threshold: a
 * shorter message is hashed in software at final.  Once the threshold is
 * reached and a route exists, the buffer goes to an AF_ALG hash socket with
 * MSG_MORE and further updates stream straight to it; final reads the digest.
 * The buffer therefore never holds more than the threshold.
 *
 * While the buffered data is still in hand, a failed offload falls back to
 * software.  Once it has been handed to the kernel there is no software state
 * to continue from: a later kernel failure is an error, never a wrong digest.
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

enum kac_dstate {
    KAC_D_BUF,    /* buffering below the threshold (or nothing yet) */
    KAC_D_KERNEL, /* the message so far is in the AF_ALG socket */
    KAC_D_SW,     /* the message so far is in the software context */
    KAC_D_DONE,   /* final done: a new init is needed */
    KAC_D_FAILED, /* the kernel failed mid-stream: a new init is needed */
};

struct kac_dctx {
    struct kac_prov *prov;
    const struct kac_alg *alg;
    EVP_MD_CTX *sw;
    enum kac_dstate state;
    enum kac_why why;        /* why this message runs in software */
    unsigned char *buf;
    size_t buflen, bufcap;   /* bufcap <= the threshold */
    size_t total;            /* message length so far */
    struct kac_afalg_sess sess;
};

static OSSL_FUNC_digest_freectx_fn kac_digest_freectx;
static OSSL_FUNC_digest_dupctx_fn kac_digest_dupctx;
static OSSL_FUNC_digest_init_fn kac_digest_init;
static OSSL_FUNC_digest_update_fn kac_digest_update;
static OSSL_FUNC_digest_final_fn kac_digest_final;
static OSSL_FUNC_digest_gettable_params_fn kac_digest_gettable_params;
static OSSL_FUNC_digest_set_ctx_params_fn kac_digest_set_ctx_params;
static OSSL_FUNC_digest_settable_ctx_params_fn kac_digest_settable_ctx_params;

static void *dctx_new(void *provctx, enum kac_alg_id id)
{
    struct kac_dctx *c = OPENSSL_zalloc(sizeof(*c));

    if (c == NULL)
        return NULL;
    c->prov = provctx;
    c->alg = &kac_algs[id];
    c->state = KAC_D_DONE;
    kac_afalg_sess_init(&c->sess);
    if ((c->sw = EVP_MD_CTX_new()) == NULL) {
        OPENSSL_free(c);
        return NULL;
    }
    return c;
}

static void buf_clear(struct kac_dctx *c)
{
    OPENSSL_cleanse(c->buf, c->buflen);
    c->buflen = 0;
}

static void kac_digest_freectx(void *vctx)
{
    struct kac_dctx *c = vctx;

    if (c == NULL)
        return;
    kac_afalg_sess_close(&c->sess);
    EVP_MD_CTX_free(c->sw);
    OPENSSL_clear_free(c->buf, c->bufcap);
    OPENSSL_clear_free(c, sizeof(*c));
}

static void *kac_digest_dupctx(void *vctx)
{
    struct kac_dctx *src = vctx, *c = OPENSSL_malloc(sizeof(*c));

    if (c == NULL)
        return NULL;
    *c = *src;
    c->buf = NULL;
    c->sw = EVP_MD_CTX_new();
    kac_afalg_sess_init(&c->sess);
    if (c->sw == NULL)
        goto fail;
    if (src->state == KAC_D_SW && !EVP_MD_CTX_copy_ex(c->sw, src->sw))
        goto fail;
    if (src->bufcap > 0) {
        if ((c->buf = OPENSSL_malloc(src->bufcap)) == NULL)
            goto fail;
        memcpy(c->buf, src->buf, src->buflen);
    }
    if (src->state == KAC_D_KERNEL) {
        /* accept() on the operation socket clones the running hash */
        int r = kac_afalg_hash_sess_clone(&c->sess, &src->sess);

        if (r < 0) {
            kac_stats_error(src->alg->id);
            KAC_ERR(KAC_R_OPERATION_FAILED, "%s: cannot copy the offloaded hash state (%s)",
                    src->alg->name,
                    r == -EBADFD ? "socket of the parent process" : strerror(-r));
            goto fail;
        }
    }
    return c;
fail:
    EVP_MD_CTX_free(c->sw);
    OPENSSL_clear_free(c->buf, c->bufcap);
    OPENSSL_clear_free(c, sizeof(*c));
    return NULL;
}

static int kac_digest_init(void *vctx, const OSSL_PARAM params[])
{
    struct kac_dctx *c = vctx;

    if (c->prov->swmd[c->alg->id] == NULL) {
        KAC_ERR(KAC_R_SOFTWARE_FAILED, "no software implementation of %s", c->alg->name);
        return 0;
    }
    /* A socket holding part of an unfinished message cannot serve the next one. */
    if (c->state == KAC_D_KERNEL)
        kac_afalg_sess_close(&c->sess);
    buf_clear(c);
    c->total = 0;
    c->state = KAC_D_BUF;
    c->why = KAC_WHY_SMALL;
    return kac_digest_set_ctx_params(c, params);
}

/* Moves the message to software: the buffered part, then in. */
static int to_software(struct kac_dctx *c, enum kac_why why, const unsigned char *in,
                       size_t inl)
{
    if (!EVP_DigestInit_ex2(c->sw, c->prov->swmd[c->alg->id], NULL)
        || !EVP_DigestUpdate(c->sw, c->buf, c->buflen)
        || !EVP_DigestUpdate(c->sw, in, inl)) {
        KAC_ERR(KAC_R_SOFTWARE_FAILED, "%s: software implementation failed", c->alg->name);
        c->state = KAC_D_FAILED;
        return 0;
    }
    buf_clear(c);
    c->state = KAC_D_SW;
    c->why = why;
    return 1;
}

/*
 * Hands the buffered part and in to the kernel (more = 1: the message goes on;
 * more = 0: finalises and reads the digest into md).  Returns 1 on success,
 * 0 when the offload failed and the data is still in hand (*why set).
 */
static int to_kernel(struct kac_dctx *c, const unsigned char *in, size_t inl, int more,
                     unsigned char *md, enum kac_why *why)
{
    int err = 0, r, fd;

    fd = kac_afalg_sess_fd(&c->sess, "hash", kac_route_driver(&c->prov->router, c->alg->id),
                           NULL, 0, 0, &err);
    if (fd < 0) {
        r = -err;
        *why = KAC_WHY_SESSION;
        goto fail;
    }
    *why = KAC_WHY_OP_ERROR;
    /* Nothing is sent for an empty start with MSG_MORE: final then sends the empty end. */
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

/* Mid-stream kernel failure: the message cannot be completed. */
static int kernel_failed(struct kac_dctx *c, int r, const char *what)
{
    kac_stats_error(c->alg->id);
    kac_afalg_sess_close(&c->sess);
    c->state = KAC_D_FAILED;
    if (r == -EBADFD)
        KAC_ERR(KAC_R_OPERATION_FAILED,
                "%s: the offloaded hash belongs to the parent process (fork mid-message)",
                c->alg->name);
    else
        KAC_ERR(KAC_R_OPERATION_FAILED, "%s: the kernel failed to %s after %zu bytes (%s)",
                c->alg->name, what, c->total, strerror(-r));
    return 0;
}

static int check_state(struct kac_dctx *c)
{
    if (c->state == KAC_D_DONE) {
        KAC_ERR(KAC_R_UPDATE_AFTER_FINAL, "%s: digest already finalised; init first",
                c->alg->name);
        return 0;
    }
    if (c->state == KAC_D_FAILED) {
        KAC_ERR(KAC_R_OPERATION_FAILED, "%s: this message failed; init first", c->alg->name);
        return 0;
    }
    return 1;
}

static int buf_append(struct kac_dctx *c, const unsigned char *in, size_t inl)
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

static int kac_digest_update(void *vctx, const unsigned char *in, size_t inl)
{
    struct kac_dctx *c = vctx;
    enum kac_why why;
    int r;

    if (!check_state(c))
        return 0;
    switch (c->state) {
    case KAC_D_BUF:
        if (kac_route(&c->prov->router, c->alg->id, c->buflen + inl, &why)) {
            if (to_kernel(c, in, inl, 1, NULL, &why)) {
                c->total += inl;
                c->state = KAC_D_KERNEL;
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
    case KAC_D_KERNEL:
        c->total += inl;
        if (!kac_afalg_hash_sess_owned(&c->sess))
            return kernel_failed(c, -EBADFD, "update");
        if ((r = kac_afalg_hash_send(c->sess.fd, in, inl, 1)) < 0)
            return kernel_failed(c, r, "update");
        return 1;
    default: /* KAC_D_SW */
        c->total += inl;
        return EVP_DigestUpdate(c->sw, in, inl);
    }
}

static int kac_digest_final(void *vctx, unsigned char *out, size_t *outl, size_t outsz)
{
    struct kac_dctx *c = vctx;
    enum kac_alg_id id = c->alg->id;
    unsigned int n = 0;
    enum kac_why why;
    int r;

    if (!check_state(c))
        return 0;
    if (outsz < c->alg->outlen) {
        ERR_raise(ERR_LIB_PROV, PROV_R_OUTPUT_BUFFER_TOO_SMALL);
        return 0;
    }
    switch (c->state) {
    case KAC_D_BUF:
        if (kac_route(&c->prov->router, id, c->buflen, &why)
            && to_kernel(c, NULL, 0, 0, out, &why)) {
            kac_stats_offload(id, c->total);
            break;
        }
        if (!to_software(c, why, NULL, 0))
            return 0;
        /* fall through */
    case KAC_D_SW:
        if (!EVP_DigestFinal_ex(c->sw, out, &n) || n != c->alg->outlen) {
            c->state = KAC_D_FAILED;
            KAC_ERR(KAC_R_SOFTWARE_FAILED, "%s: software implementation failed", c->alg->name);
            return 0;
        }
        kac_stats_software(id, c->why, c->total);
        break;
    default: /* KAC_D_KERNEL */
        if (!kac_afalg_hash_sess_owned(&c->sess))
            return kernel_failed(c, -EBADFD, "finalise");
        /*
         * An empty message has sent nothing yet: end it explicitly, or a reused
         * socket would return the previous message's digest.
         */
        if ((c->total == 0 && (r = kac_afalg_hash_send(c->sess.fd, NULL, 0, 0)) < 0)
            || (r = kac_afalg_hash_read(c->sess.fd, out, c->alg->outlen)) < 0) {
            OPENSSL_cleanse(out, c->alg->outlen);
            return kernel_failed(c, r, "finalise");
        }
        kac_stats_offload(id, c->total);
        break;
    }
    c->state = KAC_D_DONE; /* the socket, if any, stays open for the next message */
    *outl = c->alg->outlen;
    return 1;
}

/* SHA-1's "ssl3-ms" (SSLv3 client authentication) is applied by the software context. */
static int kac_digest_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
    struct kac_dctx *c = vctx;

    if (params == NULL || c->alg->id != KAC_SHA1
        || OSSL_PARAM_locate_const(params, OSSL_DIGEST_PARAM_SSL3_MS) == NULL)
        return 1;
    if (c->state == KAC_D_BUF && !to_software(c, KAC_WHY_PARAMS, NULL, 0))
        return 0;
    if (c->state != KAC_D_SW) {
        KAC_ERR(KAC_R_INVALID_PARAMETER, "%s: %s needs the message in software",
                c->alg->name, OSSL_DIGEST_PARAM_SSL3_MS);
        return 0;
    }
    c->why = KAC_WHY_PARAMS;
    return EVP_MD_CTX_set_params(c->sw, params);
}

static const OSSL_PARAM *kac_digest_settable_ctx_params(void *vctx, void *provctx)
{
    static const OSSL_PARAM p[] = {
        { OSSL_DIGEST_PARAM_SSL3_MS, OSSL_PARAM_OCTET_STRING, NULL, 0, 0 },
        OSSL_PARAM_END,
    };
    return p;
}

static const OSSL_PARAM *kac_digest_gettable_params(void *provctx)
{
    static const OSSL_PARAM p[] = {
        OSSL_PARAM_size_t(OSSL_DIGEST_PARAM_BLOCK_SIZE, NULL),
        OSSL_PARAM_size_t(OSSL_DIGEST_PARAM_SIZE, NULL),
        OSSL_PARAM_int(OSSL_DIGEST_PARAM_XOF, NULL),
        OSSL_PARAM_int(OSSL_DIGEST_PARAM_ALGID_ABSENT, NULL),
        OSSL_PARAM_END,
    };
    return p;
}

static int get_params(enum kac_alg_id id, OSSL_PARAM params[])
{
    const struct kac_alg *a = &kac_algs[id];
    OSSL_PARAM *p;

    if (((p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_BLOCK_SIZE)) != NULL
         && !OSSL_PARAM_set_size_t(p, a->blocksize))
        || ((p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_SIZE)) != NULL
            && !OSSL_PARAM_set_size_t(p, a->outlen))
        || ((p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_XOF)) != NULL
            && !OSSL_PARAM_set_int(p, 0))
        /* SHA-1, SHA-2 and SHA-3 signature AlgorithmIdentifiers omit the parameters */
        || ((p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_ALGID_ABSENT)) != NULL
            && !OSSL_PARAM_set_int(p, 1))) {
        ERR_raise(ERR_LIB_PROV, PROV_R_FAILED_TO_SET_PARAMETER);
        return 0;
    }
    return 1;
}

#define KAC_DIGEST_COMMON(id)                                                            \
    { OSSL_FUNC_DIGEST_NEWCTX, (void (*)(void))kac_newctx_##id },                        \
    { OSSL_FUNC_DIGEST_FREECTX, (void (*)(void))kac_digest_freectx },                    \
    { OSSL_FUNC_DIGEST_DUPCTX, (void (*)(void))kac_digest_dupctx },                      \
    { OSSL_FUNC_DIGEST_INIT, (void (*)(void))kac_digest_init },                          \
    { OSSL_FUNC_DIGEST_UPDATE, (void (*)(void))kac_digest_update },                      \
    { OSSL_FUNC_DIGEST_FINAL, (void (*)(void))kac_digest_final },                        \
    { OSSL_FUNC_DIGEST_GET_PARAMS, (void (*)(void))kac_get_params_##id },                \
    { OSSL_FUNC_DIGEST_GETTABLE_PARAMS, (void (*)(void))kac_digest_gettable_params }

/* One line per algorithm; SHA-1 also takes "ssl3-ms", as in the default provider. */
#define KAC_DIGEST_VARIANT(id, extra)                                                    \
    static OSSL_FUNC_digest_newctx_fn kac_newctx_##id;                                   \
    static OSSL_FUNC_digest_get_params_fn kac_get_params_##id;                           \
    static void *kac_newctx_##id(void *provctx) { return dctx_new(provctx, id); }        \
    static int kac_get_params_##id(OSSL_PARAM params[]) { return get_params(id, params); } \
    static const OSSL_DISPATCH kac_dispatch_##id[] = {                                   \
        KAC_DIGEST_COMMON(id), extra { 0, NULL },                                        \
    };

#define KAC_SSL3_MS                                                                      \
    { OSSL_FUNC_DIGEST_SET_CTX_PARAMS, (void (*)(void))kac_digest_set_ctx_params },      \
    { OSSL_FUNC_DIGEST_SETTABLE_CTX_PARAMS, (void (*)(void))kac_digest_settable_ctx_params },

#define KAC_DIGESTS(X)                                                                   \
    X(KAC_SHA1, KAC_SSL3_MS)                                                             \
    X(KAC_SHA2_224, ) X(KAC_SHA2_256, ) X(KAC_SHA2_384, ) X(KAC_SHA2_512, )             \
    X(KAC_SHA3_224, ) X(KAC_SHA3_256, ) X(KAC_SHA3_384, ) X(KAC_SHA3_512, )

KAC_DIGESTS(KAC_DIGEST_VARIANT)

const OSSL_DISPATCH *kac_digest_dispatch(enum kac_alg_id id)
{
    switch (id) {
#define KAC_DIGEST_CASE(id, extra) case id: return kac_dispatch_##id;
        KAC_DIGESTS(KAC_DIGEST_CASE)
#undef KAC_DIGEST_CASE
    default:
        return NULL;
    }
}
