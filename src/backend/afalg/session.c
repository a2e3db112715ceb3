#include "session.h"

#include <errno.h>
#include <unistd.h>

#include "afalg.h"
#include "core/fork.h"
#include "core/log.h"

void kac_afalg_sess_init(struct kac_afalg_sess *s)
{
    s->fd = -1;
    s->gen = 0;
    s->backoff = 0;
    s->skip = 0;
    s->open_failed = 0;
}

void kac_afalg_sess_close(struct kac_afalg_sess *s)
{
    if (s->fd >= 0)
        close(s->fd); /* after fork this closes only the child's copy */
    s->fd = -1;
}

int kac_afalg_sess_fd(struct kac_afalg_sess *s, const char *type, const char *driver,
                      const unsigned char *key, size_t keylen, unsigned authsize, int *err)
{
    unsigned gen = kac_fork_gen();
    int fd;

    if (s->fd >= 0 && s->gen != gen) {
        KAC_DBG("afalg: fork detected, reopening %s", driver);
        kac_afalg_sess_close(s);
        s->backoff = s->skip = 0;
    }
    if (s->fd >= 0) {
        s->open_failed = 0;
        return s->fd;
    }
    if (s->skip > 0) {
        s->skip--;
        s->open_failed = 1;
        *err = EAGAIN;
        return -1;
    }
    fd = kac_afalg_open(type, driver, key, keylen, authsize);
    if (fd < 0) {
        *err = -fd;
        s->open_failed = 1;
        s->backoff = s->backoff == 0 ? 1 : s->backoff * 2;
        if (s->backoff > KAC_SESS_MAX_BACKOFF)
            s->backoff = KAC_SESS_MAX_BACKOFF;
        s->skip = s->backoff;
        KAC_DBG("afalg: opening %s failed (errno %d); skipping the next %u attempts", driver,
                *err, s->skip);
        return -1;
    }
    s->fd = fd;
    s->gen = gen;
    s->backoff = s->skip = 0;
    s->open_failed = 0;
    return fd;
}
