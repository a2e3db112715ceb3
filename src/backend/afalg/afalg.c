#include "afalg.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/if_alg.h>

#include "fault.h"

#ifndef SOL_ALG
#define SOL_ALG 279
#endif

int kac_afalg_available(void)
{
    int fd = kac_sys_socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

static int fill_sa(struct sockaddr_alg *sa, const char *type, const char *name)
{
    if (strlen(type) >= sizeof(sa->salg_type) || strlen(name) >= sizeof(sa->salg_name))
        return -ENAMETOOLONG;
    memset(sa, 0, sizeof(*sa));
    sa->salg_family = AF_ALG;
    memcpy(sa->salg_type, type, strlen(type));
    memcpy(sa->salg_name, name, strlen(name));
    return 0;
}

int kac_afalg_bind_check(const char *type, const char *name)
{
    struct sockaddr_alg sa;
    int fd, r = fill_sa(&sa, type, name);

    if (r < 0)
        return r;
    fd = kac_sys_socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    r = kac_sys_bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
    close(fd);
    return r;
}

int kac_afalg_open(const char *type, const char *name, const unsigned char *key,
                   size_t keylen, unsigned authsize)
{
    struct sockaddr_alg sa;
    int tfm, op, err = fill_sa(&sa, type, name);

    if (err < 0)
        return err;
    tfm = kac_sys_socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (tfm < 0)
        return -errno;
    if (kac_sys_bind(tfm, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        goto fail;
    if (keylen > 0 && kac_sys_setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, (socklen_t)keylen) < 0)
        goto fail;
    if (authsize > 0 && kac_sys_setsockopt(tfm, SOL_ALG, ALG_SET_AEAD_AUTHSIZE, NULL, authsize) < 0)
        goto fail;
    op = kac_sys_accept4(tfm, NULL, NULL, SOCK_CLOEXEC);
    if (op < 0)
        goto fail;
    close(tfm);
    return op;
fail:
    err = errno;
    close(tfm);
    return -err;
}

int kac_afalg_cipher(int opfd, int enc, const unsigned char *iv, size_t ivlen,
                     const unsigned char *in, size_t len, unsigned char *out)
{
    char cbuf[CMSG_SPACE(sizeof(__u32)) + CMSG_SPACE(sizeof(struct af_alg_iv) + 32)];
    struct msghdr msg;
    struct cmsghdr *c;
    struct iovec iov;
    size_t done = 0;
    ssize_t n;

    if (len > KAC_AFALG_MAX_CHUNK || ivlen > 32)
        return -EMSGSIZE;
    memset(cbuf, 0, sizeof(cbuf));
    memset(&msg, 0, sizeof(msg));
    msg.msg_control = cbuf;
    msg.msg_controllen = CMSG_SPACE(sizeof(__u32))
                         + (ivlen > 0 ? CMSG_SPACE(sizeof(struct af_alg_iv) + ivlen) : 0);
    c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_ALG;
    c->cmsg_type = ALG_SET_OP;
    c->cmsg_len = CMSG_LEN(sizeof(__u32));
    *(__u32 *)CMSG_DATA(c) = enc ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;
    if (ivlen > 0) {
        struct af_alg_iv *aiv;

        c = CMSG_NXTHDR(&msg, c);
        c->cmsg_level = SOL_ALG;
        c->cmsg_type = ALG_SET_IV;
        c->cmsg_len = CMSG_LEN(sizeof(*aiv) + ivlen);
        aiv = (struct af_alg_iv *)CMSG_DATA(c);
        aiv->ivlen = (__u32)ivlen;
        memcpy(aiv->iv, iv, ivlen);
    }
    iov.iov_base = (void *)in;
    iov.iov_len = len;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    do {
        n = kac_sys_sendmsg(opfd, &msg, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if ((size_t)n != len)
        return -EIO;
    while (done < len) {
        n = kac_sys_read(opfd, out + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;
        done += (size_t)n;
    }
    return 0;
}
