/*
 * AES-GCM, AES-CCM and ChaCha20-Poly1305.
 *
 * Every context holds a software context of the default provider (kaccel's
 * private library context) that receives exactly the parameters the caller
 * sets, so key/IV/tag validation, "iv", "updated-iv", "tlsaadpad", IV
 * generation and every other parameter are OpenSSL's own.  kaccel intercepts
 * only the message data: one path per message.
 *
 * A message (AAD updates, data updates, final) is held back until its first
 * data update (or its final, for an AAD-only message):
 *  - AAD (and CCM's total-length update) is buffered, not yet given to the
 *    software context;
 *  - the first data update decides: AF_ALG when routing says so for the
 *    message size, the kernel takes the parameters (IV and tag lengths) and,
 *    on decrypt, the expected tag was set before the data; else the buffered
 *    AAD and the data go to the software context (the message is software);
 *  - an offloaded message whose data continues in a second update was longer
 *    than its first update: the software context is replayed (AAD, then the
 *    copy kept of the offloaded input, output discarded - identical bytes)
 *    and the message continues there, its final tag being OpenSSL's.
 *
 * Decrypt, offloaded: the kernel verifies the tag over what it was given.
 * A mismatch (EBADMSG) is handled exactly as OpenSSL's default provider
 * handles a bad tag in the same API, so results never depend on the path:
 *  - CCM (one data update by definition): the output is cleansed and the
 *    update fails - no plaintext is released;
 *  - TLS 1.2 records: the record is cleansed and fails, as OpenSSL's;
 *  - streaming GCM and ChaCha20-Poly1305 (EVP_DecryptUpdate): the message
 *    may continue in further updates (a caller may set the tag first and then
 *    stream, as Python's cryptography does), so the kernel's verdict on the
 *    first update alone is not final.  That update is redone in software from
 *    the kept copy of its input and released as OpenSSL releases it, and
 *    final verifies the tag over the whole message.  A context that shows
 *    this pattern (a further update after such a redo) stops offloading
 *    decrypts whose tag is set before the data.
 *
 * TLS 1.2 records ("tlsaad" set, then one in-place update or EVP_Cipher):
 * GCM and ChaCha20-Poly1305 records are offloaded with the explicit-nonce
 * handling of the default provider (GCM: the software context generates the
 * explicit IV through "tlsivgen" on encrypt and takes it through "tlsivinv"
 * on decrypt, so "iv"/"updated-iv" stay OpenSSL's; ChaCha20-Poly1305: nonce
 * = fixed IV xor sequence number); CCM records run in software.
 *
 * Kernel errors (session open failure, EBUSY, EIO...) redo the message in
 * software from the kept copy of the input: never wrong bytes.
 *
 * DPDK (when routing picks it for the message): the same messages, TLS
 * records included, go as one op to the context's DPDK session (key,
 * direction, IV, tag and AAD lengths; remade when one of them changes, and a
 * refused set is not asked for again until the key changes).  The op reads
 * the kept copy of the input, never the output buffer, so an in-place message
 * whose op fails is restored and redone in software.  An op takes 1 to
 * KAC_DPDK_MAX_OP bytes of data and at most KAC_DPDK_AEAD_AAD bytes of AAD,
 * GCM and ChaCha20-Poly1305 a 12-byte nonce (see dpdk_params), CCM its 7 to
 * 13; other messages are software.  A tag mismatch is handled as the
 * kernel's; a full queue pair sends the message to software (no error).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/proverr.h>

#include "../src/backend/afalg/aead.h"
#include "../src/backend/afalg/session.h"
#include "../src/backend/afalg/uring.h"
#include "../src/backend/dpdk/dpdk.h"
#include "../src/core/error.h"
#include "../src/core/log.h"
#include "prov.h"

#define KAC_TAG_MAX 16
#define KAC_TLS_AAD_LEN 13     /* EVP_AEAD_TLS1_AAD_LEN */
#define KAC_GCM_EXPLICIT_IV 8  /* EVP_GCM_TLS_EXPLICIT_IV_LEN */
#define KAC_GCM_MAX_IV 128     /* the default provider's GCM IV limit */
#define KAC_AAD_HOLD_MAX KAC_AFALG_AEAD_MAX /* longer AAD: the message is software */
#define KAC_DPDK_AEAD_AAD 256  /* the most AAD kac_dpdk_aead() takes */

enum kac_msg {
    KAC_MSG_FRESH,     /* nothing of the message seen yet (AAD may be buffered) */
    KAC_MSG_OFFLOADED, /* the data went to the kernel as one message */
    KAC_MSG_SW,        /* the software context has the message */
    KAC_MSG_FAILED,    /* the kernel rejected the tag: only a new init helps */
};

struct kac_actx {
    struct kac_prov *prov;
    const struct kac_alg *alg;
    EVP_CIPHER_CTX *sw;
    int enc;
    int key_set;
    size_t keylen;
    unsigned char key[32];

    /* The IV as set at init (offload needs it); iv_ok: usable for this message. */
    unsigned char iv[16];
    size_t ivlen;
    int iv_ok;
    int finished;          /* final done: data needs a new IV */
    int ccm_iv_set;        /* CCM: IV usable (cleared after a message, as OpenSSL) */
    size_t ccm_m;          /* CCM tag length M */
    /* CCM: M, nonce length and direction when the key was set (OpenSSL keeps them) */
    size_t ccm_key_m, ccm_key_ivlen;
    int ccm_key_enc;

    /* Decrypt: expected tag (set before the data for offload). */
    unsigned char tag[KAC_TAG_MAX];
    size_t taglen;
    int tag_set;
    /* Encrypt: tag of an offloaded message, served by "tag". */
    unsigned char otag[KAC_TAG_MAX];
    size_t otaglen;
    int otag_mine;

    /* TLS 1.2 */
    unsigned char tls_aad[KAC_TLS_AAD_LEN];
    int tls_aad_set;
    int gcm_ivgen;         /* GCM: tlsivfixed set (explicit IV generated/taken) */
    unsigned char cp_nonce[12]; /* ChaCha20-Poly1305: the base nonce */
    int cp_nonce_set;

    /* The current message */
    enum kac_msg state;
    unsigned char *aad;
    size_t aadlen, aadcap;
    unsigned aad_updates;
    int ccm_len_pending;
    size_t ccm_len;
    unsigned char *copy;   /* the offloaded message's input (replay / fallback) */
    size_t copylen, copycap;
    int redone;            /* this message's first update was redone after EBADMSG */
    int tag_first_streams; /* the caller streams decrypts after setting the tag */

    struct kac_afalg_sess sess;
    unsigned sess_authsize;
    struct kac_ureq req;   /* the session's request (one in flight per context) */

    struct kac_dpdk_sess *dsess; /* DPDK session, made at the first DPDK message */
    struct {                     /* the parameters a DPDK session was refused for */
        int set, enc, err;
        unsigned ivlen, taglen, aadlen;
    } dfail;
};

static OSSL_FUNC_cipher_freectx_fn kac_aead_freectx;
static OSSL_FUNC_cipher_dupctx_fn kac_aead_dupctx;
static OSSL_FUNC_cipher_encrypt_init_fn kac_aead_einit;
static OSSL_FUNC_cipher_decrypt_init_fn kac_aead_dinit;
static OSSL_FUNC_cipher_update_fn kac_aead_update;
static OSSL_FUNC_cipher_final_fn kac_aead_final;
static OSSL_FUNC_cipher_cipher_fn kac_aead_cipher;
static OSSL_FUNC_cipher_get_ctx_params_fn kac_aead_get_ctx_params;
static OSSL_FUNC_cipher_set_ctx_params_fn kac_aead_set_ctx_params;

static void *actx_new(void *provctx, enum kac_alg_id id)
{
    struct kac_prov *prov = provctx;
    const EVP_CIPHER *swc = kac_prov_swcipher(prov, id);
    struct kac_actx *c;

    if (swc == NULL) {
        KAC_ERR(KAC_R_SOFTWARE_FAILED, "no software implementation of %s", kac_algs[id].name);
        return NULL;
    }
    if ((c = OPENSSL_zalloc(sizeof(*c))) == NULL)
        return NULL;
    c->prov = prov;
    c->alg = &kac_algs[id];
    c->enc = 1;
    c->keylen = c->alg->keylen;
    c->ivlen = c->alg->ivlen;
    c->ccm_m = c->alg->outlen;
    c->ccm_key_m = c->ccm_m;
    c->ccm_key_ivlen = c->ivlen;
    c->ccm_key_enc = 1;
    kac_afalg_sess_init(&c->sess);
    /* The software context exists from the start so its parameters answer before init. */
    c->sw = EVP_CIPHER_CTX_new();
    if (c->sw == NULL || !EVP_CipherInit_ex2(c->sw, swc, NULL, NULL, 1, NULL)) {
        EVP_CIPHER_CTX_free(c->sw);
        OPENSSL_free(c);
        return NULL;
    }
    return c;
}

static void kac_aead_freectx(void *vctx)
{
    struct kac_actx *c = vctx;

    if (c == NULL)
        return;
    kac_uq_quiesce(&c->req);
    kac_afalg_sess_close(&c->sess);
    kac_dpdk_sess_free(c->dsess);
    EVP_CIPHER_CTX_free(c->sw);
    OPENSSL_clear_free(c->aad, c->aadcap);
    OPENSSL_clear_free(c->copy, c->copycap);
    OPENSSL_clear_free(c, sizeof(*c));
}

static unsigned char *dup_buf(const unsigned char *p, size_t cap)
{
    unsigned char *q;

    if (p == NULL || cap == 0)
        return NULL;
    if ((q = OPENSSL_malloc(cap)) != NULL)
        memcpy(q, p, cap);
    return q;
}

static void *kac_aead_dupctx(void *vctx)
{
    struct kac_actx *src = vctx, *c = OPENSSL_malloc(sizeof(*c));

    if (c == NULL)
        return NULL;
    *c = *src;
    kac_afalg_sess_init(&c->sess); /* the copy opens its own socket */
    memset(&c->req, 0, sizeof(c->req));
    c->sess_authsize = 0;
    c->dsess = NULL; /* and makes its own DPDK session (the refused parameters stay refused) */
    c->aad = dup_buf(src->aad, src->aadcap);
    c->copy = dup_buf(src->copy, src->copycap);
    c->sw = EVP_CIPHER_CTX_new();
    if (c->sw == NULL || !EVP_CIPHER_CTX_copy(c->sw, src->sw)
        || (src->aad != NULL && c->aad == NULL) || (src->copy != NULL && c->copy == NULL)) {
        kac_aead_freectx(c);
        return NULL;
    }
    return c;
}

static int grow(unsigned char **buf, size_t *cap, size_t need)
{
    unsigned char *n;
    size_t ncap = *cap ? *cap : 256;

    if (need <= *cap)
        return 1;
    while (ncap < need)
        ncap *= 2;
    if ((n = OPENSSL_malloc(ncap)) == NULL)
        return 0;
    if (*buf != NULL) {
        memcpy(n, *buf, *cap);
        OPENSSL_clear_free(*buf, *cap);
    }
    *buf = n;
    *cap = ncap;
    return 1;
}

static void msg_reset(struct kac_actx *c)
{
    c->state = KAC_MSG_FRESH;
    c->aadlen = 0;
    c->aad_updates = 0;
    c->ccm_len_pending = 0;
    c->copylen = 0;
    c->otag_mine = 0;
    c->redone = 0;
}

static size_t sw_ivlen(struct kac_actx *c)
{
    size_t l = 0;
    OSSL_PARAM p[] = { OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_IVLEN, &l), OSSL_PARAM_END };

    if (!EVP_CIPHER_CTX_get_params(c->sw, p))
        return 0;
    return l;
}

static int aead_init(void *vctx, const unsigned char *key, size_t keylen,
                     const unsigned char *iv, size_t ivlen, const OSSL_PARAM params[], int enc)
{
    struct kac_actx *c = vctx;
    size_t cur = sw_ivlen(c);

    if (key != NULL && keylen != c->alg->keylen) {
        ERR_raise_data(ERR_LIB_PROV, PROV_R_INVALID_KEY_LENGTH, "%s takes a %u-byte key, not %zu",
                       c->alg->name, c->alg->keylen, keylen);
        return 0;
    }
    if (iv != NULL && ivlen != cur) {
        if (c->alg->mode == KAC_MODE_GCM && ivlen > 0 && ivlen <= KAC_GCM_MAX_IV) {
            /* OpenSSL's GCM init takes its IV length from the call */
            OSSL_PARAM p[] = { OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, &ivlen),
                               OSSL_PARAM_END };

            if (!EVP_CIPHER_CTX_set_params(c->sw, p))
                return 0;
        } else {
            ERR_raise_data(ERR_LIB_PROV, PROV_R_INVALID_IV_LENGTH,
                           "%s: IV of %zu bytes, expected %zu", c->alg->name, ivlen, cur);
            return 0;
        }
    }
    if (!EVP_CipherInit_ex2(c->sw, NULL, key, iv, enc, NULL))
        return 0;
    c->enc = enc ? 1 : 0;
    msg_reset(c);
    if (iv != NULL) {
        c->ivlen = ivlen;
        c->iv_ok = ivlen <= sizeof(c->iv);
        if (c->iv_ok)
            memcpy(c->iv, iv, ivlen);
        c->finished = 0;
        c->ccm_iv_set = 1;
        if (c->alg->mode == KAC_MODE_CHACHAPOLY) {
            memcpy(c->cp_nonce, iv, sizeof(c->cp_nonce));
            c->cp_nonce_set = 1;
        }
    }
    if (key != NULL) {
        if (c->key_set && CRYPTO_memcmp(key, c->key, keylen) != 0) {
            kac_afalg_sess_close(&c->sess);
            kac_dpdk_sess_free(c->dsess);
            c->dsess = NULL;
            c->dfail.set = 0; /* a new key may get a session where the old one did not */
        }
        memcpy(c->key, key, keylen);
        c->keylen = keylen;
        c->key_set = 1;
        if (c->alg->mode == KAC_MODE_CCM) {
            /*
             * OpenSSL's CCM takes M, L and the direction of its AES-NI stream
             * function into its state with the key, not later
             */
            c->ccm_key_m = c->ccm_m;
            c->ccm_key_ivlen = sw_ivlen(c);
            c->ccm_key_enc = c->enc;
        }
    }
    return kac_aead_set_ctx_params(c, params);
}

static int kac_aead_einit(void *vctx, const unsigned char *key, size_t keylen,
                          const unsigned char *iv, size_t ivlen, const OSSL_PARAM params[])
{
    return aead_init(vctx, key, keylen, iv, ivlen, params, 1);
}

static int kac_aead_dinit(void *vctx, const unsigned char *key, size_t keylen,
                          const unsigned char *iv, size_t ivlen, const OSSL_PARAM params[])
{
    return aead_init(vctx, key, keylen, iv, ivlen, params, 0);
}

/* ---- the software context ------------------------------------------- */

static int sw_update(struct kac_actx *c, unsigned char *out, size_t *outl,
                     const unsigned char *in, size_t inl)
{
    int ol = 0;

    if (inl > INT_MAX) {
        ERR_raise(ERR_LIB_PROV, PROV_R_INVALID_INPUT_LENGTH);
        return 0;
    }
    if (!EVP_CipherUpdate(c->sw, out, &ol, in, (int)inl))
        return 0;
    if (outl != NULL)
        *outl = (size_t)ol;
    return 1;
}

/*
 * Hands the held-back part of the message to the software context: CCM's
 * length, the AAD and, after an offload, the offloaded input (output
 * discarded).  From here the message is software.
 */
static int sw_catchup(struct kac_actx *c)
{
    enum kac_msg was = c->state;

    c->state = KAC_MSG_SW;
    if (was == KAC_MSG_SW)
        return 1;
    if (c->ccm_len_pending && !sw_update(c, NULL, NULL, NULL, c->ccm_len))
        return 0;
    c->ccm_len_pending = 0;
    if (c->aad_updates > 0 && !sw_update(c, NULL, NULL, c->aad, c->aadlen))
        return 0;
    c->aadlen = 0;
    c->aad_updates = 0;
    if (was == KAC_MSG_OFFLOADED) {
        unsigned char *scratch = OPENSSL_malloc(c->copylen > 0 ? c->copylen : 1);
        size_t ol;
        int ok;

        if (scratch == NULL)
            return 0;
        ok = sw_update(c, scratch, &ol, c->copy, c->copylen);
        OPENSSL_clear_free(scratch, c->copylen > 0 ? c->copylen : 1);
        if (!ok)
            return 0;
        c->otag_mine = 0;
        kac_stats_software(c->alg->id, KAC_WHY_PARAMS, c->copylen);
        KAC_DBG("%s: message continued after its offloaded update: replayed in software",
                c->alg->name);
    }
    return 1;
}

/* ---- the kernel ------------------------------------------------------ */

/* The kernel's IV for the context's nonce; 0 when it cannot take it. */
static size_t kernel_iv(const struct kac_actx *c, const unsigned char *nonce, size_t noncelen,
                        unsigned char kiv[16])
{
    switch (c->alg->mode) {
    case KAC_MODE_GCM:
    case KAC_MODE_CHACHAPOLY:
        if (noncelen != 12)
            return 0;
        memcpy(kiv, nonce, 12);
        return 12;
    case KAC_MODE_CCM:
        /* ccm(aes): flags byte L-1, the nonce, a zero counter */
        if (noncelen < 7 || noncelen > 13)
            return 0;
        memset(kiv, 0, 16);
        kiv[0] = (unsigned char)(15 - noncelen - 1);
        memcpy(kiv + 1, nonce, noncelen);
        return 16;
    default:
        return 0;
    }
}

/* Can the kernel take a tag of this length for this mode? */
static int kernel_taglen(const struct kac_actx *c, size_t t)
{
    switch (c->alg->mode) {
    case KAC_MODE_GCM:
        return t == 4 || t == 8 || (t >= 12 && t <= 16);
    case KAC_MODE_CCM:
        return t >= 4 && t <= 16 && t % 2 == 0;
    case KAC_MODE_CHACHAPOLY:
        return t == 16;
    default:
        return 0;
    }
}

/*
 * One AF_ALG operation.  Returns 0 on success, -EBADMSG on a tag mismatch,
 * another -errno when the kernel could not do it (*why says how to count
 * the software retry).
 */
static int kernel_op(struct kac_actx *c, const unsigned char *kiv, size_t kivlen,
                     const unsigned char *aad, size_t aadlen, const unsigned char *in,
                     size_t len, unsigned char *tag, size_t taglen, unsigned char *out,
                     enum kac_why *why)
{
    struct kac_uq *q;
    int err = 0, fd, r;

    if (c->sess_authsize != taglen)
        kac_afalg_sess_close(&c->sess);
    fd = kac_afalg_sess_fd(&c->sess, "aead", kac_route_driver(&c->prov->router, c->alg->id),
                           c->key, c->keylen, (unsigned)taglen, &err);
    if (fd < 0) {
        *why = KAC_WHY_SESSION;
        kac_stats_error(c->alg->id);
        KAC_DBG("%s: no AF_ALG session (%s): software", c->alg->name, strerror(err));
        return -(err ? err : EIO);
    }
    c->sess_authsize = (unsigned)taglen;
    q = kac_uq_get(c->prov->cfg.queue_depth);
    if (q != NULL)
        r = kac_afalg_aead_queued(q, &c->req, fd, c->enc, kiv, kivlen, aad, aadlen, in, len, tag,
                                  taglen, out);
    else
        r = kac_afalg_aead(fd, c->enc, kiv, kivlen, aad, aadlen, in, len, tag, taglen, out);
    if (r == KAC_UQ_FULL) {
        *why = KAC_WHY_QUEUE_FULL; /* bounded in flight: software, no error */
        return -EAGAIN;
    }
    if (r == 0 || r == -EBADMSG) {
        kac_stats_offload(c->alg->id, aadlen + len);
        return r;
    }
    *why = KAC_WHY_OP_ERROR;
    kac_stats_error(c->alg->id);
    kac_afalg_sess_close(&c->sess);
    KAC_DBG("%s: AF_ALG operation failed (%s): software", c->alg->name, strerror(-r));
    return r;
}

/* ---- DPDK ------------------------------------------------------------ */

/*
 * Can a DPDK op take this message?  Within what the default provider
 * accepts: CCM nonces of 7 to 13 bytes with M in 4..16 (even), GCM and
 * ChaCha20-Poly1305 12-byte nonces (the length every cryptodev offers; GCM's
 * other lengths hash the IV, which few devices do), ChaCha20-Poly1305 full
 * 16-byte tags.  Whether the device takes the rest (GCM tag truncation, CCM
 * key sizes, AAD lengths) its session creation decides.
 */
static int dpdk_params(const struct kac_actx *c, size_t noncelen, size_t taglen, size_t aadlen,
                       size_t len)
{
    if (len == 0 || len > kac_dpdk_max_op(c->alg->id) || aadlen > KAC_DPDK_AEAD_AAD || taglen == 0
        || taglen > KAC_TAG_MAX)
        return 0;
    switch (c->alg->mode) {
    case KAC_MODE_GCM:
        return noncelen == 12;
    case KAC_MODE_CHACHAPOLY:
        return noncelen == 12 && taglen == KAC_TAG_MAX;
    case KAC_MODE_CCM:
        return noncelen >= 7 && noncelen <= 13 && taglen >= 4 && taglen % 2 == 0;
    default:
        return 0;
    }
}

/*
 * The context's DPDK session for these parameters: the current one when it
 * matches, else a new one.  NULL with *err when none can be had; *fresh
 * tells a new refusal from one remembered (a refusal is not asked again
 * until the key changes).
 */
static struct kac_dpdk_sess *dpdk_session(struct kac_actx *c, unsigned ivlen, unsigned taglen,
                                          unsigned aadlen, int *err, int *fresh)
{
    *fresh = 0;
    if (c->dsess != NULL && kac_dpdk_sess_matches(c->dsess, c->enc, ivlen, taglen, aadlen))
        return c->dsess;
    kac_dpdk_sess_free(c->dsess);
    c->dsess = NULL;
    if (c->dfail.set && c->dfail.enc == c->enc && c->dfail.ivlen == ivlen
        && c->dfail.taglen == taglen && c->dfail.aadlen == aadlen) {
        *err = c->dfail.err;
        return NULL;
    }
    *fresh = 1;
    c->dsess = kac_dpdk_sess_new(c->alg, c->enc, c->key, c->keylen, ivlen, taglen, aadlen, err);
    if (c->dsess == NULL) {
        if (*err == 0)
            *err = EIO;
        c->dfail.set = 1;
        c->dfail.enc = c->enc;
        c->dfail.err = *err;
        c->dfail.ivlen = ivlen;
        c->dfail.taglen = taglen;
        c->dfail.aadlen = aadlen;
    }
    return c->dsess;
}

/*
 * One DPDK op, as kernel_op: 0 done, -EBADMSG a decrypt's tag mismatch
 * (out wiped), another -errno when DPDK could not do it (*why says how to
 * count the software retry).  in must not overlap out.
 */
static int dpdk_op(struct kac_actx *c, const unsigned char *nonce, size_t noncelen,
                   const unsigned char *aad, size_t aadlen, const unsigned char *in, size_t len,
                   unsigned char *tag, size_t taglen, unsigned char *out, enum kac_why *why)
{
    struct kac_dpdk_sess *s;
    int err = 0, fresh, r;

    s = dpdk_session(c, (unsigned)noncelen, (unsigned)taglen, (unsigned)aadlen, &err, &fresh);
    if (s == NULL) {
        /* ENOTSUP: parameters the device does not take (not a failure) */
        *why = err == ENOTSUP ? KAC_WHY_PARAMS : KAC_WHY_SESSION;
        if (fresh) {
            if (err != ENOTSUP)
                kac_stats_error(c->alg->id);
            KAC_DBG("%s: no DPDK session for nonce %zu, tag %zu, AAD %zu bytes (%s): software "
                    "for these until the key changes", c->alg->name, noncelen, taglen, aadlen,
                    strerror(err));
        }
        return -err;
    }
    r = kac_dpdk_aead(s, nonce, aad, aadlen, in, out, len, tag);
    if (r == KAC_DPDK_FULL) {
        *why = KAC_WHY_QUEUE_FULL; /* bounded in flight: software, no error */
        return -EAGAIN;
    }
    if (r == 0 || (r == -EBADMSG && !c->enc)) {
        kac_stats_offload_to(c->alg->id, KAC_BACKEND_DPDK, aadlen + len);
        return r;
    }
    *why = KAC_WHY_OP_ERROR;
    kac_stats_error(c->alg->id);
    KAC_DBG("%s: DPDK op failed (%s): software", c->alg->name, strerror(r < 0 ? -r : EIO));
    return r < 0 && r != -EBADMSG ? r : -EIO; /* an encryption has no tag to mismatch */
}

/*
 * One message through backend (enum kac_backend_id) with the AEAD nonce as
 * the caller set it; the input must not overlap out (callers pass the kept
 * copy).  Returns as kernel_op.
 */
static int backend_op(struct kac_actx *c, int backend, const unsigned char *nonce,
                      size_t noncelen, const unsigned char *aad, size_t aadlen,
                      const unsigned char *in, size_t len, unsigned char *tag, size_t taglen,
                      unsigned char *out, enum kac_why *why)
{
    unsigned char kiv[16];
    size_t kivlen;

    if (backend == KAC_BACKEND_DPDK)
        return dpdk_op(c, nonce, noncelen, aad, aadlen, in, len, tag, taglen, out, why);
    kivlen = kernel_iv(c, nonce, noncelen, kiv);
    return kernel_op(c, kiv, kivlen, aad, aadlen, in, len, tag, taglen, out, why);
}

/* 1 when backend can take a message of this shape (else software, KAC_WHY_PARAMS). */
static int backend_takes(const struct kac_actx *c, int backend, size_t noncelen, size_t taglen,
                         size_t aadlen, size_t len)
{
    unsigned char kiv[16];

    if (backend == KAC_BACKEND_DPDK)
        return dpdk_params(c, noncelen, taglen, aadlen, len);
    return backend == KAC_BACKEND_AFALG && kernel_iv(c, c->iv, noncelen, kiv) != 0
           && kernel_taglen(c, taglen) && aadlen + len + taglen <= KAC_AFALG_AEAD_MAX;
}

/* ---- the message's path ------------------------------------------------ */

static int keep_copy(struct kac_actx *c, const unsigned char *in, size_t len)
{
    if (!grow(&c->copy, &c->copycap, len > 0 ? len : 1))
        return 0;
    if (len > 0)
        memcpy(c->copy, in, len);
    c->copylen = len;
    return 1;
}

static void tag_mismatch(struct kac_actx *c, unsigned char *out, size_t len)
{
    if (out != NULL && len > 0)
        OPENSSL_cleanse(out, len);
    KAC_ERR(KAC_R_TAG_MISMATCH, "%s: authentication tag mismatch", c->alg->name);
}

/*
 * The message's path at its first data update (or final for AAD-only): the
 * backend to offload to (enum kac_backend_id), else KAC_ROUTE_SOFTWARE with
 * *why.
 */
static int want_offload(struct kac_actx *c, size_t len, enum kac_why *why, size_t *taglen)
{
    size_t t = c->enc ? (c->alg->mode == KAC_MODE_CCM ? c->ccm_m : KAC_TAG_MAX) : c->taglen;
    int backend;

    *why = KAC_WHY_PARAMS;
    if (c->state != KAC_MSG_FRESH || !c->key_set || !c->iv_ok
        || (!c->enc && (!c->tag_set || c->tag_first_streams)) || (!c->enc && c->aadlen + len == 0))
        return KAC_ROUTE_SOFTWARE;
    /*
     * CCM: OpenSSL computes with the tag length, nonce length and direction
     * the context had when its key was set; a message after a change of one
     * of them (without a new key) gets OpenSSL's own, unusual, result: only
     * software gives its bytes.
     */
    if (c->alg->mode == KAC_MODE_CCM
        && (!c->ccm_iv_set || (c->ccm_len_pending && c->ccm_len != len)
            || (!c->enc && c->taglen != c->ccm_m) || c->ccm_m != c->ccm_key_m
            || c->ivlen != c->ccm_key_ivlen || c->enc != c->ccm_key_enc))
        return KAC_ROUTE_SOFTWARE;
    backend = kac_route_pick(&c->prov->router, c->alg->id, c->aadlen + len, why);
    if (backend == KAC_ROUTE_SOFTWARE)
        return KAC_ROUTE_SOFTWARE;
    if (!backend_takes(c, backend, c->ivlen, t, c->aadlen, len)) {
        *why = KAC_WHY_PARAMS;
        return KAC_ROUTE_SOFTWARE;
    }
    *taglen = t;
    return backend;
}

/*
 * Runs a whole non-TLS message (buffered AAD + in) through backend.  Returns
 * 1 done, 0 failed (error raised), -1 not done: continue in software.
 */
static int offload_msg(struct kac_actx *c, int backend, unsigned char *out,
                       const unsigned char *in, size_t len, size_t taglen, enum kac_why *why)
{
    unsigned char tag[KAC_TAG_MAX];
    int r;

    if (!keep_copy(c, in, len)) {
        *why = KAC_WHY_OP_ERROR;
        return -1;
    }
    if (!c->enc)
        memcpy(tag, c->tag, taglen);
    r = backend_op(c, backend, c->iv, c->ivlen, c->aad, c->aadlen, c->copy, len, tag, taglen,
                   out, why);
    if (r == -EBADMSG && c->alg->mode == KAC_MODE_CCM) {
        tag_mismatch(c, out, len);
        c->copylen = 0;
        c->state = KAC_MSG_FAILED;
        return 0;
    }
    if (r < 0 && len > 0 && in < out + len && out < in + len)
        memmove(out + (in - out), c->copy, len); /* in place: the input back, for software */
    if (r == -EBADMSG) {
        /* Not final for a stream (see the top of this file): redo in software. */
        c->redone = 1;
        *why = KAC_WHY_PARAMS;
        KAC_DBG("%s: tag mismatch over the first update: redone in software, final decides",
                c->alg->name);
        return -1;
    }
    if (r < 0)
        return -1;
    c->state = KAC_MSG_OFFLOADED;
    if (c->enc) {
        memcpy(c->otag, tag, taglen);
        c->otaglen = taglen;
        c->otag_mine = 1;
    }
    if (c->alg->mode == KAC_MODE_CCM) {
        /* OpenSSL's CCM wants a new IV (and, to decrypt, tag) after a message */
        c->ccm_iv_set = 0;
        if (!c->enc)
            c->tag_set = 0;
    }
    return 1;
}

/* ---- TLS 1.2 records ---------------------------------------------------- */

static int sw_tls_record(struct kac_actx *c, unsigned char *out, size_t *outl,
                         const unsigned char *in, size_t inl, enum kac_why why)
{
    int ok = sw_update(c, out, outl, in, inl);

    kac_stats_software(c->alg->id, why, inl);
    if (c->alg->mode != KAC_MODE_CCM)
        c->tls_aad_set = 0; /* GCM and ChaCha20-Poly1305 take one record per "tlsaad" */
    return ok;
}

static int sw_get_octets(struct kac_actx *c, const char *key, unsigned char *buf, size_t len)
{
    OSSL_PARAM p[] = { OSSL_PARAM_octet_string(key, buf, len), OSSL_PARAM_END };

    return EVP_CIPHER_CTX_get_params(c->sw, p);
}

static int sw_set_octets(struct kac_actx *c, const char *key, const unsigned char *buf,
                         size_t len)
{
    OSSL_PARAM p[] = { OSSL_PARAM_octet_string(key, (void *)buf, len), OSSL_PARAM_END };

    return EVP_CIPHER_CTX_set_params(c->sw, p);
}

/* AES-GCM record: explicit IV (8) || payload || tag (16), in place. */
static int tls_gcm(struct kac_actx *c, unsigned char *out, size_t *outl,
                   const unsigned char *in, size_t inl)
{
    unsigned char aad[KAC_TLS_AAD_LEN], kiv[12], tag[KAC_TAG_MAX];
    size_t plen, alen;
    enum kac_why why;
    int r, backend;

    if (out != in || inl < KAC_GCM_EXPLICIT_IV + KAC_TAG_MAX || !c->gcm_ivgen || c->ivlen != 12)
        return sw_tls_record(c, out, outl, in, inl, KAC_WHY_PARAMS);
    plen = inl - KAC_GCM_EXPLICIT_IV - KAC_TAG_MAX;
    backend = kac_route_pick(&c->prov->router, c->alg->id, plen, &why);
    if (backend == KAC_ROUTE_SOFTWARE)
        return sw_tls_record(c, out, outl, in, inl, why);
    if (!backend_takes(c, backend, 12, KAC_TAG_MAX, KAC_TLS_AAD_LEN, plen))
        return sw_tls_record(c, out, outl, in, inl, KAC_WHY_PARAMS);
    memcpy(aad, c->tls_aad, sizeof(aad));
    alen = (size_t)aad[11] << 8 | aad[12];
    if (alen < KAC_GCM_EXPLICIT_IV + (c->enc ? 0 : KAC_TAG_MAX))
        return sw_tls_record(c, out, outl, in, inl, KAC_WHY_PARAMS); /* it fails there */
    alen -= KAC_GCM_EXPLICIT_IV + (c->enc ? 0 : KAC_TAG_MAX);
    aad[11] = (unsigned char)(alen >> 8);
    aad[12] = (unsigned char)alen;
    if (!keep_copy(c, in + KAC_GCM_EXPLICIT_IV, plen))
        return sw_tls_record(c, out, outl, in, inl, KAC_WHY_OP_ERROR);

    /* The record's IV, from (and advancing) the software context as OpenSSL does. */
    if (c->enc) {
        if (!sw_get_octets(c, OSSL_CIPHER_PARAM_AEAD_TLS1_GET_IV_GEN, out, KAC_GCM_EXPLICIT_IV)
            || !sw_get_octets(c, OSSL_CIPHER_PARAM_IV, kiv, sizeof(kiv))) {
            c->tls_aad_set = 0;
            return 0;
        }
    } else if (!sw_set_octets(c, OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV, in,
                              KAC_GCM_EXPLICIT_IV)
               || !sw_get_octets(c, OSSL_CIPHER_PARAM_IV, kiv, sizeof(kiv))) {
        c->tls_aad_set = 0;
        return 0;
    }
    memcpy(kiv + 4, out, KAC_GCM_EXPLICIT_IV);
    c->iv_ok = 0; /* the software context's IV moved: plain messages need a new IV */
    if (!c->enc)
        memcpy(tag, in + KAC_GCM_EXPLICIT_IV + plen, KAC_TAG_MAX);
    r = backend_op(c, backend, kiv, 12, aad, sizeof(aad), c->copy, plen, tag, KAC_TAG_MAX,
                   out + KAC_GCM_EXPLICIT_IV, &why);
    c->tls_aad_set = 0;
    if (r == -EBADMSG) {
        tag_mismatch(c, out + KAC_GCM_EXPLICIT_IV, plen);
        *outl = 0;
        return 0;
    }
    if (r < 0) {
        /* Software redo: restore the input and the IV it used, then OpenSSL's record path. */
        memcpy(out + KAC_GCM_EXPLICIT_IV, c->copy, plen);
        if (c->enc) {
            OSSL_PARAM p[] = { OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED,
                                                       kiv, (size_t)-1), OSSL_PARAM_END };

            if (!EVP_CIPHER_CTX_set_params(c->sw, p))
                return 0;
        }
        c->tls_aad_set = 1;
        return sw_tls_record(c, out, outl, in, inl, why);
    }
    if (c->enc)
        memcpy(out + KAC_GCM_EXPLICIT_IV + plen, tag, KAC_TAG_MAX);
    *outl = c->enc ? inl : plen;
    return 1;
}

/* ChaCha20-Poly1305 record (RFC 7905): payload || tag (16). */
static int tls_chacha(struct kac_actx *c, unsigned char *out, size_t *outl,
                      const unsigned char *in, size_t inl)
{
    unsigned char aad[KAC_TLS_AAD_LEN], kiv[12], tag[KAC_TAG_MAX];
    size_t plen, i;
    enum kac_why why;
    int r, backend;

    memcpy(aad, c->tls_aad, sizeof(aad));
    plen = (size_t)aad[11] << 8 | aad[12];
    if (!c->enc) {
        if (plen < KAC_TAG_MAX)
            return sw_tls_record(c, out, outl, in, inl, KAC_WHY_PARAMS);
        plen -= KAC_TAG_MAX;
        aad[11] = (unsigned char)(plen >> 8);
        aad[12] = (unsigned char)plen;
    }
    if (out == NULL || in == NULL || inl != plen + KAC_TAG_MAX || !c->cp_nonce_set)
        return sw_tls_record(c, out, outl, in, inl, KAC_WHY_PARAMS);
    backend = kac_route_pick(&c->prov->router, c->alg->id, plen, &why);
    if (backend == KAC_ROUTE_SOFTWARE)
        return sw_tls_record(c, out, outl, in, inl, why);
    if (!backend_takes(c, backend, 12, KAC_TAG_MAX, KAC_TLS_AAD_LEN, plen))
        return sw_tls_record(c, out, outl, in, inl, KAC_WHY_PARAMS);
    memcpy(kiv, c->cp_nonce, sizeof(kiv));
    for (i = 0; i < 8; i++)
        kiv[4 + i] ^= aad[i];
    if (!keep_copy(c, in, plen))
        return sw_tls_record(c, out, outl, in, inl, KAC_WHY_OP_ERROR);
    if (!c->enc)
        memcpy(tag, in + plen, KAC_TAG_MAX);
    r = backend_op(c, backend, kiv, 12, aad, sizeof(aad), c->copy, plen, tag, KAC_TAG_MAX, out,
                   &why);
    c->tls_aad_set = 0;
    if (r == -EBADMSG) {
        tag_mismatch(c, out, plen);
        *outl = 0;
        return 0;
    }
    if (r < 0) {
        if (out < in + inl && in < out + inl)
            memmove((unsigned char *)in, c->copy, plen); /* in place: restore the input */
        c->tls_aad_set = 1;
        return sw_tls_record(c, out, outl, in, inl, why);
    }
    if (c->enc)
        memcpy(out + plen, tag, KAC_TAG_MAX);
    *outl = c->enc ? inl : plen;
    return 1;
}

/* ---- update / final -------------------------------------------------- */

static int check_key(struct kac_actx *c)
{
    if (!c->key_set) {
        ERR_raise(ERR_LIB_PROV, PROV_R_NO_KEY_SET);
        return 0;
    }
    return 1;
}

static int aad_update(struct kac_actx *c, const unsigned char *in, size_t inl)
{
    if (c->state == KAC_MSG_FRESH && !c->finished && inl <= KAC_AAD_HOLD_MAX - c->aadlen
        && (c->alg->mode != KAC_MODE_CCM || c->aad_updates == 0)) {
        if (c->alg->mode == KAC_MODE_CCM && (!c->ccm_len_pending && inl > 0)) {
            /* OpenSSL's CCM needs the total length before AAD */
            ERR_raise_data(ERR_LIB_PROV, PROV_R_CIPHER_OPERATION_FAILED,
                           "CCM: the message length must be set before the AAD");
            return 0;
        }
        if (!grow(&c->aad, &c->aadcap, c->aadlen + inl + 1))
            return 0;
        if (inl > 0)
            memcpy(c->aad + c->aadlen, in, inl);
        c->aadlen += inl;
        c->aad_updates++;
        return 1;
    }
    /* After data, too long, a second CCM AAD or after final: OpenSSL decides. */
    if (!sw_catchup(c))
        return 0;
    return sw_update(c, NULL, NULL, in, inl);
}

static int data_update(struct kac_actx *c, unsigned char *out, size_t *outl,
                       const unsigned char *in, size_t inl)
{
    enum kac_why why = KAC_WHY_PARAMS;
    size_t taglen = 0;
    int backend;

    if (c->state == KAC_MSG_SW && c->redone)
        c->tag_first_streams = 1; /* a further update: the redo was a stream's first part */
    if (c->state == KAC_MSG_FRESH) {
        if (c->finished) {
            KAC_ERR(KAC_R_UPDATE_AFTER_FINAL, "%s: data after final without a new IV",
                    c->alg->name);
            return 0;
        }
        if (c->alg->mode == KAC_MODE_CCM && !c->ccm_iv_set) {
            KAC_ERR(KAC_R_MISSING_IV, "%s: no IV set for this message", c->alg->name);
            return 0;
        }
        if (c->alg->mode == KAC_MODE_CCM && !c->enc && !c->tag_set) {
            ERR_raise_data(ERR_LIB_PROV, PROV_R_TAG_NOT_SET, "CCM: set the tag before the data");
            return 0;
        }
        backend = want_offload(c, inl, &why, &taglen);
        if (backend != KAC_ROUTE_SOFTWARE) {
            int r = offload_msg(c, backend, out, in, inl, taglen, &why);

            if (r >= 0) {
                *outl = r ? inl : 0;
                return r;
            }
        }
        kac_stats_software(c->alg->id, why, c->aadlen + inl);
        if (c->alg->mode == KAC_MODE_CCM) {
            /* as OpenSSL's CCM: a new IV (and tag, to decrypt) for the next message */
            c->ccm_iv_set = 0;
            if (!c->enc)
                c->tag_set = 0;
        }
    }
    /* Software (or a continued offloaded message, replayed first). */
    if (!sw_catchup(c))
        return 0;
    return sw_update(c, out, outl, in, inl);
}

static int do_update(struct kac_actx *c, unsigned char *out, size_t *outl, size_t outsize,
                     const unsigned char *in, size_t inl)
{
    *outl = 0;
    if (!check_key(c))
        return 0;
    if (c->state == KAC_MSG_FAILED) {
        KAC_ERR(KAC_R_TAG_MISMATCH, "%s: the message failed authentication", c->alg->name);
        return 0;
    }
    if (c->tls_aad_set && out != NULL) {
        if (outsize < inl) {
            ERR_raise(ERR_LIB_PROV, PROV_R_OUTPUT_BUFFER_TOO_SMALL);
            return 0;
        }
        switch (c->alg->mode) {
        case KAC_MODE_GCM:
            return tls_gcm(c, out, outl, in, inl);
        case KAC_MODE_CHACHAPOLY:
            return tls_chacha(c, out, outl, in, inl);
        default:
            return sw_tls_record(c, out, outl, in, inl, KAC_WHY_PARAMS);
        }
    }
    if (c->finished) {
        KAC_ERR(KAC_R_UPDATE_AFTER_FINAL, "%s: update after final without a new IV",
                c->alg->name);
        return 0;
    }
    if (out == NULL && in == NULL) {
        /* CCM: the total message length, before the AAD */
        if (c->alg->mode == KAC_MODE_CCM && c->state == KAC_MSG_FRESH && !c->finished
            && c->aad_updates == 0 && c->ccm_iv_set) {
            c->ccm_len = inl;
            c->ccm_len_pending = 1;
            *outl = inl; /* as OpenSSL's CCM reports it */
            return 1;
        }
        if (!sw_catchup(c))
            return 0;
        return sw_update(c, NULL, outl, NULL, inl);
    }
    if (out == NULL) {
        if (!aad_update(c, in, inl))
            return 0;
        *outl = inl; /* OpenSSL's AEADs report the AAD's length */
        return 1;
    }
    if (outsize < inl) {
        ERR_raise(ERR_LIB_PROV, PROV_R_OUTPUT_BUFFER_TOO_SMALL);
        return 0;
    }
    return data_update(c, out, outl, in, inl);
}

static int kac_aead_update(void *vctx, unsigned char *out, size_t *outl, size_t outsize,
                           const unsigned char *in, size_t inl)
{
    struct kac_actx *c = vctx;

    if (inl == 0 && c->alg->mode != KAC_MODE_CCM) {
        *outl = 0; /* a no-op in OpenSSL's GCM and ChaCha20-Poly1305 */
        return 1;
    }
    return do_update(c, out, outl, outsize, in, inl);
}

static int kac_aead_final(void *vctx, unsigned char *out, size_t *outl, size_t outsize)
{
    struct kac_actx *c = vctx;
    enum kac_why why = KAC_WHY_PARAMS;
    size_t taglen = 0;
    int ol = 0, backend;

    *outl = 0;
    if (!check_key(c))
        return 0;
    if (c->state == KAC_MSG_FAILED) {
        KAC_ERR(KAC_R_TAG_MISMATCH, "%s: the message failed authentication", c->alg->name);
        return 0;
    }
    if ((c->tls_aad_set && c->alg->mode != KAC_MODE_CCM) || c->finished) {
        ERR_raise(ERR_LIB_PROV, PROV_R_CIPHER_OPERATION_FAILED);
        return 0;
    }
    if (c->state == KAC_MSG_OFFLOADED) {
        c->finished = 1;
        c->state = KAC_MSG_FRESH;
        c->aadlen = 0;
        c->aad_updates = 0;
        return 1;
    }
    if (c->state == KAC_MSG_FRESH && c->alg->mode != KAC_MODE_CCM
        && (backend = want_offload(c, 0, &why, &taglen)) != KAC_ROUTE_SOFTWARE) {
        /* AAD only (GMAC-style): one kernel operation */
        int r = offload_msg(c, backend, NULL, NULL, 0, taglen, &why);

        if (r >= 0) {
            c->finished = 1;
            c->state = KAC_MSG_FRESH;
            c->aadlen = 0;
            c->aad_updates = 0;
            return r;
        }
    }
    if (c->state == KAC_MSG_FRESH)
        kac_stats_software(c->alg->id, why, c->aadlen);
    if (!sw_catchup(c))
        return 0;
    if (!EVP_CipherFinal_ex(c->sw, out, &ol))
        return 0;
    (void)outsize;
    *outl = (size_t)ol;
    c->finished = 1;
    c->state = KAC_MSG_FRESH;
    return 1;
}

/* EVP_Cipher(): the same paths; in == NULL is final. */
static int kac_aead_cipher(void *vctx, unsigned char *out, size_t *outl, size_t outsize,
                           const unsigned char *in, size_t inl)
{
    struct kac_actx *c = vctx;

    if (in == NULL)
        return kac_aead_final(vctx, out, outl, outsize);
    if (!do_update(c, out, outl, outsize, in, inl))
        return 0;
    if (c->alg->mode != KAC_MODE_CHACHAPOLY)
        *outl = inl; /* OpenSSL's GCM and CCM report the input length here */
    return 1;
}

/* ---- parameters ------------------------------------------------------ */

static int kac_aead_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
    struct kac_actx *c = vctx;
    OSSL_PARAM *p;

    if (params == NULL)
        return 1;
    for (p = params; p->key != NULL; p++) {
        OSSL_PARAM one[2] = { *p, OSSL_PARAM_END };

        if (c->otag_mine && strcmp(p->key, OSSL_CIPHER_PARAM_AEAD_TAG) == 0) {
            /* the tag of an offloaded message: OpenSSL's rules for its length */
            size_t sz = p->data_size;

            if (!c->enc || p->data_type != OSSL_PARAM_OCTET_STRING || p->data == NULL
                || (c->alg->mode == KAC_MODE_CCM ? sz < c->otaglen : sz == 0 || sz > c->otaglen)) {
                ERR_raise(ERR_LIB_PROV, PROV_R_INVALID_TAG);
                return 0;
            }
            if (c->alg->mode == KAC_MODE_CCM)
                sz = c->otaglen;
            memcpy(p->data, c->otag, sz);
            p->return_size = sz;
            continue;
        }
        if (!EVP_CIPHER_CTX_get_params(c->sw, one))
            return 0;
        p->return_size = one[0].return_size;
        if (strcmp(p->key, OSSL_CIPHER_PARAM_AEAD_TLS1_GET_IV_GEN) == 0) {
            /* GCM: the software context made the next IV: messages use it there */
            c->finished = 0;
            c->iv_ok = 0;
            msg_reset(c);
        }
    }
    return 1;
}

static int kac_aead_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
    struct kac_actx *c = vctx;
    const OSSL_PARAM *p;

    if (params == NULL || params[0].key == NULL)
        return 1;
    /* OpenSSL validates and applies them; kaccel notes what the kernel path needs. */
    if (!EVP_CIPHER_CTX_set_params(c->sw, params))
        return 0;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_AEAD_TAG)) != NULL) {
        if (c->alg->mode == KAC_MODE_CCM)
            c->ccm_m = p->data_size;
        if (p->data != NULL && p->data_size <= KAC_TAG_MAX) {
            memcpy(c->tag, p->data, p->data_size);
            c->taglen = p->data_size;
            c->tag_set = 1;
        }
    }
    if ((p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_AEAD_IVLEN)) != NULL) {
        size_t l = sw_ivlen(c);

        if (l != c->ivlen) {
            c->ivlen = l;
            c->iv_ok = 0; /* a new IV must follow */
            c->ccm_iv_set = 0;
        }
    }
    if ((p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_AEAD_TLS1_AAD)) != NULL) {
        if (p->data_size == KAC_TLS_AAD_LEN)
            memcpy(c->tls_aad, p->data, KAC_TLS_AAD_LEN);
        c->tls_aad_set = 1;
        msg_reset(c);
    }
    if ((p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED)) != NULL) {
        if (c->alg->mode == KAC_MODE_GCM) {
            c->gcm_ivgen = 1;
            c->iv_ok = 0; /* the IV is the software context's (fixed || generated) */
        } else if (c->alg->mode == KAC_MODE_CHACHAPOLY && p->data_size == sizeof(c->cp_nonce)) {
            memcpy(c->cp_nonce, p->data, sizeof(c->cp_nonce));
            c->cp_nonce_set = 1;
            memcpy(c->iv, p->data, sizeof(c->cp_nonce));
        } else if (c->alg->mode == KAC_MODE_CCM) {
            c->iv_ok = 0;
        }
    }
    if (OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV) != NULL) {
        c->iv_ok = 0; /* GCM: the software context's IV now: software */
        c->finished = 0;
        msg_reset(c);
    }
    return 1;
}

/* ---- per-variant tables ---------------------------------------------- */

static int get_params(enum kac_alg_id id, OSSL_PARAM params[])
{
    const struct kac_alg *a = &kac_algs[id];
    unsigned int mode = a->mode == KAC_MODE_GCM ? EVP_CIPH_GCM_MODE
                        : a->mode == KAC_MODE_CCM ? EVP_CIPH_CCM_MODE : 0;
    OSSL_PARAM *p;

    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_MODE)) != NULL
        && !OSSL_PARAM_set_uint(p, mode))
        goto bad;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_KEYLEN)) != NULL
        && !OSSL_PARAM_set_size_t(p, a->keylen))
        goto bad;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_IVLEN)) != NULL
        && !OSSL_PARAM_set_size_t(p, a->mode == KAC_MODE_CCM ? 12 : a->ivlen))
        goto bad; /* OpenSSL's CCM says 12 here though a context starts at L = 8 (7) */
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_BLOCK_SIZE)) != NULL
        && !OSSL_PARAM_set_size_t(p, 1))
        goto bad;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_AEAD)) != NULL
        && !OSSL_PARAM_set_int(p, 1))
        goto bad;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_CUSTOM_IV)) != NULL
        && !OSSL_PARAM_set_int(p, 1))
        goto bad;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_CTS)) != NULL
        && !OSSL_PARAM_set_int(p, 0))
        goto bad;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_TLS1_MULTIBLOCK)) != NULL
        && !OSSL_PARAM_set_int(p, 0))
        goto bad;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_HAS_RAND_KEY)) != NULL
        && !OSSL_PARAM_set_int(p, 0))
        goto bad;
    return 1;
bad:
    ERR_raise(ERR_LIB_PROV, PROV_R_FAILED_TO_SET_PARAMETER);
    return 0;
}

static const OSSL_PARAM *sw_table(void *provctx, enum kac_alg_id id, int which)
{
    const EVP_CIPHER *swc = kac_prov_swcipher(provctx, id);

    if (swc == NULL)
        return NULL;
    switch (which) {
    case 0:
        return EVP_CIPHER_gettable_params(swc);
    case 1:
        return EVP_CIPHER_gettable_ctx_params(swc);
    default:
        return EVP_CIPHER_settable_ctx_params(swc);
    }
}

/* One line per algorithm: constructor, static parameters, tables, dispatch. */
#define KAC_AEAD_VARIANT(id)                                                              \
    static OSSL_FUNC_cipher_newctx_fn kac_anew_##id;                                      \
    static OSSL_FUNC_cipher_get_params_fn kac_aget_##id;                                  \
    static OSSL_FUNC_cipher_gettable_params_fn kac_agettable_##id;                        \
    static OSSL_FUNC_cipher_gettable_ctx_params_fn kac_agettable_ctx_##id;                \
    static OSSL_FUNC_cipher_settable_ctx_params_fn kac_asettable_ctx_##id;                \
    static void *kac_anew_##id(void *provctx) { return actx_new(provctx, id); }           \
    static int kac_aget_##id(OSSL_PARAM params[]) { return get_params(id, params); }      \
    static const OSSL_PARAM *kac_agettable_##id(void *provctx)                            \
    { return sw_table(provctx, id, 0); }                                                  \
    static const OSSL_PARAM *kac_agettable_ctx_##id(void *cctx, void *provctx)            \
    { (void)cctx; return sw_table(provctx, id, 1); }                                      \
    static const OSSL_PARAM *kac_asettable_ctx_##id(void *cctx, void *provctx)            \
    { (void)cctx; return sw_table(provctx, id, 2); }                                      \
    static const OSSL_DISPATCH kac_adispatch_##id[] = {                                   \
        { OSSL_FUNC_CIPHER_NEWCTX, (void (*)(void))kac_anew_##id },                       \
        { OSSL_FUNC_CIPHER_FREECTX, (void (*)(void))kac_aead_freectx },                   \
        { OSSL_FUNC_CIPHER_DUPCTX, (void (*)(void))kac_aead_dupctx },                     \
        { OSSL_FUNC_CIPHER_ENCRYPT_INIT, (void (*)(void))kac_aead_einit },                \
        { OSSL_FUNC_CIPHER_DECRYPT_INIT, (void (*)(void))kac_aead_dinit },                \
        { OSSL_FUNC_CIPHER_UPDATE, (void (*)(void))kac_aead_update },                     \
        { OSSL_FUNC_CIPHER_FINAL, (void (*)(void))kac_aead_final },                       \
        { OSSL_FUNC_CIPHER_CIPHER, (void (*)(void))kac_aead_cipher },                     \
        { OSSL_FUNC_CIPHER_GET_PARAMS, (void (*)(void))kac_aget_##id },                   \
        { OSSL_FUNC_CIPHER_GETTABLE_PARAMS, (void (*)(void))kac_agettable_##id },         \
        { OSSL_FUNC_CIPHER_GET_CTX_PARAMS, (void (*)(void))kac_aead_get_ctx_params },     \
        { OSSL_FUNC_CIPHER_SET_CTX_PARAMS, (void (*)(void))kac_aead_set_ctx_params },     \
        { OSSL_FUNC_CIPHER_GETTABLE_CTX_PARAMS, (void (*)(void))kac_agettable_ctx_##id }, \
        { OSSL_FUNC_CIPHER_SETTABLE_CTX_PARAMS, (void (*)(void))kac_asettable_ctx_##id }, \
        { 0, NULL },                                                                      \
    };

#define KAC_AEADS(X)                                                                      \
    X(KAC_AES_128_GCM) X(KAC_AES_192_GCM) X(KAC_AES_256_GCM)                              \
    X(KAC_AES_128_CCM) X(KAC_AES_192_CCM) X(KAC_AES_256_CCM)                              \
    X(KAC_CHACHA20_POLY1305)

KAC_AEADS(KAC_AEAD_VARIANT)

const OSSL_DISPATCH *kac_aead_dispatch(enum kac_alg_id id)
{
    switch (id) {
#define KAC_AEAD_CASE(id) case id: return kac_adispatch_##id;
        KAC_AEADS(KAC_AEAD_CASE)
#undef KAC_AEAD_CASE
    default:
        return NULL;
    }
}
