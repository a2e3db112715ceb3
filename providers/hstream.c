/*
 * The hash stream shared by the digests and the MACs (see hstream.h).
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/proverr.h>

#include "../src/backend/afalg/hash.h"
#include "../src/backend/afalg/session.h"
#include "../src/core/error.h"
#include "../src/core/log.h"
#include "hstream.h"

void kac_hs_init(struct kac_hstream *hs, struct kac_prov *prov, const struct kac_alg *alg,
                 const struct kac_hs_ops *ops)
{
    hs->prov = prov;
    hs->alg = alg;
    hs->ops = ops;
    hs->state = KAC_HS_DONE;
    kac_afalg_sess_init(&hs->sess);
    hs->dsess = NULL;
    hs->dsess_failed = 0;
}

static void buf_clear(struct kac_hstream *hs)
{
    OPENSSL_cleanse(hs->buf, hs->buflen);
    hs->buflen = 0;
}

void kac_hs_free(struct kac_hstream *hs)
{
    kac_afalg_sess_close(&hs->sess);
    kac_dpdk_sess_free(hs->dsess);
    hs->dsess = NULL;
    OPENSSL_clear_free(hs->buf, hs->bufcap);
    hs->buf = NULL;
    hs->buflen = hs->bufcap = 0;
}

void kac_hs_rekey(struct kac_hstream *hs)
{
    kac_afalg_sess_close(&hs->sess);
    kac_dpdk_sess_free(hs->dsess);
    hs->dsess = NULL;
    hs->dsess_failed = 0;
}

void kac_hs_dup_reset(struct kac_hstream *dst)
{
    dst->buf = NULL;
    dst->buflen = dst->bufcap = 0;
    kac_afalg_sess_init(&dst->sess);
    dst->dsess = NULL; /* the copy makes its own session */
    dst->dsess_failed = 0;
}

int kac_hs_dup(struct kac_hstream *dst, const struct kac_hstream *src)
{
    if (src->bufcap > 0) {
        if ((dst->buf = OPENSSL_malloc(src->bufcap)) == NULL)
            return 0;
        dst->bufcap = src->bufcap;
        dst->buflen = src->buflen;
        memcpy(dst->buf, src->buf, src->buflen);
    }
    if (src->state == KAC_HS_KERNEL) {
        /* accept() on the operation socket clones the running hash */
        int r = kac_afalg_hash_sess_clone(&dst->sess, &src->sess);

        if (r < 0) {
            kac_stats_error(src->alg->id);
            KAC_ERR(KAC_R_OPERATION_FAILED, "%s: cannot copy the offloaded %s state (%s)",
                    src->alg->name, src->ops->what,
                    r == -EBADFD ? "socket of the parent process" : strerror(-r));
            return 0;
        }
    }
    return 1;
}

void kac_hs_restart(struct kac_hstream *hs)
{
    /* A socket holding part of an unfinished message cannot serve the next one. */
    if (hs->state == KAC_HS_KERNEL)
        kac_afalg_sess_close(&hs->sess);
    buf_clear(hs);
    hs->total = 0;
    hs->state = KAC_HS_BUF;
    hs->why = KAC_WHY_SMALL;
}

int kac_hs_check(const struct kac_hstream *hs, const char *name, const char *done)
{
    if (hs->state == KAC_HS_DONE) {
        KAC_ERR(KAC_R_UPDATE_AFTER_FINAL, "%s: %s", name, done);
        return 0;
    }
    if (hs->state == KAC_HS_FAILED) {
        KAC_ERR(KAC_R_OPERATION_FAILED, "%s: this message failed; init first", name);
        return 0;
    }
    return 1;
}

int kac_hs_to_software(struct kac_hstream *hs, enum kac_why why, const unsigned char *in,
                       size_t inl)
{
    if (!hs->ops->sw_start(hs, in, inl)) {
        hs->state = KAC_HS_FAILED;
        return 0;
    }
    buf_clear(hs);
    hs->state = KAC_HS_SW;
    hs->why = why;
    return 1;
}

/*
 * Hands the buffered part and in to the kernel (more = 1: the message goes on;
 * more = 0: finalises and reads the result into md).  Returns 1 on success,
 * 0 when the offload failed and the data is still in hand (*why set).
 */
static int to_kernel(struct kac_hstream *hs, const unsigned char *in, size_t inl, int more,
                     unsigned char *md, const unsigned char *key, size_t keylen,
                     enum kac_why *why)
{
    int err = 0, r, fd;

    fd = kac_afalg_sess_fd(&hs->sess, "hash", kac_route_driver(&hs->prov->router, hs->alg->id),
                           key, keylen, 0, &err);
    if (fd < 0) {
        r = -err;
        *why = KAC_WHY_SESSION;
        goto fail;
    }
    *why = KAC_WHY_OP_ERROR;
    /* Nothing is sent for an empty start with MSG_MORE: final then sends the empty end. */
    if ((hs->buflen > 0 && (r = kac_afalg_hash_send(fd, hs->buf, hs->buflen, more || inl > 0)) < 0)
        || ((inl > 0 || (!more && hs->buflen == 0))
            && (r = kac_afalg_hash_send(fd, in, inl, more)) < 0)
        || (!more && (r = kac_afalg_hash_read(fd, md, hs->alg->outlen)) < 0)) {
        kac_afalg_sess_close(&hs->sess);
        goto fail;
    }
    buf_clear(hs);
    return 1;
fail:
    kac_stats_error(hs->alg->id);
    KAC_DBG("%s: offload of %zu bytes failed (%s): software", hs->alg->name, hs->buflen + inl,
            strerror(-r));
    return 0;
}

/* Mid-stream kernel failure: the message cannot be completed. */
static int kernel_failed(struct kac_hstream *hs, int r, const char *what)
{
    kac_stats_error(hs->alg->id);
    kac_afalg_sess_close(&hs->sess);
    hs->state = KAC_HS_FAILED;
    if (r == -EBADFD)
        KAC_ERR(KAC_R_OPERATION_FAILED,
                "%s: the offloaded %s belongs to the parent process (fork mid-message)",
                hs->alg->name, hs->ops->what);
    else
        KAC_ERR(KAC_R_OPERATION_FAILED, "%s: the kernel failed to %s after %zu bytes (%s)",
                hs->alg->name, what, hs->total, strerror(-r));
    return 0;
}

/* Appends in to the buffer, which may grow up to limit (or to what is needed). */
static int buf_append(struct kac_hstream *hs, const unsigned char *in, size_t inl, size_t limit)
{
    size_t need = hs->buflen + inl;

    if (inl == 0)
        return 1;
    if (need > hs->bufcap) {
        size_t cap = hs->bufcap < 256 ? 256 : hs->bufcap * 2;
        unsigned char *nb;

        if (cap > limit)
            cap = limit;
        if (cap < need)
            cap = need;
        nb = OPENSSL_clear_realloc(hs->buf, hs->bufcap, cap);
        if (nb == NULL)
            return 0;
        hs->buf = nb;
        hs->bufcap = cap;
    }
    memcpy(hs->buf + hs->buflen, in, inl);
    hs->buflen = need;
    return 1;
}

/*
 * Keyless (digest) session failures, per algorithm for the process.  OpenSSL
 * 3.0 gives every EVP_DigestInit a new provider context, so a digest context
 * lives for one message and a per-context memory would retry every message.
 * After a failure the next `backoff` messages skip DPDK (doubling up to
 * KAC_DSESS_MAX_BACKOFF, reset by a success), so a transient shortage (the
 * session pool) is retried now and then, not per message.
 */
#define KAC_DSESS_MAX_BACKOFF 1024

static struct {
    unsigned skip, backoff;
} keyless_fail[KAC_ALG_COUNT];

/* 1 when this message skips DPDK (one skip used). */
static int keyless_skip(enum kac_alg_id id)
{
    unsigned s = __atomic_load_n(&keyless_fail[id].skip, __ATOMIC_RELAXED);

    while (s > 0)
        if (__atomic_compare_exchange_n(&keyless_fail[id].skip, &s, s - 1, 0, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED))
            return 1;
    return 0;
}

static void keyless_result(enum kac_alg_id id, int ok)
{
    unsigned b = 0;

    if (!ok) {
        b = __atomic_load_n(&keyless_fail[id].backoff, __ATOMIC_RELAXED);
        b = b == 0 ? 1 : b >= KAC_DSESS_MAX_BACKOFF ? KAC_DSESS_MAX_BACKOFF : b * 2;
        __atomic_store_n(&keyless_fail[id].skip, b, __ATOMIC_RELAXED);
    } else if (__atomic_load_n(&keyless_fail[id].backoff, __ATOMIC_RELAXED) == 0) {
        return;
    }
    __atomic_store_n(&keyless_fail[id].backoff, b, __ATOMIC_RELAXED);
}

/*
 * The context's DPDK session (made on first use with key, kept across
 * messages until a re-key), or NULL.  A creation failure is counted and
 * remembered: later messages with this key go to software without retrying
 * (keyless sessions: see keyless_fail).
 */
static struct kac_dpdk_sess *dpdk_sess(struct kac_hstream *hs, const unsigned char *key,
                                       size_t keylen)
{
    enum kac_alg_id id = hs->alg->id;
    int err = 0;

    if (hs->dsess != NULL && !kac_dpdk_sess_matches(hs->dsess, 1, 0, 0, 0)) {
        kac_dpdk_sess_free(hs->dsess); /* made by the parent process before a fork */
        hs->dsess = NULL;
    }
    if (hs->dsess != NULL || hs->dsess_failed || (keylen == 0 && keyless_skip(id)))
        return hs->dsess;
    hs->dsess = kac_dpdk_sess_new(hs->alg, 1, key, keylen, 0, 0, 0, &err);
    if (keylen == 0)
        keyless_result(id, hs->dsess != NULL);
    if (hs->dsess == NULL) {
        hs->dsess_failed = keylen > 0;
        kac_stats_error(id);
        KAC_DBG("%s: no DPDK session (%s): software %s", hs->alg->name, strerror(err),
                keylen > 0 ? "until the key changes" : "for the next messages");
    }
    return hs->dsess;
}

/*
 * The backend for the whole message of len bytes so far (enum kac_backend_id)
 * or KAC_ROUTE_SOFTWARE with *why.  kac_route_pick decides, except that a
 * DPDK op carries one whole message of 1..KAC_DPDK_MAX_OP bytes and cannot
 * stream:
 *  - a message that outgrows one op goes where it would go if DPDK were not
 *    configured: to AF_ALG when AF_ALG serves the algorithm (it is then the
 *    next backend in kaccel-backends: listed before DPDK, the router would
 *    have picked it), else to software (PARAMS).  The whole message is still
 *    in the buffer at that point, so either continues it exactly;
 *  - an empty message (threshold 0) is hashed in software (SMALL);
 *  - without a session for this key: software (SESSION).
 * Keyed variants whose key a DPDK session cannot take are never routed here
 * (the owner's job: see mac.c).
 */
static int route(struct kac_hstream *hs, size_t len, const unsigned char *key, size_t keylen,
                 enum kac_why *why)
{
    const struct kac_router *r = &hs->prov->router;
    int b = kac_route_pick(r, hs->alg->id, len, why);

    if (b != KAC_BACKEND_DPDK)
        return b;
    if (len > kac_dpdk_max_op(hs->alg->id)) {
        if (r->info[KAC_BACKEND_AFALG][hs->alg->id].usable)
            return KAC_BACKEND_AFALG;
        *why = KAC_WHY_PARAMS;
        return KAC_ROUTE_SOFTWARE;
    }
    if (len == 0) {
        *why = KAC_WHY_SMALL;
        return KAC_ROUTE_SOFTWARE;
    }
    if (dpdk_sess(hs, key, keylen) == NULL) {
        *why = KAC_WHY_SESSION;
        return KAC_ROUTE_SOFTWARE;
    }
    return KAC_BACKEND_DPDK;
}

/*
 * One DPDK op over the buffered message, result into md.  Returns 1 when done,
 * 0 when the message must go to software (*why: QUEUE_FULL, no error; or
 * OP_ERROR, counted); the buffer is intact either way.
 */
static int dpdk_final(struct kac_hstream *hs, unsigned char *md, enum kac_why *why)
{
    int r = kac_dpdk_hash(hs->dsess, hs->buf, hs->buflen, md);

    if (r == 0)
        return 1;
    if (r == KAC_DPDK_FULL) {
        *why = KAC_WHY_QUEUE_FULL; /* bounded in flight: no error, no blocking */
        return 0;
    }
    *why = KAC_WHY_OP_ERROR;
    kac_stats_error(hs->alg->id);
    KAC_DBG("%s: DPDK op over %zu bytes failed (%s): software", hs->alg->name, hs->buflen,
            strerror(r < 0 ? -r : EIO));
    return 0;
}

int kac_hs_update(struct kac_hstream *hs, const unsigned char *in, size_t inl,
                  const unsigned char *key, size_t keylen)
{
    enum kac_why why;
    int b, r;

    switch (hs->state) {
    case KAC_HS_BUF:
    case KAC_HS_DPDK:
        /* The whole message so far is in the buffer. */
        b = route(hs, hs->buflen + inl, key, keylen, &why);
        if (b == KAC_BACKEND_AFALG) {
            if (to_kernel(hs, in, inl, 1, NULL, key, keylen, &why)) {
                hs->total += inl;
                hs->state = KAC_HS_KERNEL;
                return 1;
            }
        } else if (b == KAC_BACKEND_DPDK || why == KAC_WHY_SMALL) {
            size_t limit = b == KAC_BACKEND_DPDK ? kac_dpdk_max_op(hs->alg->id)
                                                 : kac_route_min_offload(&hs->prov->router, hs->alg->id);

            if (!buf_append(hs, in, inl, limit)) {
                KAC_ERR0(KAC_R_MALLOC_FAILURE);
                return 0;
            }
            hs->total += inl;
            if (b == KAC_BACKEND_DPDK)
                hs->state = KAC_HS_DPDK;
            return 1;
        }
        hs->total += inl;
        return kac_hs_to_software(hs, why, in, inl);
    case KAC_HS_KERNEL:
        hs->total += inl;
        if (!kac_afalg_hash_sess_owned(&hs->sess))
            return kernel_failed(hs, -EBADFD, "update");
        if ((r = kac_afalg_hash_send(hs->sess.fd, in, inl, 1)) < 0)
            return kernel_failed(hs, r, "update");
        return 1;
    default: /* KAC_HS_SW */
        hs->total += inl;
        return hs->ops->sw_update(hs, in, inl);
    }
}

int kac_hs_final(struct kac_hstream *hs, unsigned char *out, size_t *outl, size_t outsz,
                 const unsigned char *key, size_t keylen)
{
    enum kac_why why;
    size_t n = 0;
    int b, r;

    switch (hs->state) {
    case KAC_HS_BUF:
    case KAC_HS_DPDK:
        /*
         * The whole message is in the buffer: routed again as a whole (a forked
         * child, which cannot use its parent's DPDK, takes the next route).
         */
        b = route(hs, hs->buflen, key, keylen, &why);
        if (b != KAC_ROUTE_SOFTWARE && outsz < hs->alg->outlen) {
            ERR_raise(ERR_LIB_PROV, PROV_R_OUTPUT_BUFFER_TOO_SMALL);
            return 0;
        }
        if ((b == KAC_BACKEND_AFALG && to_kernel(hs, NULL, 0, 0, out, key, keylen, &why))
            || (b == KAC_BACKEND_DPDK && dpdk_final(hs, out, &why))) {
            buf_clear(hs);
            kac_stats_offload_to(hs->alg->id, b, hs->total);
            n = hs->alg->outlen;
            break;
        }
        if (!kac_hs_to_software(hs, why, NULL, 0))
            return 0;
        /* fall through */
    case KAC_HS_SW:
        if (!hs->ops->sw_final(hs, out, &n, outsz)) {
            hs->state = KAC_HS_FAILED;
            return 0;
        }
        if (hs->alg != NULL)
            kac_stats_software(hs->alg->id, hs->why, hs->total);
        break;
    default: /* KAC_HS_KERNEL */
        if (outsz < hs->alg->outlen) {
            ERR_raise(ERR_LIB_PROV, PROV_R_OUTPUT_BUFFER_TOO_SMALL);
            return 0;
        }
        if (!kac_afalg_hash_sess_owned(&hs->sess))
            return kernel_failed(hs, -EBADFD, "finalise");
        /*
         * An empty message has sent nothing yet: end it explicitly, or a reused
         * socket would return the previous message's result.
         */
        if ((hs->total == 0 && (r = kac_afalg_hash_send(hs->sess.fd, NULL, 0, 0)) < 0)
            || (r = kac_afalg_hash_read(hs->sess.fd, out, hs->alg->outlen)) < 0) {
            OPENSSL_cleanse(out, hs->alg->outlen);
            return kernel_failed(hs, r, "finalise");
        }
        kac_stats_offload_to(hs->alg->id, KAC_BACKEND_AFALG, hs->total);
        n = hs->alg->outlen;
        break;
    }
    hs->state = KAC_HS_DONE; /* the socket / session, if any, stays for the next message */
    *outl = n;
    return 1;
}
