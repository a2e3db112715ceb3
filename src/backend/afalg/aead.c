#include "aead.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/if_alg.h>

#include "fault.h"

#ifndef SOL_ALG
#define SOL_ALG 279
#endif

#define KAC_AEAD_MAX_IV 16

/* Size limits shared by both paths; 0 or -errno. */
static int check_sizes(int enc, size_t ivlen, size_t aadlen, size_t len, size_t taglen)
{
    if (ivlen > KAC_AEAD_MAX_IV || taglen == 0 || aadlen > KAC_AFALG_AEAD_MAX
        || len > KAC_AFALG_AEAD_MAX || aadlen + len + taglen > KAC_AFALG_AEAD_MAX)
        return -EMSGSIZE;
    if (!enc && aadlen + len == 0)
        return -EINVAL; /* a zero-byte read would not run the operation */
    return 0;
}

/*
 * The message's layout: sent AAD || data (|| tag to decrypt), read back
 * AAD copy (into aadout, discarded) || data (|| tag after encrypt).
 */
static void layout(int enc, const unsigned char *aad, size_t aadlen, const unsigned char *in,
                   size_t len, unsigned char *tag, size_t taglen, unsigned char *out,
                   unsigned char *aadout, struct iovec siov[3], size_t *sn,
                   struct iovec riov[3], size_t *rn)
{
    *sn = *rn = 0;
    if (aadlen > 0) {
        siov[(*sn)++] = (struct iovec){ (void *)aad, aadlen };
        riov[(*rn)++] = (struct iovec){ aadout, aadlen };
    }
    if (len > 0) {
        siov[(*sn)++] = (struct iovec){ (void *)in, len };
        riov[(*rn)++] = (struct iovec){ out, len };
    }
    if (enc)
        riov[(*rn)++] = (struct iovec){ tag, taglen };
    else
        siov[(*sn)++] = (struct iovec){ tag, taglen };
}

int kac_afalg_aead(int opfd, int enc, const unsigned char *iv, size_t ivlen,
                   const unsigned char *aad, size_t aadlen, const unsigned char *in, size_t len,
                   unsigned char *tag, size_t taglen, unsigned char *out)
{
    char cbuf[2 * CMSG_SPACE(sizeof(__u32))
              + CMSG_SPACE(sizeof(struct af_alg_iv) + KAC_AEAD_MAX_IV)];
    unsigned char aadstack[512], *aadout = aadstack;
    struct iovec siov[3], riov[3];
    size_t sn, rn, want;
    struct af_alg_iv *aiv;
    struct msghdr msg;
    struct cmsghdr *c;
    ssize_t n;
    int r = 0;

    if ((r = check_sizes(enc, ivlen, aadlen, len, taglen)) < 0)
        return r;
    if (aadlen > sizeof(aadstack) && (aadout = malloc(aadlen)) == NULL)
        return -ENOMEM;
    layout(enc, aad, aadlen, in, len, tag, taglen, out, aadout, siov, &sn, riov, &rn);

    memset(cbuf, 0, sizeof(cbuf));
    memset(&msg, 0, sizeof(msg));
    msg.msg_control = cbuf;
    msg.msg_controllen = sizeof(cbuf);
    c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_ALG;
    c->cmsg_type = ALG_SET_OP;
    c->cmsg_len = CMSG_LEN(sizeof(__u32));
    *(__u32 *)CMSG_DATA(c) = enc ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;
    c = CMSG_NXTHDR(&msg, c);
    c->cmsg_level = SOL_ALG;
    c->cmsg_type = ALG_SET_AEAD_ASSOCLEN;
    c->cmsg_len = CMSG_LEN(sizeof(__u32));
    *(__u32 *)CMSG_DATA(c) = (__u32)aadlen;
    c = CMSG_NXTHDR(&msg, c);
    c->cmsg_level = SOL_ALG;
    c->cmsg_type = ALG_SET_IV;
    c->cmsg_len = CMSG_LEN(sizeof(*aiv) + KAC_AEAD_MAX_IV);
    aiv = (struct af_alg_iv *)CMSG_DATA(c);
    aiv->ivlen = (__u32)ivlen;
    memcpy(aiv->iv, iv, ivlen);

    msg.msg_iov = sn > 0 ? siov : NULL;
    msg.msg_iovlen = sn;
    do {
        n = kac_sys_sendmsg(opfd, &msg, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        r = -errno;
        goto out;
    }
    if ((size_t)n != aadlen + len + (enc ? 0 : taglen)) {
        r = -EIO;
        goto out;
    }

    /* Read exactly the output: the AAD copy (discarded), the data, the tag. */
    want = aadlen + len + (enc ? taglen : 0);
    do {
        n = kac_sys_readv(opfd, riov, (int)rn);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        r = -errno;
    else if ((size_t)n != want)
        r = -EIO;
out:
    if (aadout != aadstack)
        free(aadout);
    return r;
}

int kac_afalg_aead_queued(struct kac_uq *q, struct kac_ureq *r, int opfd, int enc,
                          const unsigned char *iv, size_t ivlen, const unsigned char *aad,
                          size_t aadlen, const unsigned char *in, size_t len, unsigned char *tag,
                          size_t taglen, unsigned char *out)
{
    unsigned char aadstack[512], *aadout = aadstack;
    struct iovec siov[3] = { { 0 } }, riov[3] = { { 0 } };
    size_t sn, rn;
    int res;

    if ((res = check_sizes(enc, ivlen, aadlen, len, taglen)) < 0)
        return res;
    if (aadlen > sizeof(aadstack) && (aadout = malloc(aadlen)) == NULL)
        return -ENOMEM;
    layout(enc, aad, aadlen, in, len, tag, taglen, out, aadout, siov, &sn, riov, &rn);
    res = kac_uq_queue(q, r, opfd, enc, iv, ivlen, (long)aadlen, siov, (int)sn, riov, (int)rn);
    if (res == 0) {
        res = kac_uq_wait(r); /* aadout lives on this stack until completion */
        res = res < 0 ? res : 0;
    }
    if (aadout != aadstack)
        free(aadout);
    return res;
}
