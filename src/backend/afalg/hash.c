#include "hash.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "afalg.h"
#include "fault.h"
#include "core/fork.h"

int kac_afalg_hash_open(const char *name, const unsigned char *key, size_t keylen)
{
    if (keylen > KAC_AFALG_HASH_MAX_KEY)
        return -EMSGSIZE;
    return kac_afalg_open("hash", name, key, keylen, 0);
}

int kac_afalg_hash_send(int opfd, const unsigned char *data, size_t len, int more)
{
    size_t done = 0;

    /* A zero-length final send still finalises the hash; zero-length MSG_MORE is a no-op. */
    if (len == 0 && more)
        return 0;
    do {
        size_t n = len - done > KAC_AFALG_MAX_CHUNK ? KAC_AFALG_MAX_CHUNK : len - done;
        int flags = MSG_NOSIGNAL | (more || done + n < len ? MSG_MORE : 0);
        /* (no arithmetic on a NULL data: an empty final send may pass one) */
        ssize_t r = kac_sys_send(opfd, n > 0 ? data + done : data, n, flags);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0 && n > 0)
            return -EIO;
        done += (size_t)r;
    } while (done < len);
    return 0;
}

int kac_afalg_hash_read(int opfd, unsigned char *md, size_t mdlen)
{
    size_t done = 0;

    while (done < mdlen) {
        ssize_t r = kac_sys_read(opfd, md + done, mdlen - done);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return -EIO;
        done += (size_t)r;
    }
    return 0;
}

int kac_afalg_hash_clone(int opfd)
{
    int fd = kac_sys_accept4(opfd, NULL, NULL, SOCK_CLOEXEC);

    return fd < 0 ? -errno : fd;
}

int kac_afalg_hash_sess_owned(const struct kac_afalg_sess *s)
{
    return s->fd >= 0 && s->gen == kac_fork_gen();
}

int kac_afalg_hash_sess_clone(struct kac_afalg_sess *dst, const struct kac_afalg_sess *src)
{
    int fd;

    kac_afalg_sess_init(dst);
    if (!kac_afalg_hash_sess_owned(src))
        return src->fd >= 0 ? -EBADFD : -EBADF;
    fd = kac_afalg_hash_clone(src->fd);
    if (fd < 0)
        return fd;
    dst->fd = fd;
    dst->gen = src->gen;
    return 0;
}
