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
 * the AES key length), streamed to a keyed AF_ALG hash socket, or buffered
 * whole for one DPDK op at final.  A failure while the buffered data is in
 * hand falls back to software; a kernel failure after that is an error.  The
 * message handling itself is hstream.c's.
 *
 * The offload key is the one HMAC itself uses (RFC 2104 section 2): a key
 * longer than the digest's block size is replaced by its digest, so a backend
 * never gets more than a block (DPDK PMDs advertise HMAC keys up to the block
 * size) and the MAC is the same by definition.  The AF_ALG socket and the
 * DPDK session are made once per key and reused by every message until the
 * key or the variant changes; a copy (dupctx) makes its own.
 */
#include <string.h>

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/proverr.h>

#include "../src/backend/afalg/hash.h"
#include "../src/core/error.h"
#include "hstream.h"
#include "prov.h"

struct kac_mctx {
    struct kac_hstream hs;   /* hs.alg: variant the key was set for; NULL: not kaccel's */
    enum kac_mode mode;      /* KAC_MODE_HMAC or KAC_MODE_CMAC */
    EVP_MAC_CTX *sw;
    char name[64];           /* last digest / cipher parameter ("" when unknown) */
    unsigned char *key;
    size_t keylen;
    int key_set;
    unsigned char okey[EVP_MAX_MD_SIZE]; /* HMAC key longer than a block: its digest */
    size_t okeylen;                      /* 0: the offload key is key itself */
    int tls;                 /* HMAC tls-data-size > 0: TLS records, software */
};

#define MCTX(h) KAC_HS_OWNER(h, struct kac_mctx, hs)

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
    return c->hs.alg != NULL ? c->hs.alg->name : c->mode == KAC_MODE_HMAC ? "HMAC" : "CMAC";
}

/* Starts the software context (initialised with the key) with the buffered part, then in. */
static int sw_start(struct kac_hstream *hs, const unsigned char *in, size_t inl)
{
    EVP_MAC_CTX *sw = MCTX(hs)->sw;

    return !((hs->buflen > 0 && !EVP_MAC_update(sw, hs->buf, hs->buflen))
             || (inl > 0 && !EVP_MAC_update(sw, in, inl)));
}

static int sw_update(struct kac_hstream *hs, const unsigned char *in, size_t inl)
{
    return EVP_MAC_update(MCTX(hs)->sw, in, inl);
}

static int sw_final(struct kac_hstream *hs, unsigned char *out, size_t *outl, size_t outsz)
{
    return EVP_MAC_final(MCTX(hs)->sw, out, outl, outsz);
}

static const struct kac_hs_ops mops = {
    .what = "MAC", .sw_start = sw_start, .sw_update = sw_update, .sw_final = sw_final,
};

static void *mctx_new(void *provctx, enum kac_mode mode)
{
    struct kac_prov *prov = provctx;
    struct kac_mctx *c = OPENSSL_zalloc(sizeof(*c));
    EVP_MAC *m = mode == KAC_MODE_HMAC ? prov->swhmac : prov->swcmac;

    if (c == NULL)
        return NULL;
    kac_hs_init(&c->hs, prov, NULL, &mops);
    c->mode = mode;
    if (m == NULL || (c->sw = EVP_MAC_CTX_new(m)) == NULL) {
        OPENSSL_free(c);
        return NULL;
    }
    return c;
}

static void kac_mac_freectx(void *vctx)
{
    struct kac_mctx *c = vctx;

    if (c == NULL)
        return;
    kac_hs_free(&c->hs);
    EVP_MAC_CTX_free(c->sw);
    OPENSSL_clear_free(c->key, c->keylen);
    OPENSSL_clear_free(c, sizeof(*c));
}

static void *kac_mac_dupctx(void *vctx)
{
    struct kac_mctx *src = vctx, *c = OPENSSL_malloc(sizeof(*c));

    if (c == NULL)
        return NULL;
    *c = *src;
    c->key = NULL;
    kac_hs_dup_reset(&c->hs);
    if ((c->sw = EVP_MAC_CTX_dup(src->sw)) == NULL)
        goto fail;
    if (src->key != NULL) {
        /* an empty key is a 1-byte allocation (OPENSSL_memdup of 0 bytes fails) */
        if ((c->key = OPENSSL_malloc(src->keylen > 0 ? src->keylen : 1)) == NULL)
            goto fail;
        memcpy(c->key, src->key, src->keylen);
    }
    if (!kac_hs_dup(&c->hs, &src->hs)) /* a running kernel MAC: variant set */
        goto fail;
    return c;
fail:
    EVP_MAC_CTX_free(c->sw);
    kac_hs_free(&c->hs);
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

/* The key handed to the offload backends (see the top of this file). */
static const unsigned char *offload_key(const struct kac_mctx *c, size_t *len)
{
    if (c->okeylen > 0) {
        *len = c->okeylen;
        return c->okey;
    }
    *len = c->keylen;
    return c->key;
}

/* An HMAC key longer than the digest's block size is hashed first, as HMAC does. */
static void set_okey(struct kac_mctx *c)
{
    const struct kac_alg *a = c->hs.alg, *d;
    EVP_MD *md = NULL;
    unsigned int n = 0;
    int ok;

    OPENSSL_cleanse(c->okey, sizeof(c->okey));
    c->okeylen = 0;
    if (a == NULL || a->mode != KAC_MODE_HMAC || c->keylen <= a->blocksize)
        return;
    d = kac_alg_by_name(c->name);
    ERR_set_mark(); /* a failure here only means software for this key */
    ok = d != NULL && (md = EVP_MD_fetch(c->hs.prov->swctx, d->name, NULL)) != NULL
         && EVP_Digest(c->key, c->keylen, c->okey, &n, md, NULL) && n == a->outlen;
    EVP_MD_free(md);
    ERR_pop_to_mark();
    if (!ok) {
        OPENSSL_cleanse(c->okey, sizeof(c->okey));
        c->hs.alg = NULL; /* no offload key: this key's messages stay in software */
        return;
    }
    c->okeylen = n;
}

/* A new key (as the software context applies it: with the current digest / cipher). */
static int set_key(struct kac_mctx *c, const unsigned char *key, size_t keylen)
{
    const struct kac_alg *old = c->hs.alg;
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
    c->hs.alg = variant(c);
    if (!same || old != c->hs.alg) {
        kac_hs_rekey(&c->hs); /* the same key keeps its socket and DPDK session */
        set_okey(c);
    }
    return 1;
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
        kac_hs_restart(&c->hs); /* a new key restarts the software context's message too */
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
    kac_hs_restart(&c->hs);
    c->hs.state = KAC_HS_FAILED; /* until the software context accepts the key and parameters */
    if (!EVP_MAC_init(c->sw, key, keylen, params)) {
        if (ERR_peek_last_error() == 0)
            KAC_ERR(KAC_R_INVALID_PARAMETER, "%s: init failed (no %s set, or a bad key)",
                    mname(c), c->mode == KAC_MODE_HMAC ? "digest" : "cipher");
        return 0;
    }
    if (!note_params(c, params) || (key != NULL && !set_key(c, key, keylen)))
        return 0;
    kac_hs_restart(&c->hs); /* the message restarts with the software context */
    return 1;
}

static int check_state(struct kac_mctx *c)
{
    return kac_hs_check(&c->hs, mname(c), "not initialised, or already finalised");
}

/* Why a message of this context cannot be offloaded at all (0: it may be). */
static int never_offload(const struct kac_mctx *c, enum kac_why *why)
{
    const struct kac_alg *a = c->hs.alg;

    if (a != NULL && !c->hs.prov->router.registered[a->id]) {
        *why = KAC_WHY_NO_ROUTE; /* not among kaccel-algorithms */
        return 1;
    }
    *why = KAC_WHY_PARAMS;
    return a == NULL || c->tls || c->keylen == 0
           || (c->okeylen > 0 ? c->okeylen : c->keylen) > KAC_AFALG_HASH_MAX_KEY;
}

/* The whole message so far is in kaccel's buffer (nothing handed to a backend). */
static int in_hand(const struct kac_mctx *c)
{
    return c->hs.state == KAC_HS_BUF || c->hs.state == KAC_HS_DPDK;
}

static int kac_mac_update(void *vctx, const unsigned char *in, size_t inl)
{
    struct kac_mctx *c = vctx;
    const unsigned char *key;
    size_t keylen;
    enum kac_why why;

    if (!check_state(c))
        return 0;
    if (in_hand(c) && never_offload(c, &why)) {
        /* straight to software: TLS-mode HMAC gives meaning to each update */
        c->hs.total += inl;
        if (!kac_hs_to_software(&c->hs, why, NULL, 0))
            return 0;
        return EVP_MAC_update(c->sw, in, inl);
    }
    key = offload_key(c, &keylen);
    return kac_hs_update(&c->hs, in, inl, key, keylen);
}

static int kac_mac_final(void *vctx, unsigned char *out, size_t *outl, size_t outsize)
{
    struct kac_mctx *c = vctx;
    const unsigned char *key;
    size_t keylen;
    enum kac_why why;

    if (!check_state(c))
        return 0;
    if (in_hand(c) && never_offload(c, &why) && !kac_hs_to_software(&c->hs, why, NULL, 0))
        return 0;
    key = offload_key(c, &keylen);
    return kac_hs_final(&c->hs, out, outl, outsize, key, keylen);
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
