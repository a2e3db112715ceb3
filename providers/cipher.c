/*
 * AES-ECB, -CBC, -CTR and -XTS: block buffering, padding, IV chaining and the
 * CTR counter are tracked here, so whole blocks can go either to the kernel
 * (AF_ALG) or to OpenSSL's own implementation, and a context whose calls
 * alternate between the two yields exactly the bytes of pure software.
 *
 * Every context also holds a software context from kaccel's private library
 * context, keyed at init: key and IV validation, TLS-mode CBC records and any
 * parameter kaccel does not interpret are OpenSSL's own.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/proverr.h>

#include "../src/backend/afalg/afalg.h"
#include "../src/backend/afalg/session.h"
#include "../src/backend/afalg/uring.h"
#include "../src/backend/dpdk/dpdk.h"
#include "../src/core/error.h"
#include "../src/core/fork.h"
#include "../src/core/log.h"
#include "prov.h"

#define KAC_BLOCK 16

struct kac_cctx {
    struct kac_prov *prov;
    const struct kac_alg *alg;
    EVP_CIPHER_CTX *sw;       /* keyed software context, padding off */
    int enc;
    int key_set, iv_set;
    int pad;
    int tls;                  /* tls-version set: each update is one TLS record */
    unsigned int tlsversion;  /* its value */
    size_t tlsmacsize;        /* tls-mac-size: MAC inside the record (0: encrypt-then-MAC) */
    EVP_CIPHER_CTX *swtls;    /* software context in TLS mode, made when a record needs it */
    int finished;             /* final called; update needs a new init */
    int queue_full;           /* the last offload found this thread's queue full */
    int sw_stale;             /* sw's IV lags kaccel's after an offload */
    size_t keylen;
    unsigned char key[64];
    unsigned char oiv[KAC_BLOCK], iv[KAC_BLOCK];
    unsigned char buf[KAC_BLOCK]; /* ECB/CBC partial block */
    size_t bufsz;
    unsigned char ks[KAC_BLOCK];  /* CTR: keystream of the last partial block */
    unsigned int num;             /* CTR: bytes of ks used */
    struct kac_afalg_sess sess;   /* AF_ALG operation socket */
    struct kac_ureq req;          /* its request (one in flight per context) */
    struct kac_dpdk_sess *dsess;  /* DPDK session (key and direction), made lazily */
    int dsess_failed;             /* its creation failed for this key and direction */
    int key_enc;                  /* the direction the key was last set for */
    unsigned char *bounce;        /* copy of an in-place chunk's input, allocated once */
};

static OSSL_FUNC_cipher_freectx_fn kac_cipher_freectx;
static OSSL_FUNC_cipher_dupctx_fn kac_cipher_dupctx;
static OSSL_FUNC_cipher_encrypt_init_fn kac_cipher_einit;
static OSSL_FUNC_cipher_decrypt_init_fn kac_cipher_dinit;
static OSSL_FUNC_cipher_update_fn kac_cipher_update;
static OSSL_FUNC_cipher_final_fn kac_cipher_final;
static OSSL_FUNC_cipher_cipher_fn kac_cipher_cipher;
static OSSL_FUNC_cipher_get_ctx_params_fn kac_cipher_get_ctx_params;
static OSSL_FUNC_cipher_set_ctx_params_fn kac_cipher_set_ctx_params;
static OSSL_FUNC_cipher_gettable_ctx_params_fn kac_cipher_gettable_ctx_params;
static OSSL_FUNC_cipher_settable_ctx_params_fn kac_cipher_settable_ctx_params;
static OSSL_FUNC_cipher_gettable_params_fn kac_cipher_gettable_params;

static int is_block_mode(const struct kac_cctx *c)
{
    return c->alg->mode == KAC_MODE_ECB || c->alg->mode == KAC_MODE_CBC;
}

static void *cctx_new(void *provctx, enum kac_alg_id id)
{
    struct kac_prov *prov = provctx;
    struct kac_cctx *c = OPENSSL_zalloc(sizeof(*c));

    if (c == NULL)
        return NULL;
    c->prov = prov;
    c->alg = &kac_algs[id];
    c->pad = 1;
    c->enc = 1;
    c->keylen = c->alg->keylen;
    kac_afalg_sess_init(&c->sess);
    c->sw = EVP_CIPHER_CTX_new();
    if (c->sw == NULL) {
        OPENSSL_free(c);
        return NULL;
    }
    return c;
}

static void kac_cipher_freectx(void *vctx)
{
    struct kac_cctx *c = vctx;

    if (c == NULL)
        return;
    kac_uq_quiesce(&c->req);
    kac_afalg_sess_close(&c->sess);
    kac_dpdk_sess_free(c->dsess);
    OPENSSL_clear_free(c->bounce, KAC_AFALG_MAX_CHUNK);
    EVP_CIPHER_CTX_free(c->sw);
    EVP_CIPHER_CTX_free(c->swtls);
    OPENSSL_clear_free(c, sizeof(*c));
}

static void *kac_cipher_dupctx(void *vctx)
{
    struct kac_cctx *src = vctx, *c = OPENSSL_malloc(sizeof(*c));

    if (c == NULL)
        return NULL;
    *c = *src;
    kac_afalg_sess_init(&c->sess); /* the copy opens its own socket when it offloads */
    memset(&c->req, 0, sizeof(c->req));
    c->dsess = NULL; /* and makes its own DPDK session */
    c->dsess_failed = 0;
    c->bounce = NULL;
    c->swtls = NULL; /* remade from sw when a record needs it */
    c->sw = EVP_CIPHER_CTX_new();
    if (c->sw == NULL || !EVP_CIPHER_CTX_copy(c->sw, src->sw)) {
        EVP_CIPHER_CTX_free(c->sw);
        OPENSSL_clear_free(c, sizeof(*c));
        return NULL;
    }
    return c;
}

static int sw_set_iv(struct kac_cctx *c, const unsigned char *iv)
{
    /* Re-init with the cipher keeps the key; padding stays off. */
    if (!EVP_CipherInit_ex2(c->sw, NULL, NULL, iv, c->enc, NULL))
        return 0;
    c->sw_stale = 0;
    return 1;
}

static int cipher_init(void *vctx, const unsigned char *key, size_t keylen,
                       const unsigned char *iv, size_t ivlen, const OSSL_PARAM params[],
                       int enc)
{
    struct kac_cctx *c = vctx;
    const EVP_CIPHER *swc = kac_prov_swcipher(c->prov, c->alg->id);

    c->enc = enc ? 1 : 0;
    c->bufsz = 0;
    c->num = 0;
    c->finished = 0;
    if (swc == NULL) {
        KAC_ERR(KAC_R_SOFTWARE_FAILED, "no software implementation of %s", c->alg->name);
        return 0;
    }
    if (key != NULL && keylen != c->alg->keylen) {
        ERR_raise_data(ERR_LIB_PROV, PROV_R_INVALID_KEY_LENGTH, "%s takes a %u-byte key, not %zu",
                       c->alg->name, c->alg->keylen, keylen);
        return 0;
    }
    if (iv != NULL && c->alg->mode != KAC_MODE_ECB && ivlen != c->alg->ivlen) {
        ERR_raise_data(ERR_LIB_PROV, PROV_R_INVALID_IV_LENGTH, "%s takes a %u-byte IV, not %zu",
                       c->alg->name, c->alg->ivlen, ivlen);
        return 0;
    }
    /*
     * The software context validates the key (e.g. XTS halves must differ).
     * Naming the cipher again would reset it and drop the key: only on first
     * use or with a new key.
     */
    if (!EVP_CipherInit_ex2(c->sw,
                            key != NULL || EVP_CIPHER_CTX_get0_cipher(c->sw) == NULL ? swc : NULL,
                            key, c->alg->mode == KAC_MODE_ECB ? NULL : iv, c->enc, NULL))
        return 0;
    EVP_CIPHER_CTX_set_padding(c->sw, 0);
    EVP_CIPHER_CTX_free(c->swtls); /* remade from sw, with this key and direction */
    c->swtls = NULL;
    if (iv != NULL && c->alg->mode != KAC_MODE_ECB) {
        memcpy(c->oiv, iv, c->alg->ivlen);
        memcpy(c->iv, iv, c->alg->ivlen);
        c->iv_set = 1;
    } else if (c->iv_set && c->alg->mode == KAC_MODE_CBC) {
        /* OpenSSL restarts CBC from the original IV on re-init without one. */
        memcpy(c->iv, c->oiv, KAC_BLOCK);
    }
    if (c->iv_set && c->alg->mode != KAC_MODE_ECB && !sw_set_iv(c, c->iv))
        return 0;
    if (key != NULL) {
        if (c->key_set && (keylen != c->keylen || CRYPTO_memcmp(key, c->key, keylen) != 0)) {
            kac_afalg_sess_close(&c->sess);
            kac_dpdk_sess_free(c->dsess);
            c->dsess = NULL;
        }
        c->dsess_failed = 0;
        memcpy(c->key, key, keylen);
        c->keylen = keylen;
        c->key_set = 1;
        c->key_enc = c->enc;
    }
    c->sw_stale = 0;
    return kac_cipher_set_ctx_params(c, params);
}

static int kac_cipher_einit(void *vctx, const unsigned char *key, size_t keylen,
                            const unsigned char *iv, size_t ivlen, const OSSL_PARAM params[])
{
    return cipher_init(vctx, key, keylen, iv, ivlen, params, 1);
}

static int kac_cipher_dinit(void *vctx, const unsigned char *key, size_t keylen,
                            const unsigned char *iv, size_t ivlen, const OSSL_PARAM params[])
{
    return cipher_init(vctx, key, keylen, iv, ivlen, params, 0);
}

/* Software on whole blocks (or an XTS data unit): IV taken from and returned to kaccel. */
static int run_software(struct kac_cctx *c, unsigned char *out, const unsigned char *in,
                        size_t len)
{
    while (len > 0) {
        size_t n = len > (size_t)1 << 30 ? (size_t)1 << 30 : len;
        int outl = 0;

        if (c->sw_stale && !sw_set_iv(c, c->iv))
            return 0;
        if (!EVP_CipherUpdate(c->sw, out, &outl, in, (int)n) || (size_t)outl != n)
            return 0;
        if (c->alg->mode == KAC_MODE_CBC || c->alg->mode == KAC_MODE_CTR)
            if (!EVP_CIPHER_CTX_get_updated_iv(c->sw, c->iv, KAC_BLOCK))
                return 0;
        in += n;
        out += n;
        len -= n;
    }
    return 1;
}

/* The IV after n bytes processed from src to dst (CBC decryption: saved input block). */
static void advance_iv(struct kac_cctx *c, const unsigned char *dst, const unsigned char *last_in,
                       size_t n)
{
    if (c->alg->mode == KAC_MODE_CBC)
        memcpy(c->iv, c->enc ? dst + n - KAC_BLOCK : last_in, KAC_BLOCK);
    else if (c->alg->mode == KAC_MODE_CTR)
        kac_ctr128_add(c->iv, n / KAC_BLOCK);
}

/*
 * One chunk through the kernel: queued on this thread's io_uring (an ASYNC
 * job pauses until it completes; batching across jobs), or a plain
 * sendmsg+read when io_uring is unusable.  A full queue returns -EAGAIN with
 * c->queue_full set (a real EAGAIN leaves it clear): the caller goes to
 * software without touching the socket.
 */
static int offload_chunk(struct kac_cctx *c, int fd, const unsigned char *src, size_t n,
                         unsigned char *dst)
{
    size_t ivlen = c->alg->mode == KAC_MODE_ECB ? 0 : KAC_BLOCK;
    struct kac_uq *q = kac_uq_get(c->prov->cfg.queue_depth);
    struct iovec in = { (void *)src, n }, out = { dst, n };
    int r;

    c->queue_full = 0;
    if (q == NULL)
        return kac_afalg_cipher(fd, c->enc, c->iv, ivlen, src, n, dst);
    r = kac_uq_queue(q, &c->req, fd, c->enc, c->iv, ivlen, -1, &in, 1, &out, 1);
    if (r == KAC_UQ_FULL) {
        c->queue_full = 1;
        return -EAGAIN;
    }
    if (r < 0)
        return r;
    r = kac_uq_wait(&c->req);
    return r < 0 ? r : 0;
}

/*
 * Offloads len bytes (whole blocks, or one XTS data unit) in chunks through
 * the context's AF_ALG socket.  Returns the bytes done; on error *err is set
 * and out is untouched past the bytes done, even in place.
 */
static size_t run_offload(struct kac_cctx *c, unsigned char *out, const unsigned char *in,
                          size_t len, int *err)
{
    unsigned char save[KAC_BLOCK];
    size_t done = 0;
    int fd;

    c->queue_full = 0;
    fd = kac_afalg_sess_fd(&c->sess, "skcipher",
                               kac_route_driver(&c->prov->router, c->alg->id), c->key,
                               c->keylen, 0, err);
    if (fd < 0)
        return 0;
    while (done < len) {
        size_t n = len - done > KAC_AFALG_MAX_CHUNK ? KAC_AFALG_MAX_CHUNK : len - done;
        const unsigned char *src = in + done;
        unsigned char *dst = out + done;
        int inplace = src < dst + n && dst < src + n, r;

        if (c->alg->mode == KAC_MODE_CBC && !c->enc)
            memcpy(save, src + n - KAC_BLOCK, KAC_BLOCK);
        if (inplace) {
            if (c->bounce == NULL
                && (c->bounce = OPENSSL_malloc(KAC_AFALG_MAX_CHUNK)) == NULL) {
                *err = ENOMEM;
                break;
            }
            memcpy(c->bounce, src, n);
            src = c->bounce;
        }
        r = offload_chunk(c, fd, src, n, dst);
        if (r < 0) {
            if (inplace)
                memcpy(dst, c->bounce, n); /* restore the input for the software retry */
            *err = -r;
            if (!c->queue_full) /* a full queue says nothing about the socket */
                kac_afalg_sess_close(&c->sess);
            break;
        }
        advance_iv(c, dst, save, n);
        c->sw_stale = 1;
        done += n;
    }
    return done;
}

/*
 * Offloads len bytes through the context's DPDK session (made on first use):
 * all at once when in and out are apart (split into a burst of ops by the
 * backend), through the bounce buffer in chunks when they overlap.  Returns
 * the bytes done, a prefix whose output and IV are right; on a shortfall
 * *err is set (EAGAIN with c->queue_full for a full queue pair).
 */
static size_t run_offload_dpdk(struct kac_cctx *c, unsigned char *out, const unsigned char *in,
                               size_t len, int *err)
{
    size_t done = 0;

    c->queue_full = 0;
    if (c->dsess != NULL && !kac_dpdk_sess_matches(c->dsess, c->enc, KAC_BLOCK, 0, 0)) {
        kac_dpdk_sess_free(c->dsess);
        c->dsess = NULL;
    }
    if (c->dsess == NULL) {
        if (c->dsess_failed) {
            *err = EAGAIN;
            return 0;
        }
        c->dsess = kac_dpdk_sess_new(c->alg, c->enc, c->key, c->keylen, KAC_BLOCK, 0, 0, err);
        if (c->dsess == NULL) {
            c->dsess_failed = 1; /* not retried until the key or direction changes */
            return 0;
        }
    }
    while (done < len) {
        const unsigned char *src = in + done;
        unsigned char *dst = out + done;
        unsigned char last[KAC_BLOCK];
        size_t n = len - done, got = 0;
        int r;

        if (src < dst + n && dst < src + n) { /* in place: keep the input for a retry */
            if (n > KAC_AFALG_MAX_CHUNK)
                n = KAC_AFALG_MAX_CHUNK;
            if (c->bounce == NULL
                && (c->bounce = OPENSSL_malloc(KAC_AFALG_MAX_CHUNK)) == NULL) {
                *err = ENOMEM;
                break;
            }
            memcpy(c->bounce, src, n);
            src = c->bounce;
        }
        r = kac_dpdk_cipher(c->dsess, c->iv, src, dst, n, &got);
        if (got > 0) {
            if (c->alg->mode == KAC_MODE_CBC && !c->enc)
                memcpy(last, src + got - KAC_BLOCK, KAC_BLOCK);
            advance_iv(c, dst, last, got);
            c->sw_stale = 1;
            done += got;
        }
        if (r != 0) {
            if (src == c->bounce)
                memcpy(dst + got, c->bounce + got, n - got); /* the input, for software */
            if (r == KAC_DPDK_FULL) {
                c->queue_full = 1;
                *err = EAGAIN;
            } else {
                *err = -r;
            }
            break;
        }
    }
    return done;
}

/* Routes whole blocks to offload or software; a failed offload is redone in software. */
static int run(struct kac_cctx *c, unsigned char *out, const unsigned char *in, size_t len)
{
    enum kac_alg_id id = c->alg->id;
    enum kac_why why;
    size_t done = 0;
    int backend = KAC_ROUTE_SOFTWARE;

    if (len == 0)
        return 1;
    if (c->alg->mode != KAC_MODE_CTR && c->enc != c->key_enc) {
        /*
         * Re-initialised for the other direction without the key: OpenSSL
         * keeps the key schedule of the direction the key was set for, and
         * only its own implementation reproduces what that yields.
         */
        why = KAC_WHY_PARAMS;
    } else {
        backend = kac_route_pick(&c->prov->router, id, len, &why);
        /* One XTS data unit cannot be split: it must fit one op of the backend. */
        if (c->alg->mode == KAC_MODE_XTS
            && len > (backend == KAC_BACKEND_DPDK ? kac_dpdk_max_op(id) : KAC_AFALG_MAX_CHUNK)) {
            why = KAC_WHY_PARAMS;
            backend = KAC_ROUTE_SOFTWARE;
        }
    }
    if (backend != KAC_ROUTE_SOFTWARE) {
        int err = 0, session_failed;

        if (backend == KAC_BACKEND_DPDK) {
            done = run_offload_dpdk(c, out, in, len, &err);
            session_failed = c->dsess == NULL;
        } else {
            done = run_offload(c, out, in, len, &err);
            session_failed = c->sess.open_failed;
        }
        if (done == len) {
            kac_stats_offload_to(id, backend, len);
            return 1;
        }
        if (done > 0)
            kac_stats_offload_to(id, backend, done);
        if (c->queue_full) {
            why = KAC_WHY_QUEUE_FULL; /* bounded in flight: no error, no blocking */
        } else {
            why = session_failed ? KAC_WHY_SESSION : KAC_WHY_OP_ERROR;
            kac_stats_error(id);
            KAC_DBG("%s: offload failed after %zu of %zu bytes (%s): software", c->alg->name,
                    done, len, strerror(err));
        }
    }
    kac_stats_software(id, why, len - done);
    if (!run_software(c, out + done, in + done, len - done)) {
        KAC_ERR(KAC_R_SOFTWARE_FAILED, "%s: software implementation failed", c->alg->name);
        return 0;
    }
    return 1;
}

static int check_ready(struct kac_cctx *c)
{
    if (!c->key_set) {
        ERR_raise(ERR_LIB_PROV, PROV_R_NO_KEY_SET);
        return 0;
    }
    if (!c->iv_set && c->alg->mode != KAC_MODE_ECB) {
        KAC_ERR(KAC_R_MISSING_IV, "%s: no IV set", c->alg->name);
        return 0;
    }
    if (c->finished) {
        KAC_ERR(KAC_R_UPDATE_AFTER_FINAL, "%s: update after final without a new init",
                c->alg->name);
        return 0;
    }
    return 1;
}

/* ECB / CBC: OpenSSL's buffering rules, including holding back the last block on decrypt. */
static int update_block(struct kac_cctx *c, unsigned char *out, size_t *outl, size_t outsize,
                        const unsigned char *in, size_t inl)
{
    size_t outlint = 0, nextblocks;

    if (c->bufsz != 0) {
        size_t fill = KAC_BLOCK - c->bufsz;

        if (fill > inl)
            fill = inl;
        memcpy(c->buf + c->bufsz, in, fill);
        c->bufsz += fill;
        in += fill;
        inl -= fill;
    }
    nextblocks = inl & ~(size_t)(KAC_BLOCK - 1);
    if (c->bufsz == KAC_BLOCK && (c->enc || inl > 0 || !c->pad)) {
        if (outsize < KAC_BLOCK) {
            ERR_raise(ERR_LIB_PROV, PROV_R_OUTPUT_BUFFER_TOO_SMALL);
            return 0;
        }
        if (!run(c, out, c->buf, KAC_BLOCK))
            return 0;
        c->bufsz = 0;
        outlint = KAC_BLOCK;
        out += KAC_BLOCK;
    }
    if (nextblocks > 0 && !c->enc && c->pad && nextblocks == inl)
        nextblocks -= KAC_BLOCK; /* hold back a possibly padded last block */
    if (outsize < outlint + nextblocks) {
        ERR_raise(ERR_LIB_PROV, PROV_R_OUTPUT_BUFFER_TOO_SMALL);
        return 0;
    }
    if (nextblocks > 0) {
        if (!run(c, out, in, nextblocks))
            return 0;
        in += nextblocks;
        inl -= nextblocks;
        outlint += nextblocks;
    }
    if (inl > 0) {
        if (c->bufsz + inl > KAC_BLOCK) {
            ERR_raise(ERR_LIB_PROV, ERR_R_INTERNAL_ERROR);
            return 0;
        }
        memcpy(c->buf + c->bufsz, in, inl);
        c->bufsz += inl;
    }
    *outl = outlint;
    return 1;
}

/* CTR: leftover keystream, whole blocks either way, then a software keystream block. */
static int update_ctr(struct kac_cctx *c, unsigned char *out, const unsigned char *in,
                      size_t inl)
{
    size_t whole;

    while (c->num != 0 && inl > 0) {
        *out++ = *in++ ^ c->ks[c->num];
        c->num = (c->num + 1) % KAC_BLOCK;
        inl--;
    }
    whole = inl & ~(size_t)(KAC_BLOCK - 1);
    if (!run(c, out, in, whole))
        return 0;
    in += whole;
    out += whole;
    inl -= whole;
    if (inl > 0) {
        static const unsigned char zero[KAC_BLOCK];
        size_t i;

        if (c->sw_stale && !sw_set_iv(c, c->iv))
            return 0;
        if (!run_software(c, c->ks, zero, KAC_BLOCK))
            return 0;
        for (i = 0; i < inl; i++)
            out[i] = in[i] ^ c->ks[i];
        c->num = (unsigned int)inl;
    }
    return 1;
}

/*
 * A TLS record in OpenSSL's own TLS mode (a software context of its own with
 * the TLS parameters, started from kaccel's IV): the records kaccel leaves
 * to OpenSSL, among them every MAC-then-encrypt record to decrypt, whose
 * padding and MAC OpenSSL removes in constant time.
 */
static int tls_software(struct kac_cctx *c, unsigned char *out, size_t *outl, size_t outsize,
                        const unsigned char *in, size_t inl)
{
    int ol = 0;

    if (inl > INT_MAX || outsize > INT_MAX)
        return 0;
    if (c->swtls == NULL) {
        OSSL_PARAM p[3] = {
            OSSL_PARAM_uint(OSSL_CIPHER_PARAM_TLS_VERSION, &c->tlsversion),
            OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_TLS_MAC_SIZE, &c->tlsmacsize),
            OSSL_PARAM_END,
        };

        if ((c->swtls = EVP_CIPHER_CTX_new()) == NULL)
            return 0;
        if (!EVP_CIPHER_CTX_copy(c->swtls, c->sw) || !EVP_CIPHER_CTX_set_padding(c->swtls, 1)
            || !EVP_CIPHER_CTX_set_params(c->swtls, p)) {
            EVP_CIPHER_CTX_free(c->swtls);
            c->swtls = NULL;
            KAC_ERR(KAC_R_SOFTWARE_FAILED, "%s: no software context for TLS records",
                    c->alg->name);
            return 0;
        }
    }
    if (!EVP_CipherInit_ex2(c->swtls, NULL, NULL, c->iv, c->enc, NULL))
        return 0;
    kac_stats_software(c->alg->id, KAC_WHY_PARAMS, inl);
    if (!EVP_CipherUpdate(c->swtls, out, &ol, in, (int)inl))
        return 0;
    if (!EVP_CIPHER_CTX_get_updated_iv(c->swtls, c->iv, KAC_BLOCK))
        return 0;
    c->sw_stale = 1;
    *outl = (size_t)ol;
    return 1;
}

/*
 * TLS-mode CBC records (libssl: one update per record, in place).  The
 * cipher pads a record to encrypt; to decrypt, it skips the explicit IV
 * (TLS 1.1 and later), checks and strips the padding and hands out the MAC
 * (tls-mac).  kaccel pads records to encrypt itself, so their blocks are
 * routed like any others; so are records to decrypt without a MAC inside
 * (encrypt-then-MAC, tls-mac-size 0: libssl has checked the MAC over the
 * ciphertext, and OpenSSL too reports bad padding as a plain failure).  The
 * rest is OpenSSL's own (tls_software).
 */
static int tls_update(struct kac_cctx *c, unsigned char *out, size_t *outl, size_t outsize,
                      const unsigned char *in, size_t inl)
{
    size_t eiv, len, pad, i, good, to_check;
    const unsigned char *rec;

    switch (c->tlsversion) {
    case 0x0301: /* TLS 1.0: the IV chains from the previous record */
        eiv = 0;
        break;
    case 0x0302: case 0x0303: case 0xfeff: case 0xfefd: case 0x0100:
        eiv = KAC_BLOCK; /* TLS 1.1, 1.2, DTLS: an explicit IV block first */
        break;
    default: /* SSL 3.0 pads differently */
        return tls_software(c, out, outl, outsize, in, inl);
    }
    if (in != out || !c->pad || (!c->enc && c->tlsmacsize != 0))
        return tls_software(c, out, outl, outsize, in, inl);
    if (c->enc) {
        pad = KAC_BLOCK - inl % KAC_BLOCK;
        if (outsize < inl || outsize - inl < pad) {
            ERR_raise(ERR_LIB_PROV, PROV_R_OUTPUT_BUFFER_TOO_SMALL);
            return 0;
        }
        memset(out + inl, (int)(pad - 1), pad);
        if (!run(c, out, out, inl + pad))
            return 0;
        *outl = inl + pad;
        return 1;
    }
    /* Lengths OpenSSL rejects (or would read outside of): its own error. */
    if (inl % KAC_BLOCK != 0 || inl < eiv + KAC_BLOCK)
        return tls_software(c, out, outl, outsize, in, inl);
    if (!run(c, out, out, inl))
        return 0;
    /* The padding check of OpenSSL's tls1_cbc_remove_padding_and_mac(). */
    rec = out + eiv;
    len = inl - eiv;
    pad = rec[len - 1];
    good = (size_t)0 - (size_t)(len >= pad + 1);
    to_check = len < 256 ? len : 256;
    for (i = 0; i < to_check; i++) {
        size_t mask = (size_t)0 - (size_t)(pad >= i);

        good &= ~(mask & (pad ^ rec[len - 1 - i]));
    }
    if ((good & 0xff) != 0xff) {
        ERR_raise(ERR_LIB_PROV, PROV_R_CIPHER_OPERATION_FAILED);
        return 0;
    }
    *outl = len - pad - 1;
    return 1;
}

/* One XTS data unit: at least a block, at most 2^20 blocks (as OpenSSL's). */
static int xts_unit_ok(size_t inl)
{
    if (inl < KAC_BLOCK) {
        ERR_raise_data(ERR_LIB_PROV, PROV_R_CIPHER_OPERATION_FAILED,
                       "XTS needs at least one block, got %zu bytes", inl);
        return 0;
    }
    if (inl > ((size_t)1 << 20) * KAC_BLOCK) {
        ERR_raise(ERR_LIB_PROV, PROV_R_XTS_DATA_UNIT_IS_TOO_LARGE);
        return 0;
    }
    return 1;
}

static int kac_cipher_update(void *vctx, unsigned char *out, size_t *outl, size_t outsize,
                             const unsigned char *in, size_t inl)
{
    struct kac_cctx *c = vctx;

    if (!check_ready(c))
        return 0;
    if (c->tls)
        return tls_update(c, out, outl, outsize, in, inl);
    if (is_block_mode(c))
        return update_block(c, out, outl, outsize, in, inl);
    if (outsize < inl) {
        ERR_raise(ERR_LIB_PROV, PROV_R_OUTPUT_BUFFER_TOO_SMALL);
        return 0;
    }
    if (c->alg->mode == KAC_MODE_XTS) {
        if (!xts_unit_ok(inl) || !run(c, out, in, inl))
            return 0;
    } else if (!update_ctr(c, out, in, inl)) {
        return 0;
    }
    *outl = inl;
    return 1;
}

static int kac_cipher_final(void *vctx, unsigned char *out, size_t *outl, size_t outsize)
{
    struct kac_cctx *c = vctx;

    if (!check_ready(c))
        return 0;
    if (c->tls) {
        ERR_raise(ERR_LIB_PROV, PROV_R_CIPHER_OPERATION_FAILED);
        return 0;
    }
    *outl = 0;
    if (!is_block_mode(c)) {
        c->finished = 1;
        return 1;
    }
    if (c->enc) {
        if (c->pad) {
            unsigned char n = (unsigned char)(KAC_BLOCK - c->bufsz);

            memset(c->buf + c->bufsz, n, n);
            c->bufsz = KAC_BLOCK;
        } else if (c->bufsz == 0) {
            c->finished = 1;
            return 1;
        } else if (c->bufsz != KAC_BLOCK) {
            ERR_raise(ERR_LIB_PROV, PROV_R_WRONG_FINAL_BLOCK_LENGTH);
            return 0;
        }
        if (outsize < KAC_BLOCK) {
            ERR_raise(ERR_LIB_PROV, PROV_R_OUTPUT_BUFFER_TOO_SMALL);
            return 0;
        }
        if (!run(c, out, c->buf, KAC_BLOCK))
            return 0;
        c->bufsz = 0;
        *outl = KAC_BLOCK;
        c->finished = 1;
        return 1;
    }
    if (c->bufsz != KAC_BLOCK) {
        if (c->bufsz == 0 && !c->pad) {
            c->finished = 1;
            return 1;
        }
        ERR_raise(ERR_LIB_PROV, PROV_R_WRONG_FINAL_BLOCK_LENGTH);
        return 0;
    }
    if (!run(c, c->buf, c->buf, KAC_BLOCK))
        return 0;
    if (c->pad) {
        unsigned char n = c->buf[KAC_BLOCK - 1];
        unsigned int i, bad = (unsigned int)(n == 0) | (unsigned int)(n > KAC_BLOCK);

        for (i = 0; i < KAC_BLOCK; i++)
            bad |= (unsigned int)(i >= (unsigned int)(KAC_BLOCK - n)) & (c->buf[i] != n);
        if (bad) {
            OPENSSL_cleanse(c->buf, sizeof(c->buf));
            c->bufsz = 0;
            ERR_raise(ERR_LIB_PROV, PROV_R_BAD_DECRYPT);
            return 0;
        }
        c->bufsz = KAC_BLOCK - n;
    }
    if (outsize < c->bufsz) {
        ERR_raise(ERR_LIB_PROV, PROV_R_OUTPUT_BUFFER_TOO_SMALL);
        return 0;
    }
    memcpy(out, c->buf, c->bufsz);
    *outl = c->bufsz;
    c->bufsz = 0;
    c->finished = 1;
    return 1;
}

/* EVP_Cipher(): raw processing without buffering or padding, as OpenSSL does. */
static int kac_cipher_cipher(void *vctx, unsigned char *out, size_t *outl, size_t outsize,
                             const unsigned char *in, size_t inl)
{
    struct kac_cctx *c = vctx;

    if (!check_ready(c))
        return 0;
    if (outsize < inl) {
        ERR_raise(ERR_LIB_PROV, PROV_R_OUTPUT_BUFFER_TOO_SMALL);
        return 0;
    }
    if (c->alg->mode == KAC_MODE_XTS && !xts_unit_ok(inl))
        return 0;
    if (c->alg->mode == KAC_MODE_CTR) {
        if (!update_ctr(c, out, in, inl))
            return 0;
    } else if (c->tls || (is_block_mode(c) && inl % KAC_BLOCK != 0)) {
        /* OpenSSL's own treatment of partial blocks and TLS records */
        int r;

        if (c->sw_stale && !sw_set_iv(c, c->iv))
            return 0;
        r = EVP_Cipher(c->sw, out, in, (unsigned int)inl);
        if (r < 0) /* a provider's EVP_Cipher: the bytes written (0 for none), or -1 */
            return 0;
        if (c->alg->mode == KAC_MODE_CBC)
            EVP_CIPHER_CTX_get_updated_iv(c->sw, c->iv, KAC_BLOCK);
        kac_stats_software(c->alg->id, KAC_WHY_PARAMS, inl);
    } else if (!run(c, out, in, inl)) {
        return 0;
    }
    *outl = inl;
    return 1;
}

static const OSSL_PARAM *kac_cipher_gettable_ctx_params(void *cctx, void *provctx)
{
    static const OSSL_PARAM p[] = {
        OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, NULL),
        OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_IVLEN, NULL),
        OSSL_PARAM_uint(OSSL_CIPHER_PARAM_PADDING, NULL),
        OSSL_PARAM_uint(OSSL_CIPHER_PARAM_NUM, NULL),
        OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_IV, NULL, 0),
        OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_UPDATED_IV, NULL, 0),
        { OSSL_CIPHER_PARAM_TLS_MAC, OSSL_PARAM_OCTET_PTR, NULL, 0, OSSL_PARAM_UNMODIFIED },
        OSSL_PARAM_END,
    };
    return p;
}

static const OSSL_PARAM *kac_cipher_settable_ctx_params(void *cctx, void *provctx)
{
    static const OSSL_PARAM p[] = {
        OSSL_PARAM_uint(OSSL_CIPHER_PARAM_PADDING, NULL),
        OSSL_PARAM_uint(OSSL_CIPHER_PARAM_NUM, NULL),
        OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, NULL),
        OSSL_PARAM_uint(OSSL_CIPHER_PARAM_USE_BITS, NULL),
        OSSL_PARAM_uint(OSSL_CIPHER_PARAM_TLS_VERSION, NULL),
        OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_TLS_MAC_SIZE, NULL),
        OSSL_PARAM_END,
    };
    return p;
}

static int kac_cipher_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
    struct kac_cctx *c = vctx;
    OSSL_PARAM *p;
    size_t ivlen = c->alg->mode == KAC_MODE_ECB ? 0 : c->alg->ivlen;

    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_IVLEN)) != NULL
        && !OSSL_PARAM_set_size_t(p, ivlen))
        goto bad;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_KEYLEN)) != NULL
        && !OSSL_PARAM_set_size_t(p, c->keylen))
        goto bad;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_PADDING)) != NULL
        && !OSSL_PARAM_set_uint(p, (unsigned int)c->pad))
        goto bad;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_NUM)) != NULL
        && !OSSL_PARAM_set_uint(p, c->num))
        goto bad;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_IV)) != NULL
        && !OSSL_PARAM_set_octet_string(p, c->oiv, ivlen)
        && !OSSL_PARAM_set_octet_ptr(p, c->oiv, ivlen))
        goto bad;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_UPDATED_IV)) != NULL
        && !OSSL_PARAM_set_octet_string(p, c->iv, ivlen)
        && !OSSL_PARAM_set_octet_ptr(p, c->iv, ivlen))
        goto bad;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_TLS_MAC)) != NULL) {
        /* Only OpenSSL's TLS mode (tls_software) hands out a MAC. */
        OSSL_PARAM fwd[2] = { *p, OSSL_PARAM_END };

        if (c->swtls != NULL ? !EVP_CIPHER_CTX_get_params(c->swtls, fwd)
                             : !OSSL_PARAM_set_octet_ptr(&fwd[0], NULL, 0))
            goto bad;
        *p = fwd[0];
    }
    return 1;
bad:
    ERR_raise(ERR_LIB_PROV, PROV_R_FAILED_TO_SET_PARAMETER);
    return 0;
}

static int kac_cipher_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
    struct kac_cctx *c = vctx;
    const OSSL_PARAM *p;

    if (params == NULL)
        return 1;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_PADDING)) != NULL) {
        unsigned int pad;

        if (!OSSL_PARAM_get_uint(p, &pad)) {
            ERR_raise(ERR_LIB_PROV, PROV_R_FAILED_TO_GET_PARAMETER);
            return 0;
        }
        c->pad = pad ? 1 : 0;
    }
    if ((p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_NUM)) != NULL) {
        unsigned int num;

        if (!OSSL_PARAM_get_uint(p, &num) || num >= KAC_BLOCK) {
            ERR_raise(ERR_LIB_PROV, PROV_R_FAILED_TO_GET_PARAMETER);
            return 0;
        }
        c->num = num;
    }
    if ((p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_KEYLEN)) != NULL) {
        size_t keylen;

        if (!OSSL_PARAM_get_size_t(p, &keylen)) {
            ERR_raise(ERR_LIB_PROV, PROV_R_FAILED_TO_GET_PARAMETER);
            return 0;
        }
        if (keylen != c->alg->keylen) {
            ERR_raise(ERR_LIB_PROV, PROV_R_INVALID_KEY_LENGTH);
            return 0;
        }
    }
    if ((p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_TLS_VERSION)) != NULL) {
        unsigned int v;

        if (!OSSL_PARAM_get_uint(p, &v)) {
            ERR_raise(ERR_LIB_PROV, PROV_R_FAILED_TO_GET_PARAMETER);
            return 0;
        }
        c->tls = v > 0;
        c->tlsversion = v;
    }
    if ((p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_TLS_MAC_SIZE)) != NULL
        && !OSSL_PARAM_get_size_t(p, &c->tlsmacsize)) {
        ERR_raise(ERR_LIB_PROV, PROV_R_FAILED_TO_GET_PARAMETER);
        return 0;
    }
    /* TLS parameters take effect in OpenSSL's TLS mode when it is made next. */
    if (OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_TLS_VERSION) != NULL
        || OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_TLS_MAC_SIZE) != NULL) {
        EVP_CIPHER_CTX_free(c->swtls);
        c->swtls = NULL;
    }
    if ((p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_USE_BITS)) != NULL) {
        OSSL_PARAM fwd[2] = { *p, OSSL_PARAM_END };

        /* a failed init can leave the software context without its cipher */
        if (EVP_CIPHER_CTX_get0_cipher(c->sw) == NULL
            && !EVP_CipherInit_ex2(c->sw, kac_prov_swcipher(c->prov, c->alg->id), NULL, NULL,
                                   c->enc, NULL))
            return 0;
        if (!EVP_CIPHER_CTX_set_params(c->sw, fwd))
            return 0;
    }
    return 1;
}

static const OSSL_PARAM *kac_cipher_gettable_params(void *provctx)
{
    static const OSSL_PARAM p[] = {
        OSSL_PARAM_uint(OSSL_CIPHER_PARAM_MODE, NULL),
        OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, NULL),
        OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_IVLEN, NULL),
        OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_BLOCK_SIZE, NULL),
        OSSL_PARAM_int(OSSL_CIPHER_PARAM_AEAD, NULL),
        OSSL_PARAM_int(OSSL_CIPHER_PARAM_CUSTOM_IV, NULL),
        OSSL_PARAM_int(OSSL_CIPHER_PARAM_CTS, NULL),
        OSSL_PARAM_int(OSSL_CIPHER_PARAM_TLS1_MULTIBLOCK, NULL),
        OSSL_PARAM_int(OSSL_CIPHER_PARAM_HAS_RAND_KEY, NULL),
        OSSL_PARAM_END,
    };
    return p;
}

static int get_params(enum kac_alg_id id, OSSL_PARAM params[])
{
    const struct kac_alg *a = &kac_algs[id];
    unsigned int mode;
    OSSL_PARAM *p;

    switch (a->mode) {
    case KAC_MODE_ECB: mode = EVP_CIPH_ECB_MODE; break;
    case KAC_MODE_CBC: mode = EVP_CIPH_CBC_MODE; break;
    case KAC_MODE_CTR: mode = EVP_CIPH_CTR_MODE; break;
    default: mode = EVP_CIPH_XTS_MODE; break;
    }
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_MODE)) != NULL
        && !OSSL_PARAM_set_uint(p, mode))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_KEYLEN)) != NULL
        && !OSSL_PARAM_set_size_t(p, a->keylen))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_IVLEN)) != NULL
        && !OSSL_PARAM_set_size_t(p, a->mode == KAC_MODE_ECB ? 0 : a->ivlen))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_BLOCK_SIZE)) != NULL
        && !OSSL_PARAM_set_size_t(p, a->blocksize))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_CUSTOM_IV)) != NULL
        && !OSSL_PARAM_set_int(p, a->mode == KAC_MODE_XTS))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_AEAD)) != NULL
        && !OSSL_PARAM_set_int(p, 0))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_CTS)) != NULL
        && !OSSL_PARAM_set_int(p, 0))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_TLS1_MULTIBLOCK)) != NULL
        && !OSSL_PARAM_set_int(p, 0))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_HAS_RAND_KEY)) != NULL
        && !OSSL_PARAM_set_int(p, 0))
        return 0;
    return 1;
}

/* One line per algorithm: its constructor, static parameters and dispatch table. */
#define KAC_CIPHER_VARIANT(id)                                                           \
    static OSSL_FUNC_cipher_newctx_fn kac_newctx_##id;                                   \
    static OSSL_FUNC_cipher_get_params_fn kac_get_params_##id;                           \
    static void *kac_newctx_##id(void *provctx) { return cctx_new(provctx, id); }        \
    static int kac_get_params_##id(OSSL_PARAM params[]) { return get_params(id, params); } \
    static const OSSL_DISPATCH kac_dispatch_##id[] = {                                   \
        { OSSL_FUNC_CIPHER_NEWCTX, (void (*)(void))kac_newctx_##id },                    \
        { OSSL_FUNC_CIPHER_FREECTX, (void (*)(void))kac_cipher_freectx },                \
        { OSSL_FUNC_CIPHER_DUPCTX, (void (*)(void))kac_cipher_dupctx },                  \
        { OSSL_FUNC_CIPHER_ENCRYPT_INIT, (void (*)(void))kac_cipher_einit },             \
        { OSSL_FUNC_CIPHER_DECRYPT_INIT, (void (*)(void))kac_cipher_dinit },             \
        { OSSL_FUNC_CIPHER_UPDATE, (void (*)(void))kac_cipher_update },                  \
        { OSSL_FUNC_CIPHER_FINAL, (void (*)(void))kac_cipher_final },                    \
        { OSSL_FUNC_CIPHER_CIPHER, (void (*)(void))kac_cipher_cipher },                  \
        { OSSL_FUNC_CIPHER_GET_PARAMS, (void (*)(void))kac_get_params_##id },            \
        { OSSL_FUNC_CIPHER_GETTABLE_PARAMS, (void (*)(void))kac_cipher_gettable_params }, \
        { OSSL_FUNC_CIPHER_GET_CTX_PARAMS, (void (*)(void))kac_cipher_get_ctx_params },  \
        { OSSL_FUNC_CIPHER_SET_CTX_PARAMS, (void (*)(void))kac_cipher_set_ctx_params },  \
        { OSSL_FUNC_CIPHER_GETTABLE_CTX_PARAMS,                                          \
          (void (*)(void))kac_cipher_gettable_ctx_params },                              \
        { OSSL_FUNC_CIPHER_SETTABLE_CTX_PARAMS,                                          \
          (void (*)(void))kac_cipher_settable_ctx_params },                              \
        { 0, NULL },                                                                     \
    };

#define KAC_CIPHERS(X)                                                                   \
    X(KAC_AES_128_ECB) X(KAC_AES_192_ECB) X(KAC_AES_256_ECB)                             \
    X(KAC_AES_128_CBC) X(KAC_AES_192_CBC) X(KAC_AES_256_CBC)                             \
    X(KAC_AES_128_CTR) X(KAC_AES_192_CTR) X(KAC_AES_256_CTR)                             \
    X(KAC_AES_128_XTS) X(KAC_AES_256_XTS)

KAC_CIPHERS(KAC_CIPHER_VARIANT)

const OSSL_DISPATCH *kac_cipher_dispatch(enum kac_alg_id id)
{
    switch (id) {
#define KAC_CIPHER_CASE(id) case id: return kac_dispatch_##id;
        KAC_CIPHERS(KAC_CIPHER_CASE)
#undef KAC_CIPHER_CASE
    default:
        return NULL;
    }
}
