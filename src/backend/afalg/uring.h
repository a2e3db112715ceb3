/*
 * The per-thread AF_ALG request queue: one io_uring per thread, created on
 * first use, destroyed at thread exit, abandoned and rebuilt after fork.
 *
 * A request is a linked SENDMSG (operation, IV and AEAD associated-data length
 * as control messages) -> READ pair on a context's operation socket.  Requests
 * are queued in the submission ring and handed to the kernel in batches:
 *  - at once when little is in flight and no completion waits for its job (a
 *    lone request never waits for company - no timer);
 *  - otherwise when the backlog reaches the batch size, or by the job that
 *    arms the next wake-up (below), with it in one system call.
 * ASYNC jobs wait on a duplicate of the queue's eventfd registered in their
 * wait context.  Nobody is woken per completion: before the eventfd's waiters
 * sleep, a wake-up is armed in the ring - a timeout that completes once half
 * of the requests in flight have completed (or after 20 ms), linked to a write
 * of the eventfd - so that each wake finds a batch to reap.  The eventfd stays
 * readable until every completion reaped has been claimed by its job; while
 * completions wait for their jobs, requests queued by jobs that ran are held
 * and submitted together (at a full batch, or when the device runs low and no
 * completion is left to claim).  On a kernel that refuses the wake-up (before
 * Linux 5.16) the eventfd is signalled on every completion instead.
 */
#ifndef KAC_URING_H
#define KAC_URING_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/uio.h>

struct kac_uq;

enum kac_ureq_state {
    KAC_UREQ_IDLE,      /* not queued */
    KAC_UREQ_QUEUED,    /* in the submission ring, not yet submitted */
    KAC_UREQ_INFLIGHT,  /* submitted */
    KAC_UREQ_DONE,      /* completed: res holds the result */
};

#define KAC_UREQ_MAX_IOV 3

/* One request; owned by a context, at most one in flight per context. */
struct kac_ureq {
    struct kac_uq *q;
    int fd;
    enum kac_ureq_state state;
    int res;              /* bytes read, or -errno */
    size_t outlen;        /* bytes the READV must return */
    struct msghdr msg;
    struct iovec siov[KAC_UREQ_MAX_IOV], riov[KAC_UREQ_MAX_IOV];
    unsigned char cbuf[128];
};

/*
 * This thread's queue, created on first use; NULL when io_uring is unusable
 * (callers then run synchronously).  depth bounds the requests in flight.
 */
struct kac_uq *kac_uq_get(unsigned depth);

/*
 * Prepares and queues an operation: send the sn buffers of siov with the op,
 * IV (ivlen may be 0) and, for AEAD (assoclen >= 0), the associated-data
 * length, then read exactly the total of the rn buffers of riov (at most
 * KAC_UREQ_MAX_IOV each).  The buffers must stay valid until kac_uq_wait()
 * returns.  Returns 0, KAC_UQ_FULL when the queue is full (the caller falls
 * back to software: no error), or -errno.
 */
#define KAC_UQ_FULL 1
int kac_uq_queue(struct kac_uq *q, struct kac_ureq *r, int fd, int enc,
                 const unsigned char *iv, size_t ivlen, long assoclen,
                 const struct iovec *siov, int sn, const struct iovec *riov, int rn);

/*
 * Waits for r: inside an OpenSSL ASYNC job the job pauses and resumes on
 * completion; otherwise the thread waits.  Returns r->res (bytes read or
 * -errno) and leaves r idle.
 */
int kac_uq_wait(struct kac_ureq *r);

/* Waits for a request a context still has in flight (before freeing it). */
void kac_uq_quiesce(struct kac_ureq *r);

/* Counters of this thread's queue, for tests and benchmarks. */
struct kac_uq_stats {
    unsigned long long requests, submits, reaps, pauses, batch_max;
};
void kac_uq_stats(struct kac_uq_stats *out);

#endif
