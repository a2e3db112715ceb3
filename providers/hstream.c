/*
 * The kernel hash stream shared by the digests and the MACs (see hstream.h).
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
}

static void buf_clear(struct kac_hstream *hs)
{
    OPENSSL_cleanse(hs->buf, hs->buflen);
    hs->buflen = 0;
}

void kac_hs_free(struct kac_hstream *hs)
{
    kac_afalg_sess_close(&hs->sess);
    OPENSSL_clear_free(hs->buf, hs->bufcap);
    hs->buf = NULL;
}

void kac_hs_dup_reset(struct kac_hstream *dst)
{
    dst->buf = NULL;
    kac_afalg_sess_init(&dst->sess);
}

int kac_hs_dup(struct kac_hstream *dst, const struct kac_hstream *src)
{
    if (src->bufcap > 0) {
        if ((dst->buf = OPENSSL_malloc(src->bufcap)) == NULL)
            return 0;
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

static int buf_append(struct kac_hstream *hs, const unsigned char *in, size_t inl)
{
    size_t need = hs->buflen + inl;

    if (inl == 0)
        return 1;
    if (need > hs->bufcap) {
        size_t limit = hs->prov->router.min_offload[hs->alg->id];
        size_t cap = hs->bufcap < 256 ? 256 : hs->bufcap * 2;
        unsigned char *nb;

        if (cap > limit)
            cap = limit; /* need < limit: the message is below the threshold */
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

int kac_hs_update(struct kac_hstream *hs, const unsigned char *in, size_t inl,
                  const unsigned char *key, size_t keylen)
{
    enum kac_why why;
    int r;

    switch (hs->state) {
    case KAC_HS_BUF:
        if (kac_route(&hs->prov->router, hs->alg->id, hs->buflen + inl, &why)) {
            if (to_kernel(hs, in, inl, 1, NULL, key, keylen, &why)) {
                hs->total += inl;
                hs->state = KAC_HS_KERNEL;
                return 1;
            }
        } else if (why == KAC_WHY_SMALL) {
            if (!buf_append(hs, in, inl)) {
                KAC_ERR0(KAC_R_MALLOC_FAILURE);
                return 0;
            }
            hs->total += inl;
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
    int r;

    switch (hs->state) {
    case KAC_HS_BUF:
        if (kac_route(&hs->prov->router, hs->alg->id, hs->buflen, &why)) {
            if (outsz < hs->alg->outlen) {
                ERR_raise(ERR_LIB_PROV, PROV_R_OUTPUT_BUFFER_TOO_SMALL);
                return 0;
            }
            if (to_kernel(hs, NULL, 0, 0, out, key, keylen, &why)) {
                kac_stats_offload(hs->alg->id, hs->total);
                n = hs->alg->outlen;
                break;
            }
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
        kac_stats_offload(hs->alg->id, hs->total);
        n = hs->alg->outlen;
        break;
    }
    hs->state = KAC_HS_DONE; /* the socket, if any, stays open for the next message */
    *outl = n;
    return 1;
}
