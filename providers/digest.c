/*
 * SHA-1, SHA-2 and SHA-3 digests.
 *
 * A message is buffered until its length reaches the offload threshold: a
 * shorter message is hashed in software at final.  Once the threshold is
 * reached and a route exists, the buffer goes to an AF_ALG hash socket with
 * MSG_MORE and further updates stream straight to it; final reads the digest.
 * Through DPDK, which hashes whole messages only, the message is buffered
 * whole (up to one op) and hashed by one op at final.
 *
 * While the buffered data is still in hand, a failed offload falls back to
 * software.  Once it has been handed to the kernel there is no software state
 * to continue from: a later kernel failure is an error, never a wrong digest.
 *
 * The message handling itself is hstream.c's; this file supplies the software
 * EVP_MD_CTX and the parameters.  A context's DPDK session (no key) serves
 * every message of the context and a copy makes its own; OpenSSL 3.0 makes a
 * new provider context at every EVP_DigestInit, so a session failure is
 * remembered per algorithm instead (see hstream.c).
 */
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/proverr.h>

#include "../src/core/error.h"
#include "hstream.h"
#include "prov.h"

struct kac_dctx {
    struct kac_hstream hs; /* prov, alg, state, buffer, socket */
    EVP_MD_CTX *sw;
};

#define DCTX(h) KAC_HS_OWNER(h, struct kac_dctx, hs)

static OSSL_FUNC_digest_freectx_fn kac_digest_freectx;
static OSSL_FUNC_digest_dupctx_fn kac_digest_dupctx;
static OSSL_FUNC_digest_init_fn kac_digest_init;
static OSSL_FUNC_digest_update_fn kac_digest_update;
static OSSL_FUNC_digest_final_fn kac_digest_final;
static OSSL_FUNC_digest_gettable_params_fn kac_digest_gettable_params;
static OSSL_FUNC_digest_set_ctx_params_fn kac_digest_set_ctx_params;
static OSSL_FUNC_digest_settable_ctx_params_fn kac_digest_settable_ctx_params;

/* Starts the software context with the buffered part, then in. */
static int sw_start(struct kac_hstream *hs, const unsigned char *in, size_t inl)
{
    EVP_MD_CTX *sw = DCTX(hs)->sw;

    if (!EVP_DigestInit_ex2(sw, hs->prov->swmd[hs->alg->id], NULL)
        || !EVP_DigestUpdate(sw, hs->buf, hs->buflen)
        || !EVP_DigestUpdate(sw, in, inl)) {
        KAC_ERR(KAC_R_SOFTWARE_FAILED, "%s: software implementation failed", hs->alg->name);
        return 0;
    }
    return 1;
}

static int sw_update(struct kac_hstream *hs, const unsigned char *in, size_t inl)
{
    return EVP_DigestUpdate(DCTX(hs)->sw, in, inl);
}

static int sw_final(struct kac_hstream *hs, unsigned char *out, size_t *outl, size_t outsz)
{
    unsigned int n = 0;

    if (!EVP_DigestFinal_ex(DCTX(hs)->sw, out, &n) || n != hs->alg->outlen) {
        KAC_ERR(KAC_R_SOFTWARE_FAILED, "%s: software implementation failed", hs->alg->name);
        return 0;
    }
    *outl = n;
    return 1;
}

static const struct kac_hs_ops dops = {
    .what = "hash", .sw_start = sw_start, .sw_update = sw_update, .sw_final = sw_final,
};

static void *dctx_new(void *provctx, enum kac_alg_id id)
{
    struct kac_dctx *c = OPENSSL_zalloc(sizeof(*c));

    if (c == NULL)
        return NULL;
    kac_hs_init(&c->hs, provctx, &kac_algs[id], &dops);
    if ((c->sw = EVP_MD_CTX_new()) == NULL) {
        OPENSSL_free(c);
        return NULL;
    }
    return c;
}

static void kac_digest_freectx(void *vctx)
{
    struct kac_dctx *c = vctx;

    if (c == NULL)
        return;
    kac_hs_free(&c->hs);
    EVP_MD_CTX_free(c->sw);
    OPENSSL_clear_free(c, sizeof(*c));
}

static void *kac_digest_dupctx(void *vctx)
{
    struct kac_dctx *src = vctx, *c = OPENSSL_malloc(sizeof(*c));

    if (c == NULL)
        return NULL;
    *c = *src;
    kac_hs_dup_reset(&c->hs);
    c->sw = EVP_MD_CTX_new();
    if (c->sw == NULL)
        goto fail;
    if (src->hs.state == KAC_HS_SW && !EVP_MD_CTX_copy_ex(c->sw, src->sw))
        goto fail;
    if (!kac_hs_dup(&c->hs, &src->hs))
        goto fail;
    return c;
fail:
    EVP_MD_CTX_free(c->sw);
    kac_hs_free(&c->hs);
    OPENSSL_clear_free(c, sizeof(*c));
    return NULL;
}

static int kac_digest_init(void *vctx, const OSSL_PARAM params[])
{
    struct kac_dctx *c = vctx;

    if (c->hs.prov->swmd[c->hs.alg->id] == NULL) {
        KAC_ERR(KAC_R_SOFTWARE_FAILED, "no software implementation of %s", c->hs.alg->name);
        return 0;
    }
    kac_hs_restart(&c->hs);
    return kac_digest_set_ctx_params(c, params);
}

static int check_state(struct kac_dctx *c)
{
    return kac_hs_check(&c->hs, c->hs.alg->name, "digest already finalised; init first");
}

static int kac_digest_update(void *vctx, const unsigned char *in, size_t inl)
{
    struct kac_dctx *c = vctx;

    if (!check_state(c))
        return 0;
    return kac_hs_update(&c->hs, in, inl, NULL, 0);
}

static int kac_digest_final(void *vctx, unsigned char *out, size_t *outl, size_t outsz)
{
    struct kac_dctx *c = vctx;

    if (!check_state(c))
        return 0;
    if (outsz < c->hs.alg->outlen) {
        ERR_raise(ERR_LIB_PROV, PROV_R_OUTPUT_BUFFER_TOO_SMALL);
        return 0;
    }
    return kac_hs_final(&c->hs, out, outl, outsz, NULL, 0);
}

/* SHA-1's "ssl3-ms" (SSLv3 client authentication) is applied by the software context. */
static int kac_digest_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
    struct kac_dctx *c = vctx;

    if (params == NULL || c->hs.alg->id != KAC_SHA1
        || OSSL_PARAM_locate_const(params, OSSL_DIGEST_PARAM_SSL3_MS) == NULL)
        return 1;
    if ((c->hs.state == KAC_HS_BUF || c->hs.state == KAC_HS_DPDK)
        && !kac_hs_to_software(&c->hs, KAC_WHY_PARAMS, NULL, 0))
        return 0;
    if (c->hs.state != KAC_HS_SW) {
        KAC_ERR(KAC_R_INVALID_PARAMETER, "%s: %s needs the message in software",
                c->hs.alg->name, OSSL_DIGEST_PARAM_SSL3_MS);
        return 0;
    }
    c->hs.why = KAC_WHY_PARAMS;
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
