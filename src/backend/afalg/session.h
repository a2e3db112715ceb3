/*
 * A context's AF_ALG operation socket: opened lazily on first offload, keyed
 * once, dropped after fork (a child never uses its parent's socket) and after
 * an operation error.  Opening failures back off: the next attempts are
 * skipped, doubling up to KAC_SESS_MAX_BACKOFF, so a context never spins on
 * an exhausted driver or descriptor table.
 */
#ifndef KAC_AFALG_SESSION_H
#define KAC_AFALG_SESSION_H

#include <stddef.h>

#define KAC_SESS_MAX_BACKOFF 1024

struct kac_afalg_sess {
    int fd;
    unsigned gen;        /* fork generation the fd belongs to */
    unsigned backoff;    /* attempts to skip after the last failure */
    unsigned skip;
    int open_failed;     /* last attempt to open failed */
};

void kac_afalg_sess_init(struct kac_afalg_sess *s);

/*
 * The operation socket, opened if needed.  Returns the fd, or -1 with *err set
 * to an errno value (EAGAIN while backing off).
 */
int kac_afalg_sess_fd(struct kac_afalg_sess *s, const char *type, const char *driver,
                      const unsigned char *key, size_t keylen, unsigned authsize, int *err);

/* Closes the socket (after an error, a re-key or at free). */
void kac_afalg_sess_close(struct kac_afalg_sess *s);

#endif
