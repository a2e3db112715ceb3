#include "uring.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <linux/if_alg.h>

#include <liburing.h>
#include <openssl/async.h>

#include "../dpdk/dpdk.h"
#include "core/fork.h"
#include "fault.h"
#include "core/log.h"

#ifndef SOL_ALG
#define SOL_ALG 279
#endif

/* Unsubmitted requests that trigger a submit even while others are in flight. */
#define KAC_UQ_BATCH 16
/* At most this many in flight: submit what is queued so the device never runs dry. */
#define KAC_UQ_LOW 4
/* Ring size floor, so that later, larger kaccel-queue-depth settings fit. */
#define KAC_UQ_MIN_CAPACITY 64
/* Marks the SENDMSG half of a request in user_data. */
#define KAC_UQ_SEND_TAG ((uintptr_t)1)
/* user_data of the wake-up's two halves (never a request's address). */
#define KAC_UQ_WAKE_TIMEOUT ((uintptr_t)2)
#define KAC_UQ_WAKE_WRITE ((uintptr_t)6)
/* A wake-up comes at the latest this long after it was armed (ns). */
#define KAC_UQ_WAKE_NS 20000000

struct kac_uq {
    struct io_uring ring;
    int efd;                  /* registered eventfd: signalled on completions */
    unsigned gen;             /* fork generation */
    unsigned depth;           /* requests queued + in flight, at most (configured) */
    unsigned capacity;        /* what the ring and pending[] were sized for */
    unsigned queued;          /* in the submission ring */
    unsigned inflight;        /* submitted, not reaped */
    unsigned unclaimed;       /* reaped, not yet seen by their owner */
    int efd_set;              /* the eventfd may be non-zero (atomic: the notifier writes it) */
    enum { WAKE_BATCH, WAKE_EACH, WAKE_NONE } wake; /* what makes the eventfd readable */
    unsigned wake_armed;      /* wake-ups submitted that have not fired */
    uint64_t wake_one;        /* what the wake-up writes to the eventfd */
    struct __kernel_timespec wake_ts; /* its time bound */
    struct kac_ureq **pending; /* queued requests (to fail them if submit fails) */

    /*
     * Callback mode (ASYNC_WAIT_CTX_set_callback): a notifier thread, started
     * on first use, waits on the eventfd and calls the paused jobs' callbacks.
     */
    pthread_mutex_t cb_lock;
    pthread_cond_t cb_cond;
    struct kac_cbw { ASYNC_callback_fn fn; void *arg; ASYNC_WAIT_CTX *w; } *cbw;
    unsigned ncbw, cbwcap;
    unsigned fd_waiters;      /* jobs paused in wait-fd mode */
    pthread_t notifier;
    int notifier_up, stop, stop_efd;
};

static __thread struct kac_uq *tls_q;
static __thread int tls_unusable;
static pthread_key_t uq_key;
static pthread_once_t uq_once = PTHREAD_ONCE_INIT;
/* Key of kaccel's wait fds in ASYNC wait contexts. */
static const char kac_wait_key;

static void notifier_stop(struct kac_uq *q, int join);

/* ---- liburing through the fault switch (fault.h): -errno when one is injected ---- */

#define KAC_URING_FAULT(site)             \
    do {                                  \
        int e_ = kac_fault(site);         \
        if (e_ != 0)                      \
            return -e_;                   \
    } while (0)

static int ring_init(unsigned entries, struct io_uring *ring)
{
    KAC_URING_FAULT(KAC_FAULT_URING_SETUP);
    return io_uring_queue_init(entries, ring, 0);
}

static int ring_register_eventfd(struct io_uring *ring, int fd)
{
    KAC_URING_FAULT(KAC_FAULT_URING_SETUP);
    return io_uring_register_eventfd(ring, fd);
}

static int ring_submit(struct io_uring *ring)
{
    KAC_URING_FAULT(KAC_FAULT_URING_SUBMIT);
    return io_uring_submit(ring);
}

static int ring_submit_and_wait(struct io_uring *ring, unsigned n)
{
    KAC_URING_FAULT(KAC_FAULT_URING_SUBMIT);
    return io_uring_submit_and_wait(ring, n);
}

static int ring_wait(struct io_uring *ring, struct io_uring_cqe **cqe)
{
    KAC_URING_FAULT(KAC_FAULT_URING_WAIT);
    return io_uring_wait_cqe(ring, cqe);
}

static int ring_wait_timeout(struct io_uring *ring, struct io_uring_cqe **cqe,
                             struct __kernel_timespec *ts)
{
    KAC_URING_FAULT(KAC_FAULT_URING_WAIT);
    return io_uring_wait_cqe_timeout(ring, cqe, ts);
}

/*
 * After a failed submission the kernel took none of the entries (io_uring_enter
 * fails only when it submitted nothing): take them back out of the submission
 * ring.  Left there, the next submission would hand the kernel requests whose
 * owners have gone to software and whose buffers may be reused, and their
 * completions would land on requests already finished.
 */
static void ring_drop_unsubmitted(struct io_uring *ring)
{
    struct io_uring_sq *sq = &ring->sq;
    unsigned head = io_uring_smp_load_acquire(sq->khead);

    sq->sqe_head = sq->sqe_tail = head;
    io_uring_smp_store_release(sq->ktail, head);
}

static struct {
    unsigned long long requests, submits, reaps, pauses, batch_max;
} stats;

#define STAT_ADD(f, v) __atomic_fetch_add(&stats.f, (v), __ATOMIC_RELAXED)

void kac_uq_stats(struct kac_uq_stats *out)
{
    out->requests = __atomic_load_n(&stats.requests, __ATOMIC_RELAXED);
    out->submits = __atomic_load_n(&stats.submits, __ATOMIC_RELAXED);
    out->reaps = __atomic_load_n(&stats.reaps, __ATOMIC_RELAXED);
    out->pauses = __atomic_load_n(&stats.pauses, __ATOMIC_RELAXED);
    out->batch_max = __atomic_load_n(&stats.batch_max, __ATOMIC_RELAXED);
}

static void complete(struct kac_uq *q, struct kac_ureq *r, int res)
{
    r->res = res;
    r->state = KAC_UREQ_DONE;
    q->unclaimed++;
}

/*
 * The kernel refused the wake-up (IORING_TIMEOUT_ETIME_SUCCESS needs Linux
 * 5.16): from now on it signals the eventfd on every completion, as it would
 * have from the start; the eventfd is set so that no paused job misses the
 * completions the refused wake-up was to report.
 */
static void wake_failed(struct kac_uq *q, int res)
{
    if (q->wake != WAKE_BATCH)
        return;
    KAC_DBG("io_uring: batched wake-ups refused (%d): an eventfd signal per completion", res);
    q->wake = WAKE_EACH;
    if (ring_register_eventfd(&q->ring, q->efd) < 0) {
        KAC_DBG("io_uring: eventfd registration failed too: jobs wait without pausing");
        q->wake = WAKE_NONE;
    }
    __atomic_store_n(&q->efd_set, 1, __ATOMIC_RELAXED);
    if (kac_sys_eventfd_write(q->efd, 1) < 0)
        KAC_DBG("eventfd write failed: %s", strerror(errno));
}

/* Processes every available completion; waits for one first when wait is set. */
static int reap(struct kac_uq *q, int wait)
{
    struct io_uring_cqe *cqe;
    int n = 0;

    if (wait && q->inflight > 0) {
        int r = ring_wait(&q->ring, &cqe);

        if (r < 0 && r != -EINTR)
            return r;
    }
    while (io_uring_peek_cqe(&q->ring, &cqe) == 0) {
        uintptr_t ud = (uintptr_t)io_uring_cqe_get_data(cqe);
        struct kac_ureq *r = (struct kac_ureq *)(ud & ~KAC_UQ_SEND_TAG);
        int res = cqe->res, e;

        io_uring_cqe_seen(&q->ring, cqe);
        if (ud == KAC_UQ_WAKE_TIMEOUT) {
            /* 0: its count was reached; -ETIME: its time; anything else: no wake-up */
            if (res != 0 && res != -ETIME)
                wake_failed(q, res);
            continue;
        }
        if (ud == KAC_UQ_WAKE_WRITE) {
            if (q->wake_armed > 0)
                q->wake_armed--;
            if (res >= 0)
                __atomic_store_n(&q->efd_set, 1, __ATOMIC_RELAXED);
            continue;
        }
        if (r == NULL)
            continue;
        if (ud & KAC_UQ_SEND_TAG) {
            /* Only a failed SENDMSG posts (CQE_SKIP_SUCCESS); its READ is cancelled. */
            r->res = res < 0 ? res : -EIO;
            continue;
        }
        n++;
        q->inflight--;
        if ((e = kac_fault(KAC_FAULT_URING_CQE)) != 0)
            res = -e; /* the kernel's work is done; its result says it failed */
        if (r->res < 0)
            complete(q, r, r->res);
        else if (res >= 0 && (size_t)res != r->outlen)
            complete(q, r, -EIO);
        else
            complete(q, r, res);
    }
    if (n > 0)
        STAT_ADD(reaps, 1);
    return n;
}

/*
 * Submits what the submission ring holds (queued requests, a wake-up); on
 * failure all of it is dropped and the requests fail.  Returns the submission's
 * result (0: nothing to submit).
 */
static int flush(struct kac_uq *q)
{
    unsigned n = q->queued, i;
    int r;

    if (io_uring_sq_ready(&q->ring) == 0)
        return 0;
    r = ring_submit(&q->ring);
    if (r < 0 && (r == -EAGAIN || r == -EBUSY)) {
        reap(q, 0); /* make room in the completion ring, then once more */
        r = ring_submit(&q->ring);
    }
    STAT_ADD(submits, 1);
    if (r < 0) {
        /* The queued requests never reached the kernel: they fail (-> software). */
        KAC_DBG("io_uring submit failed: %d", r);
        ring_drop_unsubmitted(&q->ring);
        for (i = 0; i < n; i++)
            complete(q, q->pending[i], r);
        q->queued = 0;
        return r;
    }
    if (n > stats.batch_max)
        __atomic_store_n(&stats.batch_max, n, __ATOMIC_RELAXED);
    q->inflight += n;
    q->queued = 0;
    return r;
}

static void uq_free(struct kac_uq *q, int drain)
{
    int tries;

    if (q == NULL)
        return;
    if (drain) {
        flush(q);
        for (tries = 0; q->inflight > 0 && tries < 50; tries++) {
            struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 100000000 };
            struct io_uring_cqe *cqe;

            if (ring_wait_timeout(&q->ring, &cqe, &ts) == 0)
                reap(q, 0);
        }
    }
    /* After fork the notifier thread does not exist in the child: no join. */
    notifier_stop(q, drain);
    io_uring_queue_exit(&q->ring);
    close(q->efd);
    free(q->cbw);
    free(q->pending);
    free(q);
}

/* Thread exit: requests still in flight complete before the ring goes. */
static void uq_destroy(void *p)
{
    uq_free(p, 1);
    tls_q = NULL;
}

static void uq_key_init(void)
{
    pthread_key_create(&uq_key, uq_destroy);
}

struct kac_uq *kac_uq_get(unsigned depth)
{
    struct kac_uq *q = tls_q;
    unsigned gen = kac_fork_gen();
    int err = ENOMEM;

    if (q != NULL && q->gen != gen) {
        /* A child after fork: the parent's ring and requests are not ours. */
        KAC_DBG("io_uring: fork detected, rebuilding this thread's queue");
        uq_free(q, 0);
        q = tls_q = NULL;
        pthread_setspecific(uq_key, NULL);
    }
    if (q != NULL) {
        /* The queue is per thread; the limit is the configuration in force. */
        q->depth = depth < q->capacity ? depth : q->capacity;
        return q;
    }
    if (tls_unusable)
        return NULL;
    pthread_once(&uq_once, uq_key_init);
    q = calloc(1, sizeof(*q));
    if (q == NULL)
        goto fail;
    q->capacity = depth > KAC_UQ_MIN_CAPACITY ? depth : KAC_UQ_MIN_CAPACITY;
    if ((q->pending = calloc(q->capacity, sizeof(*q->pending))) == NULL)
        goto fail;
    q->depth = depth;
    q->gen = gen;
    q->stop_efd = -1;
    pthread_mutex_init(&q->cb_lock, NULL);
    pthread_cond_init(&q->cb_cond, NULL);
    q->efd = kac_sys_eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (q->efd < 0) {
        err = errno;
        goto fail;
    }
    if ((err = -ring_init(2 * q->capacity, &q->ring)) > 0) {
        close(q->efd);
        goto fail;
    }
    q->wake = WAKE_BATCH;
    q->wake_one = 1;
    q->wake_ts.tv_nsec = KAC_UQ_WAKE_NS;
    tls_q = q;
    pthread_setspecific(uq_key, q);
    KAC_DBG("io_uring: queue of depth %u for this thread", depth);
    return q;
fail:
    KAC_DBG("io_uring unusable (%s): synchronous AF_ALG", strerror(err));
    if (q != NULL)
        free(q->pending);
    free(q);
    tls_unusable = 1;
    return NULL;
}

static void put_cmsg(struct msghdr *m, struct cmsghdr **c, int type, const void *data, size_t len)
{
    *c = *c == NULL ? CMSG_FIRSTHDR(m) : CMSG_NXTHDR(m, *c);
    (*c)->cmsg_level = SOL_ALG;
    (*c)->cmsg_type = type;
    (*c)->cmsg_len = CMSG_LEN(len);
    memcpy(CMSG_DATA(*c), data, len);
}

int kac_uq_queue(struct kac_uq *q, struct kac_ureq *r, int fd, int enc,
                 const unsigned char *iv, size_t ivlen, long assoclen,
                 const struct iovec *siov, int sn, const struct iovec *riov, int rn)
{
    size_t outlen = 0;
    int i;
    struct io_uring_sqe *s1, *s2;
    struct cmsghdr *c = NULL;
    size_t clen = CMSG_SPACE(sizeof(__u32));
    __u32 op = enc ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;
    unsigned async = ASYNC_get_current_job() != NULL ? IOSQE_ASYNC : 0;

    int fault;

    if (q->queued + q->inflight + q->unclaimed >= q->depth)
        return KAC_UQ_FULL;
    /* The fault switch covers the queued system calls too (test builds' KACCEL_FAULT). */
    if ((fault = kac_fault(KAC_FAULT_SENDMSG)) != 0 || (fault = kac_fault(KAC_FAULT_READ)) != 0)
        return -fault;
    if (ivlen > 32 || sn < 0 || sn > KAC_UREQ_MAX_IOV || rn < 1 || rn > KAC_UREQ_MAX_IOV)
        return -EINVAL;
    for (i = 0; i < rn; i++)
        outlen += riov[i].iov_len;
    if (ivlen > 0)
        clen += CMSG_SPACE(sizeof(struct af_alg_iv) + ivlen);
    if (assoclen >= 0)
        clen += CMSG_SPACE(sizeof(__u32));
    if (io_uring_sq_space_left(&q->ring) < 2)
        flush(q);
    memset(r->cbuf, 0, sizeof(r->cbuf));
    memset(&r->msg, 0, sizeof(r->msg));
    r->msg.msg_control = r->cbuf;
    r->msg.msg_controllen = clen;
    put_cmsg(&r->msg, &c, ALG_SET_OP, &op, sizeof(op));
    if (ivlen > 0) {
        unsigned char b[sizeof(struct af_alg_iv) + 32];
        struct af_alg_iv *aiv = (struct af_alg_iv *)b;

        aiv->ivlen = (__u32)ivlen;
        memcpy(aiv->iv, iv, ivlen);
        put_cmsg(&r->msg, &c, ALG_SET_IV, b, sizeof(*aiv) + ivlen);
    }
    if (assoclen >= 0) {
        __u32 al = (__u32)assoclen;

        put_cmsg(&r->msg, &c, ALG_SET_AEAD_ASSOCLEN, &al, sizeof(al));
    }
    memcpy(r->siov, siov, (size_t)sn * sizeof(*siov));
    memcpy(r->riov, riov, (size_t)rn * sizeof(*riov));
    r->msg.msg_iov = sn > 0 ? r->siov : NULL;
    r->msg.msg_iovlen = (size_t)sn;
    r->q = q;
    r->fd = fd;
    r->res = 0;
    r->outlen = outlen;

    s1 = io_uring_get_sqe(&q->ring);
    s2 = io_uring_get_sqe(&q->ring);
    if (s1 == NULL || s2 == NULL)
        return -EAGAIN; /* cannot happen: space was made above */
    io_uring_prep_sendmsg(s1, fd, &r->msg, 0);
    io_uring_sqe_set_data(s1, (void *)((uintptr_t)r | KAC_UQ_SEND_TAG));
    io_uring_sqe_set_flags(s1, IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS);
    io_uring_prep_readv(s2, fd, r->riov, (unsigned)rn, 0);
    io_uring_sqe_set_data(s2, r);
    io_uring_sqe_set_flags(s2, async);
    r->state = KAC_UREQ_QUEUED;
    q->pending[q->queued++] = r;
    STAT_ADD(requests, 1);
    return 0;
}

static void wait_fd_cleanup(ASYNC_WAIT_CTX *ctx, const void *key, OSSL_ASYNC_FD fd, void *custom)
{
    close(fd);
}

/* The wait context's own wait fd: a duplicate of this thread's eventfd. */
static int ensure_wait_fd(ASYNC_WAIT_CTX *w, struct kac_uq *q)
{
    OSSL_ASYNC_FD fd;
    void *custom = NULL;
    int dupfd;

    if (ASYNC_WAIT_CTX_get_fd(w, &kac_wait_key, &fd, &custom) && custom == q)
        return 1;
    if (custom != NULL)
        ASYNC_WAIT_CTX_clear_fd(w, &kac_wait_key); /* a queue of another thread/process */
    if ((dupfd = kac_fault(KAC_FAULT_EVENTFD)) != 0) { /* the fault switch: as EMFILE would */
        errno = dupfd;
        return 0;
    }
    dupfd = fcntl(q->efd, F_DUPFD_CLOEXEC, 0);
    if (dupfd < 0)
        return 0;
    if (!ASYNC_WAIT_CTX_set_wait_fd(w, &kac_wait_key, dupfd, q, wait_fd_cleanup)) {
        close(dupfd);
        return 0;
    }
    return 1;
}

/* One read resets the eventfd; only when it may be set. */
static void drain_efd(struct kac_uq *q)
{
    uint64_t v;

    if (q->wake == WAKE_BATCH && !__atomic_load_n(&q->efd_set, __ATOMIC_RELAXED))
        return;
    __atomic_store_n(&q->efd_set, 0, __ATOMIC_RELAXED);
    if (kac_sys_eventfd_read(q->efd, &v) < 0 && errno != EAGAIN)
        KAC_DBG("eventfd read failed: %s", strerror(errno));
}

static void signal_efd(struct kac_uq *q)
{
    if (__atomic_load_n(&q->efd_set, __ATOMIC_RELAXED))
        return; /* known readable: nobody has drained it since */
    if (kac_sys_eventfd_write(q->efd, 1) < 0)
        KAC_DBG("eventfd write failed: %s", strerror(errno));
    __atomic_store_n(&q->efd_set, 1, __ATOMIC_RELAXED);
}

/* Submit when the device would otherwise run dry, or a batch is waiting. */
static void maybe_flush(struct kac_uq *q)
{
    if (q->queued > 0 && (q->inflight <= KAC_UQ_LOW || q->queued >= KAC_UQ_BATCH))
        flush(q);
}

/*
 * Arms the wake-up of the paused jobs: a timeout that completes when half of
 * the requests in flight have completed (IORING_OP_TIMEOUT with a count; at
 * least one), or after KAC_UQ_WAKE_NS, linked to a write of the eventfd.  The
 * kernel does both; nobody is woken per completion, and the jobs that resume
 * find a batch of completions to reap.  Submitted at once, with whatever
 * requests are queued (one system call).
 */
static void arm_wake(struct kac_uq *q)
{
    struct io_uring_sqe *t, *w;

    if (io_uring_sq_space_left(&q->ring) < 2)
        flush(q);
    t = io_uring_get_sqe(&q->ring);
    w = io_uring_get_sqe(&q->ring);
    if (t == NULL || w == NULL)
        return; /* cannot happen: space was made above */
    /* A count of 0 (every request failed in the flush above) leaves the time bound. */
    io_uring_prep_timeout(t, &q->wake_ts, (q->inflight + q->queued + 1) / 2,
                          IORING_TIMEOUT_ETIME_SUCCESS);
    io_uring_sqe_set_data(t, (void *)KAC_UQ_WAKE_TIMEOUT);
    io_uring_sqe_set_flags(t, IOSQE_IO_LINK);
    io_uring_prep_write(w, q->efd, &q->wake_one, sizeof(q->wake_one), 0);
    io_uring_sqe_set_data(w, (void *)KAC_UQ_WAKE_WRITE);
    if (flush(q) >= 0) /* the queued requests and the wake-up */
        q->wake_armed++;
}

/*
 * Before a job pauses: whatever it waits for is submitted, and something will
 * make the eventfd readable.  Either it is known to be set already, or a
 * wake-up is armed over the requests still in flight (reaped just before, so
 * that its count is of completions still to come; results already reaped
 * wait for it with the rest of the batch), or - nothing in flight, or a
 * submission failed - the eventfd is set now, so that the job comes back and
 * tries again rather than sleeps for ever.  With the callback notifier up, it
 * consumes the eventfd on its own thread: whether it is set, or whether an
 * armed wake-up has fired already, is not known here, so each pause arms a
 * wake-up of its own (the job's callback is registered before: a wake-up that
 * fires from now on calls it).
 */
static void before_pause(struct kac_uq *q)
{
    int known = !q->notifier_up;

    if (q->wake != WAKE_BATCH) {
        maybe_flush(q);
        if (q->unclaimed > 0 || io_uring_cq_ready(&q->ring) > 0)
            signal_efd(q);
        return;
    }
    if (known && (__atomic_load_n(&q->efd_set, __ATOMIC_RELAXED) || q->wake_armed > 0)) {
        /*
         * Someone will run: hold what is queued while completions wait for
         * their jobs (they queue more, and the last to pause submits them
         * together), unless a batch is full or the device runs low.
         */
        if (q->queued > 0
            && (q->queued >= KAC_UQ_BATCH || (q->unclaimed == 0 && q->inflight <= KAC_UQ_LOW)))
            flush(q);
        return;
    }
    reap(q, 0);
    if (q->inflight + q->queued > 0)
        arm_wake(q); /* submits what is queued with it */
    if (q->wake_armed == 0) {
        if (!known)
            __atomic_store_n(&q->efd_set, 0, __ATOMIC_RELAXED);
        signal_efd(q);
    }
}

/*
 * After a job resumes: reap, and reset the eventfd once the last completion
 * reaped has been claimed (r, the job's own, counts as claimed when it is
 * done); until then it stays readable for their jobs.  Queued requests wait
 * for the next pause (before_pause).
 */
static void after_resume(struct kac_uq *q, struct kac_ureq *r)
{
    reap(q, 0);
    if (q->wake != WAKE_BATCH)
        maybe_flush(q);
    else if (q->notifier_up)
        return; /* the notifier consumes the eventfd; each pause arms a wake-up */
    if (q->unclaimed != (r->state == KAC_UREQ_DONE ? 1u : 0u) || io_uring_cq_ready(&q->ring) > 0)
        return;
    drain_efd(q);
    /* Paused jobs now need a wake-up: this job may not pause again. */
    if (q->wake == WAKE_BATCH && q->wake_armed == 0 && q->inflight + q->queued > 0)
        arm_wake(q);
}

static void *notifier_main(void *arg)
{
    struct kac_uq *q = arg;

    pthread_mutex_lock(&q->cb_lock);
    for (;;) {
        struct pollfd p[2] = { { q->efd, POLLIN, 0 }, { q->stop_efd, POLLIN, 0 } };
        struct kac_cbw *list;
        unsigned n, i;
        uint64_t v;

        while (!q->stop && q->ncbw == 0)
            pthread_cond_wait(&q->cb_cond, &q->cb_lock);
        if (q->stop)
            break;
        pthread_mutex_unlock(&q->cb_lock);
        poll(p, 2, -1);
        pthread_mutex_lock(&q->cb_lock);
        if (q->stop)
            break;
        if (!(p[0].revents & POLLIN))
            continue;
        /* Consume the wake; jobs paused on the fd itself must still see it. */
        if (kac_sys_eventfd_read(q->efd, &v) == (ssize_t)sizeof(v)) {
            if (__atomic_load_n(&q->fd_waiters, __ATOMIC_RELAXED) == 0)
                __atomic_store_n(&q->efd_set, 0, __ATOMIC_RELAXED);
            else if (kac_sys_eventfd_write(q->efd, 1) < 0)
                KAC_DBG("eventfd write failed: %s", strerror(errno));
        }
        n = q->ncbw;
        list = malloc(n * sizeof(*list));
        if (list == NULL)
            continue;
        memcpy(list, q->cbw, n * sizeof(*list));
        q->ncbw = 0;
        pthread_mutex_unlock(&q->cb_lock);
        for (i = 0; i < n; i++) {
            ASYNC_WAIT_CTX_set_status(list[i].w, ASYNC_STATUS_OK);
            list[i].fn(list[i].arg);
        }
        free(list);
        pthread_mutex_lock(&q->cb_lock);
    }
    pthread_mutex_unlock(&q->cb_lock);
    return NULL;
}

/* Registers a paused job's callback; starts the notifier on first use. */
static int cb_register(struct kac_uq *q, ASYNC_WAIT_CTX *w, ASYNC_callback_fn fn, void *arg)
{
    int ok = 1;

    pthread_mutex_lock(&q->cb_lock);
    if (!q->notifier_up) {
        q->stop_efd = kac_sys_eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (q->stop_efd < 0 || pthread_create(&q->notifier, NULL, notifier_main, q) != 0) {
            if (q->stop_efd >= 0)
                close(q->stop_efd);
            ok = 0;
        } else {
            q->notifier_up = 1;
        }
    }
    if (ok && q->ncbw == q->cbwcap) {
        unsigned cap = q->cbwcap ? q->cbwcap * 2 : 16;
        struct kac_cbw *nv = realloc(q->cbw, cap * sizeof(*nv));

        if (nv == NULL)
            ok = 0;
        else
            q->cbw = nv, q->cbwcap = cap;
    }
    if (ok) {
        q->cbw[q->ncbw++] = (struct kac_cbw){ fn, arg, w };
        pthread_cond_signal(&q->cb_cond);
    }
    pthread_mutex_unlock(&q->cb_lock);
    return ok;
}

/* A resumed job withdraws a callback the notifier has not called yet. */
static void cb_withdraw(struct kac_uq *q, ASYNC_WAIT_CTX *w)
{
    unsigned i;

    pthread_mutex_lock(&q->cb_lock);
    for (i = 0; i < q->ncbw; i++)
        if (q->cbw[i].w == w) {
            q->cbw[i] = q->cbw[--q->ncbw];
            break;
        }
    pthread_mutex_unlock(&q->cb_lock);
}

static void notifier_stop(struct kac_uq *q, int join)
{
    if (!q->notifier_up)
        return;
    /*
     * After fork (join 0) the notifier is the parent's thread, the eventfd it
     * watches is shared with the parent, and the lock may have been held by
     * it at the fork: the child only closes its descriptor.
     */
    if (join) {
        pthread_mutex_lock(&q->cb_lock);
        q->stop = 1;
        pthread_cond_signal(&q->cb_cond);
        pthread_mutex_unlock(&q->cb_lock);
        if (kac_sys_eventfd_write(q->stop_efd, 1) < 0)
            KAC_DBG("eventfd write failed: %s", strerror(errno));
        pthread_join(q->notifier, NULL);
    }
    close(q->stop_efd);
    q->notifier_up = 0;
}

int kac_uq_wait(struct kac_ureq *r)
{
    struct kac_uq *q = r->q;
    ASYNC_JOB *job = ASYNC_get_current_job();
    ASYNC_WAIT_CTX *w = job != NULL ? ASYNC_get_wait_ctx(job) : NULL;
    int res;

    ASYNC_callback_fn cbfn = NULL;
    void *cbarg = NULL;

    if (q->wake == WAKE_NONE) {
        /* nothing would wake a paused job: wait below */
    } else if (w != NULL && ASYNC_WAIT_CTX_get_callback(w, &cbfn, &cbarg) && cbfn != NULL) {
        /* Callback mode: the notifier thread calls cbfn when the eventfd is set. */
        while (r->state != KAC_UREQ_DONE) {
            if (!cb_register(q, w, cbfn, cbarg))
                break; /* no notifier: wait below */
            before_pause(q);
            if (r->state == KAC_UREQ_DONE) {
                cb_withdraw(q, w);
                break;
            }
            STAT_ADD(pauses, 1);
            if (!ASYNC_pause_job()) {
                cb_withdraw(q, w);
                break;
            }
            cb_withdraw(q, w);
            after_resume(q, r);
        }
    } else if (w != NULL && ensure_wait_fd(w, q)) {
        /*
         * Every paused job waits on the queue's eventfd (its wait fd is a
         * duplicate); before_pause() sees to it that it will be set.
         */
        kac_dpdk_wait_quiet(w); /* only completions may wake this wait */
        while (r->state != KAC_UREQ_DONE) {
            int paused;

            before_pause(q);
            if (r->state == KAC_UREQ_DONE)
                break;
            STAT_ADD(pauses, 1);
            __atomic_add_fetch(&q->fd_waiters, 1, __ATOMIC_RELAXED);
            paused = ASYNC_pause_job();
            __atomic_sub_fetch(&q->fd_waiters, 1, __ATOMIC_RELAXED);
            if (!paused)
                break; /* cannot pause: wait below */
            after_resume(q, r);
        }
    }
    while (r->state != KAC_UREQ_DONE) {
        if (q->queued > 0 && q->inflight == 0) {
            /* Synchronous caller: submit and wait in one system call. */
            unsigned n = q->queued;
            int s = ring_submit_and_wait(&q->ring, 1);

            STAT_ADD(submits, 1);
            if (s >= 0) {
                q->inflight += n;
                q->queued = 0;
                reap(q, 0);
                continue;
            }
        }
        flush(q);
        if (reap(q, 1) < 0 && r->state != KAC_UREQ_DONE && q->inflight == 0 && q->queued == 0)
            complete(q, r, -EIO);
    }
    q->unclaimed--;
    r->state = KAC_UREQ_IDLE;
    res = r->res;
    return res;
}

void kac_uq_quiesce(struct kac_ureq *r)
{
    if (r->state == KAC_UREQ_IDLE || r->q == NULL || r->q != tls_q)
        return;
    (void)kac_uq_wait(r);
}
