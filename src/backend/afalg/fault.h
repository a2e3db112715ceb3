/*
 * Fault injection for the AF_ALG system calls, the io_uring queue and its
 * eventfds, and the DPDK cryptodev calls (tests only; inert otherwise).
 *
 * Every AF_ALG system call kaccel makes goes through one of the kac_sys_*
 * wrappers below, and every io_uring, eventfd and DPDK call asks the switch
 * the same way.  Each first asks kac_fault(site): 0 lets the real call run;
 * an errno value makes the call fail as it would (return -1 with errno set,
 * -errno from liburing, NULL or a status from DPDK) without doing it.
 *
 * The switch is the environment variable KACCEL_FAULT, read once per process
 * (on the first call).  Unset or empty, kac_fault() costs one predictable
 * branch and counts nothing.
 *
 *     KACCEL_FAULT = ITEM[,ITEM...]
 *     ITEM  = SITE:WHEN:ERRNO | trace
 *     SITE  = socket | bind | setsockopt | accept | sendmsg | read
 *           | uring_setup | uring_submit | uring_wait | uring_cqe
 *           | eventfd | eventfd_rw
 *           | dpdk_eal | dpdk_mempool | dpdk_setup | dpdk_session | dpdk_op_alloc
 *           | dpdk_enqueue | dpdk_dequeue | dpdk_status
 *           | any
 *     WHEN  = N      the Nth call of SITE in this process only (1-based)
 *           | N+     the Nth call and every later one
 *           | *N     every Nth call (N, 2N, 3N, ...)
 *     ERRNO = EIO | EAGAIN | EBUSY | EMFILE | ENFILE | EINVAL | ENOMEM | EBADMSG
 *           | ENOENT | EPERM | EACCES | ENOBUFS | EINTR | EFAULT | ENOKEY
 *           | ENOSYS | ECANCELED | ETIME | ENODEV | ENOSPC | ENOTSUP | EEXIST
 *           | a decimal errno number
 *
 * Calls are counted per site (accept counts accept4; sendmsg counts send;
 * read counts readv).  The io_uring sites: uring_setup is
 * io_uring_queue_init and io_uring_register_eventfd (a thread's queue, made
 * on its first request); uring_submit is io_uring_submit and
 * io_uring_submit_and_wait (nothing reaches the kernel); uring_wait is
 * io_uring_wait_cqe and io_uring_wait_cqe_timeout; uring_cqe forces a
 * request's completion result to -ERRNO (the kernel did the work: the output
 * buffer may hold bytes).  eventfd is eventfd() (a queue's, its notifier's,
 * a DPDK wait fd); eventfd_rw is a read or write of one: the read does not
 * happen (the fd stays readable), the write does not happen except for
 * EAGAIN, which on an eventfd means a full counter: the fd is readable, so
 * the write is done before the error is returned.  The dpdk_* sites are
 * the DPDK backend's calls: the EAL bring-up, the op, session and mbuf
 * mempool creations, the device bring-up (rte_cryptodev_configure, each
 * queue pair's setup, rte_cryptodev_start: failing with -ERRNO), session
 * creation, op/mbuf allocation, a burst enqueue (the injected enqueue
 * accepts no op: a full queue), a burst dequeue (EAGAIN: it returns no op,
 * as when nothing has completed yet; any other errno: at most one op, a
 * short burst; the rest stay in the device) and a dequeued op's status
 * (forced to an error; EBADMSG forces an authentication failure).  Site
 * "any" has its own counter, incremented by every call, so "any:5:EIO"
 * fails the 5th call whatever it is.  The first
 * matching item wins.  Calls are counted from the first one in the process,
 * the provider's probe at load included; a forked child inherits the
 * counters at the fork.
 *
 * "trace" logs every call ("fault: sendmsg #3 any #12") through KACCEL_DEBUG,
 * which also logs each injection ("fault: inject EIO into sendmsg #3").  A
 * test can run once with KACCEL_FAULT=trace to learn which call numbers an
 * operation makes, then inject at each of them.
 *
 * A malformed KACCEL_FAULT injects nothing: it is reported through
 * KACCEL_DEBUG and kac_fault_configure() returns -1 for it.
 *
 * Examples:
 *     KACCEL_FAULT=sendmsg:2:EIO            the second sendmsg/send fails with EIO
 *     KACCEL_FAULT=accept:1+:EMFILE         no operation socket can be opened
 *     KACCEL_FAULT=read:*3:EAGAIN,trace     every third read fails; calls logged
 *     KACCEL_FAULT=uring_setup:1:EPERM      the first thread's io_uring: refused
 *     KACCEL_FAULT=dpdk_dequeue:*2:EAGAIN   every second dequeue finds nothing
 */
#ifndef KAC_AFALG_FAULT_H
#define KAC_AFALG_FAULT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define KACCEL_ENV_FAULT "KACCEL_FAULT"

enum kac_fault_site {
    KAC_FAULT_SOCKET,
    KAC_FAULT_BIND,
    KAC_FAULT_SETSOCKOPT,
    KAC_FAULT_ACCEPT,
    KAC_FAULT_SENDMSG,
    KAC_FAULT_READ,
    KAC_FAULT_URING_SETUP,   /* io_uring_queue_init, io_uring_register_eventfd */
    KAC_FAULT_URING_SUBMIT,  /* io_uring_submit, io_uring_submit_and_wait */
    KAC_FAULT_URING_WAIT,    /* io_uring_wait_cqe, io_uring_wait_cqe_timeout */
    KAC_FAULT_URING_CQE,     /* a request's completion result */
    KAC_FAULT_EVENTFD,       /* eventfd() */
    KAC_FAULT_EVENTFD_RW,    /* read / write of an eventfd */
    KAC_FAULT_DPDK_EAL,      /* rte_eal_init */
    KAC_FAULT_DPDK_MEMPOOL,  /* op, session and mbuf mempool creation */
    KAC_FAULT_DPDK_SETUP,    /* rte_cryptodev_configure, _queue_pair_setup, _start */
    KAC_FAULT_DPDK_SESSION,  /* rte_cryptodev_sym_session_create (pool exhausted) */
    KAC_FAULT_DPDK_OP_ALLOC, /* op / mbuf mempool gets */
    KAC_FAULT_DPDK_ENQUEUE,  /* rte_cryptodev_enqueue_burst accepts none */
    KAC_FAULT_DPDK_DEQUEUE,  /* rte_cryptodev_dequeue_burst returns none or one */
    KAC_FAULT_DPDK_STATUS,   /* a dequeued op's status is an error */
    KAC_FAULT_ANY,        /* not a call site: the counter of all calls */
    KAC_FAULT_NSITES
};

/* 0: inert; 1: configured; -1: KACCEL_FAULT not read yet. */
extern int kac_fault_state;

/* Slow path: reads KACCEL_FAULT on first use, counts, decides. */
int kac_fault_check(enum kac_fault_site site);

/* 0 to let the call run, or the errno value to fail it with. */
static inline int kac_fault(enum kac_fault_site site)
{
    if (__builtin_expect(kac_fault_state == 0, 1))
        return 0;
    return kac_fault_check(site);
}

/*
 * Replaces the configuration (as if KACCEL_FAULT were spec; NULL or "" makes
 * the switch inert) and zeroes the counters.  For tests in one process.
 * Returns the number of items, or -1 for a malformed spec (switch inert).
 */
int kac_fault_configure(const char *spec);

/* Calls counted at a site since configuration (0 while inert). */
unsigned long kac_fault_calls(enum kac_fault_site site);
/* Faults injected since configuration. */
unsigned long kac_fault_injected(void);

/* "socket", "bind", ... "any". */
const char *kac_fault_site_name(enum kac_fault_site site);

/* ---- the system call wrappers (the only callers of these syscalls) ---- */

#define KAC_FAULT_RETURN(site)          \
    do {                                \
        int e_ = kac_fault(site);       \
        if (e_ != 0) {                  \
            errno = e_;                 \
            return -1;                  \
        }                               \
    } while (0)

static inline int kac_sys_socket(int domain, int type, int proto)
{
    KAC_FAULT_RETURN(KAC_FAULT_SOCKET);
    return socket(domain, type, proto);
}

static inline int kac_sys_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
    KAC_FAULT_RETURN(KAC_FAULT_BIND);
    return bind(fd, sa, len);
}

static inline int kac_sys_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    KAC_FAULT_RETURN(KAC_FAULT_SETSOCKOPT);
    return setsockopt(fd, level, name, val, len);
}

static inline int kac_sys_accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
    KAC_FAULT_RETURN(KAC_FAULT_ACCEPT);
    return accept4(fd, sa, len, flags);
}

static inline ssize_t kac_sys_sendmsg(int fd, const struct msghdr *msg, int flags)
{
    KAC_FAULT_RETURN(KAC_FAULT_SENDMSG);
    return sendmsg(fd, msg, flags);
}

static inline ssize_t kac_sys_send(int fd, const void *buf, size_t len, int flags)
{
    KAC_FAULT_RETURN(KAC_FAULT_SENDMSG);
    return send(fd, buf, len, flags);
}

static inline ssize_t kac_sys_read(int fd, void *buf, size_t len)
{
    KAC_FAULT_RETURN(KAC_FAULT_READ);
    return read(fd, buf, len);
}

static inline ssize_t kac_sys_readv(int fd, const struct iovec *iov, int n)
{
    KAC_FAULT_RETURN(KAC_FAULT_READ);
    return readv(fd, iov, n);
}

/* eventfds: creation, and the 8-byte reads and writes of their counters. */
static inline int kac_sys_eventfd(unsigned int initval, int flags)
{
    KAC_FAULT_RETURN(KAC_FAULT_EVENTFD);
    return eventfd(initval, flags);
}

static inline ssize_t kac_sys_eventfd_read(int fd, uint64_t *v)
{
    KAC_FAULT_RETURN(KAC_FAULT_EVENTFD_RW);
    return read(fd, v, sizeof(*v));
}

static inline ssize_t kac_sys_eventfd_write(int fd, uint64_t v)
{
    int e = kac_fault(KAC_FAULT_EVENTFD_RW);

    if (e == 0)
        return write(fd, &v, sizeof(v));
    if (e == EAGAIN) /* a full counter: the fd is readable, as after the write */
        (void)!write(fd, &v, sizeof(v));
    errno = e;
    return -1;
}

#endif
