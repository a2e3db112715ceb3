/*
 * DPDK sessions, per-thread queue pairs, burst enqueue/dequeue and the ASYNC
 * job glue.  See dpdk.h for the model.
 */
#include "internal.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <openssl/async.h>
#include <openssl/crypto.h>

#include <rte_errno.h>

#include "../afalg/fault.h"
#include "core/fork.h"
#include "core/log.h"

struct kac_dpdk_sess {
    const struct kac_alg *alg;
    int dev;               /* index in kac_dpdk.devs */
    void *sess;
    unsigned gen;          /* fork generation of the process that made it */
    int enc;
    unsigned ivlen, taglen, aadlen;
    int shared;            /* the process's digest session: never freed by a context */
};

/* One caller's operation: its ops complete in any order, on any thread. */
struct kac_dreq {
    unsigned pending;
    int status;
    uint64_t done[KAC_DPDK_MAX_BURST / 64]; /* ops of this run completed, by idx */
};

/*
 * Ops a timed-out request left in a device point here: if the device ever
 * completes them, nothing of the caller's is written (complete() drops them).
 */
static struct kac_dreq orphan;

/* This thread's queue pairs and batching state. */
struct kac_dthread {
    unsigned gen;
    struct kac_dqp *qp[KAC_DPDK_MAX_DEVS];
    unsigned inflight;     /* this thread's ops not yet completed */
    unsigned lone;         /* consecutive paused waits that found no other op */
    unsigned inline_left;  /* waits to run without pausing (no company seen) */
    /* this thread's caches of the op and mbuf pools (see thread_caches); NULL: none */
    struct rte_mempool_cache *opc, *mbc;
};

#define KAC_LONE_LIMIT 16     /* lone paused waits before running inline */
#define KAC_INLINE_RUN 256    /* inline waits before pausing again (re-probe) */

static __thread struct kac_dthread *tls_t;
static pthread_key_t thr_key;
static pthread_once_t thr_once = PTHREAD_ONCE_INIT;
static const char kac_dpdk_wait_key;

/* Process-wide counters: every field an unsigned long long, updated atomically. */
static struct kac_dpdk_stats st;

#define ST_ADD(f, n) __atomic_add_fetch(&st.f, (n), __ATOMIC_RELAXED)

void kac_dpdk_stats(struct kac_dpdk_stats *out)
{
    const unsigned long long *src = (const unsigned long long *)&st;
    unsigned long long *dst = (unsigned long long *)out;
    size_t i;

    for (i = 0; i < sizeof(st) / sizeof(*src); i++)
        dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

static void note_burst(unsigned n)
{
    unsigned long long cur = __atomic_load_n(&st.burst_max, __ATOMIC_RELAXED);

    while (n > cur
           && !__atomic_compare_exchange_n(&st.burst_max, &cur, n, 0, __ATOMIC_RELAXED,
                                           __ATOMIC_RELAXED))
        ;
}

/* ---- threads and queue pairs ---- */

/*
 * The mempools' rings are not preemption-safe: a thread preempted inside a
 * multi-producer or multi-consumer ring operation makes every other thread
 * doing the same operation spin until it runs again.  kaccel's callers are
 * application threads, not pinned EAL lcores, and may outnumber the CPUs (12
 * threads on 2 CPUs stalled for minutes): gets and puts go one thread at a
 * time, behind a lock whose waiters sleep.
 */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

static void cache_release(struct rte_mempool_cache *c, struct rte_mempool *mp)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&pool_lock);
    rte_mempool_cache_flush(c, mp);
    rte_mempool_cache_free(c); /* under the lock too: see thread_caches() */
    pthread_mutex_unlock(&pool_lock);
}

static void thread_release(void *p)
{
    struct kac_dthread *t = p;
    unsigned i;

    if (t == NULL)
        return;
    if (t->gen == kac_fork_gen()) {
        for (i = 0; i < KAC_DPDK_MAX_DEVS; i++)
            if (t->qp[i] != NULL)
                __atomic_sub_fetch(&t->qp[i]->users, 1, __ATOMIC_RELAXED);
        /* what the thread cached goes back to the pools (a child's caches are its parent's) */
        cache_release(t->opc, kac_dpdk.op_pool);
        cache_release(t->mbc, kac_dpdk.mbuf_pool);
    }
    free(t);
}

static void thr_key_init(void)
{
    pthread_key_create(&thr_key, thread_release);
}

static void thread_caches(struct kac_dthread *t);

/* This thread's state, made on first use (the EAL is up: a session exists). */
static struct kac_dthread *thread_state(void)
{
    struct kac_dthread *t = tls_t;

    if (t != NULL && t->gen == kac_fork_gen())
        return t;
    if (t != NULL) {
        /* Inherited across fork: the queue pairs are the parent's. */
        free(t);
        tls_t = NULL;
    }
    pthread_once(&thr_once, thr_key_init);
    t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->gen = kac_fork_gen();
    thread_caches(t);
    tls_t = t;
    pthread_setspecific(thr_key, t);
    return t;
}

/* The thread's queue pair on device d: the least used one, shared when needed. */
static struct kac_dqp *thread_qp(struct kac_dthread *t, int d)
{
    struct kac_ddev *dev = &kac_dpdk.devs[d];
    struct kac_dqp *best = NULL;
    unsigned q, users, least = 0;

    if (t->qp[d] != NULL)
        return t->qp[d];
    /* users: atomic, other threads attach and exit meanwhile (a count, no lock) */
    for (q = 0; q < dev->nqps; q++) {
        struct kac_dqp *qp = &dev->qps[q];

        users = __atomic_load_n(&qp->users, __ATOMIC_RELAXED);
        if (best == NULL || users < least) {
            best = qp;
            least = users;
        }
    }
    users = __atomic_add_fetch(&best->users, 1, __ATOMIC_RELAXED);
    if (users > 1) {
        ST_ADD(qp_shared, 1);
        KAC_DBG("dpdk: %s queue pair %u now shared by %u threads", dev->name, best->qp_id,
                users);
    }
    t->qp[d] = best;
    return best;
}

/* ---- pools ---- */

/*
 * Each thread keeps a small cache of ops and (on zero-copy devices) mbufs,
 * DPDK's user-owned mempool caches: an EAL lcore has one per pool, an
 * application thread has none, and without it every op cost two ring
 * operations and two takes of pool_lock.  Gets and puts that the cache
 * covers touch no ring and take no lock; refills and flushes (a burst's
 * worth at a time) take pool_lock.  Mbufs of copying devices carry a
 * KAC_DPDK_MAX_OP data room each and are not cached (the pools would have to
 * grow by megabytes per thread).  The pools are sized for
 * KAC_DPDK_CACHE_THREADS threads' caches (eal.c); beyond that, an exhausted
 * pool sends work to software like a full queue.
 */
static void thread_caches(struct kac_dthread *t)
{
    int copy = kac_dpdk.any_copy;

    /*
     * Made and freed under pool_lock: DPDK's heap hands a cache freed by an
     * exiting thread to the next thread, and its own spinlocks order that
     * for the CPU but not for ThreadSanitizer.
     */
    pthread_mutex_lock(&pool_lock);
    t->opc = rte_mempool_cache_create(KAC_DPDK_CACHE, SOCKET_ID_ANY);
    if (!copy)
        t->mbc = rte_mempool_cache_create(2 * KAC_DPDK_CACHE, SOCKET_ID_ANY);
    pthread_mutex_unlock(&pool_lock);
    if (t->opc == NULL || (!copy && t->mbc == NULL))
        KAC_DBG("dpdk: no mempool cache for this thread: every op takes the pool lock");
}

static int pool_get(struct rte_mempool *mp, struct rte_mempool_cache *c, void **objs, unsigned n)
{
    int r;

    if (c != NULL && c->len >= n)
        return rte_mempool_generic_get(mp, objs, n, c);
    pthread_mutex_lock(&pool_lock);
    r = rte_mempool_generic_get(mp, objs, n, c);
    pthread_mutex_unlock(&pool_lock);
    return r;
}

static void pool_put(struct rte_mempool *mp, struct rte_mempool_cache *c, void *const *objs,
                     unsigned n)
{
    if (n == 0)
        return;
    if (c != NULL && c->len + n <= c->flushthresh) {
        rte_mempool_generic_put(mp, objs, n, c);
        return;
    }
    pthread_mutex_lock(&pool_lock);
    rte_mempool_generic_put(mp, objs, n, c);
    pthread_mutex_unlock(&pool_lock);
}

/* ---- sessions ---- */

static struct kac_dpdk_sess *sess_create(const struct kac_alg *alg, int enc,
                                         const unsigned char *key, size_t keylen,
                                         unsigned ivlen, unsigned taglen, unsigned aadlen,
                                         int *err)
{
    struct rte_crypto_sym_xform x;
    struct kac_dpdk_sess *s;
    enum rte_crypto_auth_algorithm auth;
    int d, e;

    if (!kac_dpdk_usable(alg->id)) {
        *err = ENODEV;
        return NULL;
    }
    d = kac_dpdk.alg_dev[alg->id];
    memset(&x, 0, sizeof(x));
    switch (alg->kind) {
    case KAC_KIND_CIPHER:
        x.type = RTE_CRYPTO_SYM_XFORM_CIPHER;
        x.cipher.op = enc ? RTE_CRYPTO_CIPHER_OP_ENCRYPT : RTE_CRYPTO_CIPHER_OP_DECRYPT;
        kac_dpdk_cipher_algo(alg->mode, &x.cipher.algo);
        x.cipher.key.data = key;
        x.cipher.key.length = (uint16_t)keylen;
        x.cipher.iv.offset = KAC_DPDK_IV_OFFSET;
        x.cipher.iv.length = alg->mode == KAC_MODE_ECB ? 0 : 16;
        ivlen = x.cipher.iv.length;
        break;
    case KAC_KIND_AEAD:
        if (aadlen > KAC_DPDK_MAX_AAD || ivlen == 0 || ivlen > 16) {
            *err = ENOTSUP;
            return NULL;
        }
        x.type = RTE_CRYPTO_SYM_XFORM_AEAD;
        x.aead.op = enc ? RTE_CRYPTO_AEAD_OP_ENCRYPT : RTE_CRYPTO_AEAD_OP_DECRYPT;
        kac_dpdk_aead_algo(alg->mode, &x.aead.algo);
        x.aead.key.data = key;
        x.aead.key.length = (uint16_t)keylen;
        x.aead.iv.offset = KAC_DPDK_IV_OFFSET;
        x.aead.iv.length = (uint16_t)ivlen;
        x.aead.digest_length = (uint16_t)taglen;
        x.aead.aad_length = (uint16_t)aadlen;
        /*
         * PMDs may accept a session outside their capabilities and then
         * compute wrong bytes (crypto_aesni_mb: CCM with AAD over 46 bytes):
         * only what the device advertises.
         */
        if (!kac_dpdk_aead_supported(kac_dpdk.devs[d].dev_id, x.aead.algo, keylen, taglen,
                                     aadlen, ivlen)) {
            *err = ENOTSUP;
            return NULL;
        }
        break;
    case KAC_KIND_DIGEST:
    case KAC_KIND_MAC:
        if (!kac_dpdk_auth_algo(alg, &auth) || keylen > 0xffff) {
            *err = ENOTSUP;
            return NULL;
        }
        x.type = RTE_CRYPTO_SYM_XFORM_AUTH;
        x.auth.op = RTE_CRYPTO_AUTH_OP_GENERATE;
        x.auth.algo = auth;
        x.auth.key.data = key;
        x.auth.key.length = (uint16_t)keylen;
        x.auth.digest_length = (uint16_t)alg->outlen;
        break;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        *err = ENOMEM;
        return NULL;
    }
    s->alg = alg;
    s->dev = d;
    s->gen = kac_fork_gen();
    s->enc = enc;
    s->ivlen = ivlen;
    s->taglen = taglen;
    s->aadlen = aadlen;
    e = kac_fault(KAC_FAULT_DPDK_SESSION);
    if (e == 0) {
        kac_dpdk_in_pmd++;
        pthread_mutex_lock(&pool_lock); /* the session pool's ring too */
        s->sess = rte_cryptodev_sym_session_create(kac_dpdk.devs[d].dev_id, &x, kac_dpdk.sess_pool);
        pthread_mutex_unlock(&pool_lock);
        kac_dpdk_in_pmd--;
        e = s->sess == NULL ? (rte_errno ? rte_errno : ENOMEM) : 0;
    }
    if (s->sess == NULL) {
        KAC_DBG("dpdk: %s session on %s failed: %s", alg->name, kac_dpdk.devs[d].name,
                strerror(e));
        free(s);
        *err = e;
        return NULL;
    }
    return s;
}

/*
 * A digest session holds no key and no per-operation state (the PMDs keep an
 * op's hash state in the op or create it per op), so one per algorithm serves
 * every context of the process, on every queue pair.  OpenSSL 3.0 gives each
 * EVP_DigestInit a new provider context: a session per context would cost a
 * session creation and free per message.  Made on first use, kept for the
 * life of the process (a forked child never uses it: its DPDK is unusable).
 */
static struct kac_dpdk_sess *digest_sess[KAC_ALG_COUNT];
static void sess_destroy(struct kac_dpdk_sess *s);
static pthread_mutex_t digest_lock = PTHREAD_MUTEX_INITIALIZER;

struct kac_dpdk_sess *kac_dpdk_sess_new(const struct kac_alg *alg, int enc,
                                        const unsigned char *key, size_t keylen,
                                        unsigned ivlen, unsigned taglen, unsigned aadlen,
                                        int *err)
{
    struct kac_dpdk_sess *s;

    if (alg->kind != KAC_KIND_DIGEST || keylen > 0)
        return sess_create(alg, enc, key, keylen, ivlen, taglen, aadlen, err);
    /* every digest message comes here: no lock once the session exists */
    s = __atomic_load_n(&digest_sess[alg->id], __ATOMIC_ACQUIRE);
    if (s != NULL && s->gen == kac_fork_gen())
        return s;
    pthread_mutex_lock(&digest_lock);
    s = digest_sess[alg->id];
    if (s == NULL || s->gen != kac_fork_gen()) {
        s = sess_create(alg, 1, NULL, 0, 0, 0, 0, err);
        if (s != NULL) {
            s->shared = 1;
            /* a parent's session stays the parent's */
            __atomic_store_n(&digest_sess[alg->id], s, __ATOMIC_RELEASE);
        }
    }
    pthread_mutex_unlock(&digest_lock);
    return s;
}

void kac_dpdk_sess_free(struct kac_dpdk_sess *s)
{
    if (s == NULL || s->shared)
        return;
    sess_destroy(s);
}

void kac_dpdk_release(void)
{
    int a;

    pthread_mutex_lock(&digest_lock);
    for (a = 0; a < KAC_ALG_COUNT; a++) {
        struct kac_dpdk_sess *s = digest_sess[a];

        __atomic_store_n(&digest_sess[a], NULL, __ATOMIC_RELEASE);
        if (s != NULL)
            sess_destroy(s);
    }
    pthread_mutex_unlock(&digest_lock);
}

static void sess_destroy(struct kac_dpdk_sess *s)
{
    /*
     * A child never touches its parent's DPDK memory: the session stays there.
     * Nor does a hardware device given up on get its sessions back: ops it
     * still holds may use them.  (A software PMD only works inside kaccel's
     * calls, which it never gets again.)
     */
    if (s->gen == kac_fork_gen() && kac_dpdk.state == KAC_DPDK_UP
        && !(__atomic_load_n(&kac_dpdk.devs[s->dev].stuck, __ATOMIC_ACQUIRE)
             && !kac_dpdk.devs[s->dev].zero_copy)) {
        kac_dpdk_in_pmd++;
        pthread_mutex_lock(&pool_lock);
        rte_cryptodev_sym_session_free(kac_dpdk.devs[s->dev].dev_id, s->sess);
        pthread_mutex_unlock(&pool_lock);
        kac_dpdk_in_pmd--;
    }
    free(s);
}

int kac_dpdk_sess_matches(const struct kac_dpdk_sess *s, int enc, unsigned ivlen,
                          unsigned taglen, unsigned aadlen)
{
    return s != NULL && s->gen == kac_fork_gen() && s->enc == enc
           && (s->alg->kind == KAC_KIND_CIPHER || s->ivlen == ivlen) && s->taglen == taglen
           && s->aadlen == aadlen;
}

/* ---- ops ---- */

static void extbuf_noop_free(void *addr, void *opaque)
{
}

static void attach(struct rte_mbuf *m, void *p, size_t len, struct rte_mbuf_ext_shared_info *sh)
{
    rte_iova_t iova = kac_dpdk.iova_va ? (rte_iova_t)(uintptr_t)p : RTE_BAD_IOVA;

    sh->free_cb = extbuf_noop_free;
    sh->fcb_opaque = NULL;
    rte_mbuf_ext_refcnt_set(sh, 1);
    rte_pktmbuf_attach_extbuf(m, p, iova, (uint16_t)len, sh);
    m->data_off = 0;
    m->data_len = (uint16_t)len;
    m->pkt_len = (uint32_t)len;
}

/*
 * Returns n ops and their mbufs to the pools, under one hold of the pool lock.
 * What they held of the caller's data is wiped first: the digest or tag, and
 * for a device that copies (hardware), the data copied into the mbuf.
 */
static void ops_release(struct rte_crypto_op **ops, unsigned n)
{
    struct kac_dthread *t = thread_state();
    struct rte_mempool_cache *opc = t != NULL ? t->opc : NULL, *mbc = t != NULL ? t->mbc : NULL;
    struct rte_mbuf *mb[64]; /* small: this runs on ASYNC jobs' 32 KiB stacks */
    unsigned i, nm = 0;

    for (i = 0; i < n; i++) {
        struct rte_mbuf *m = ops[i]->sym->m_src, *md = ops[i]->sym->m_dst;

        if (nm + 2 > sizeof(mb) / sizeof(mb[0])) {
            pool_put(kac_dpdk.mbuf_pool, mbc, (void *const *)mb, nm);
            nm = 0;
        }
        if (m != NULL && !RTE_MBUF_HAS_EXTBUF(m) && m->data_len > 0)
            OPENSSL_cleanse(rte_pktmbuf_mtod(m, void *), m->data_len);
        OPENSSL_cleanse(KAC_DPDK_PRIV(ops[i])->digest, sizeof(KAC_DPDK_PRIV(ops[i])->digest));
        /* detached from the caller's buffers; what is left goes back to the pool */
        if (m != NULL && (m = rte_pktmbuf_prefree_seg(m)) != NULL)
            mb[nm++] = m;
        if (md != NULL && (md = rte_pktmbuf_prefree_seg(md)) != NULL)
            mb[nm++] = md;
        ops[i]->sym->m_src = ops[i]->sym->m_dst = NULL;
    }
    pool_put(kac_dpdk.mbuf_pool, mbc, (void *const *)mb, nm);
    pool_put(kac_dpdk.op_pool, opc, (void *const *)ops, n);
}

/*
 * An op over len bytes from in to out (equal: in place), with the data
 * placed for the device.  NULL when the pools are exhausted.
 */
static struct rte_crypto_op *op_new(struct kac_dthread *t, struct kac_dpdk_sess *s,
                                    struct kac_dreq *req,
                                    const unsigned char *in, unsigned char *out, size_t len)
{
    const struct kac_ddev *dev = &kac_dpdk.devs[s->dev];
    int oop = dev->zero_copy && dev->oop && out != NULL && out != in;
    struct rte_crypto_op *op;
    struct kac_dpriv *p;
    struct rte_mbuf *m, *md = NULL;
    struct rte_mempool_cache *opc = t != NULL ? t->opc : NULL, *mbc = t != NULL ? t->mbc : NULL;
    void *mb[2];

    if (kac_fault(KAC_FAULT_DPDK_OP_ALLOC) != 0)
        return NULL;
    if (pool_get(kac_dpdk.op_pool, opc, (void **)&op, 1) != 0)
        return NULL;
    if (pool_get(kac_dpdk.mbuf_pool, mbc, mb, oop ? 2 : 1) != 0) {
        pool_put(kac_dpdk.op_pool, opc, (void *const *)&op, 1);
        return NULL;
    }
    __rte_crypto_op_reset(op, RTE_CRYPTO_OP_TYPE_SYMMETRIC);
    m = mb[0];
    rte_pktmbuf_reset(m);
    if (oop) {
        md = mb[1];
        rte_pktmbuf_reset(md);
    }
    op->sym->m_src = m;
    op->sym->m_dst = md;
    p = KAC_DPDK_PRIV(op);
    p->req = req;
    p->out = NULL;
    p->md = NULL;
    p->len = len;
    if (dev->zero_copy) {
        if (out == NULL || out == in) {
            attach(m, (void *)in, len, &p->shinfo[0]);
        } else if (oop) {
            attach(m, (void *)in, len, &p->shinfo[0]);
            attach(md, out, len, &p->shinfo[1]);
        } else {
            memcpy(out, in, len);
            attach(m, out, len, &p->shinfo[0]);
        }
    } else {
        char *data = rte_pktmbuf_append(m, (uint16_t)len);

        if (data == NULL) {
            ops_release(&op, 1);
            return NULL;
        }
        memcpy(data, in, len);
        p->out = out;
    }
    rte_crypto_op_attach_sym_session(op, s->sess);
    return op;
}

/*
 * A dequeued op's result into its request.  The op itself goes back to the
 * pools with its burst (ops_release): it no longer refers to the request.
 */
static void complete(struct rte_crypto_op *op)
{
    struct kac_dpriv *p = KAC_DPDK_PRIV(op);
    struct kac_dreq *req = p->req;
    int e;

    if (req == &orphan) {
        OPENSSL_cleanse(p->iv, sizeof(p->iv));
        return;
    }
    e = kac_fault(KAC_FAULT_DPDK_STATUS);
    if (e != 0)
        op->status = e == EBADMSG ? RTE_CRYPTO_OP_STATUS_AUTH_FAILED : RTE_CRYPTO_OP_STATUS_ERROR;
    if (op->status == RTE_CRYPTO_OP_STATUS_SUCCESS) {
        if (p->out != NULL)
            memcpy(p->out, rte_pktmbuf_mtod(op->sym->m_src, void *), p->len);
        if (p->md != NULL)
            memcpy(p->md, p->digest, p->mdlen);
    } else {
        int r = op->status == RTE_CRYPTO_OP_STATUS_AUTH_FAILED ? -EBADMSG : -EIO;

        if (r == -EIO)
            ST_ADD(op_errors, 1);
        KAC_DBG("dpdk: op status %d", (int)op->status);
        if (req->status == 0 || r == -EIO)
            req->status = r;
    }
    OPENSSL_cleanse(p->iv, sizeof(p->iv));
    req->done[p->idx / 64] |= (uint64_t)1 << (p->idx % 64); /* qp->lock held */
    __atomic_sub_fetch(&req->pending, 1, __ATOMIC_RELEASE);
}

/*
 * Dequeues bursts until the queue pair returns less than a burst; returns the
 * ops seen, of which *mine belonged to req.
 */
static unsigned dequeue(struct kac_dqp *qp, const struct kac_dreq *req, unsigned *mine)
{
    struct rte_crypto_op *ops[KAC_DPDK_MAX_BURST];
    unsigned total = 0, burst = kac_dpdk.burst, n, i;
    int e;

    do {
        if ((e = kac_fault(KAC_FAULT_DPDK_DEQUEUE)) == EAGAIN)
            break; /* as if nothing had completed yet */
        kac_dpdk_in_pmd++;
        /* an injected short burst: at most one op; the rest stay in the device */
        n = rte_cryptodev_dequeue_burst(qp->dev_id, qp->qp_id, ops, (uint16_t)(e ? 1 : burst));
        kac_dpdk_in_pmd--;
        if (n == 0)
            break;
        ST_ADD(bursts_deq, 1);
        note_burst(n);
        qp->inflight -= n;
        for (i = 0; i < n; i++) {
            *mine += KAC_DPDK_PRIV(ops[i])->req == req;
            complete(ops[i]);
        }
        ops_release(ops, n);
        total += n;
    } while (n == burst);
    return total;
}

static unsigned enqueue(struct kac_dqp *qp, struct rte_crypto_op **ops, unsigned n)
{
    unsigned done = 0, burst = kac_dpdk.burst;

    while (done < n) {
        unsigned want = n - done < burst ? n - done : burst, got;

        if (kac_fault(KAC_FAULT_DPDK_ENQUEUE) != 0)
            break;
        kac_dpdk_in_pmd++;
        got = rte_cryptodev_enqueue_burst(qp->dev_id, qp->qp_id, ops + done, (uint16_t)want);
        kac_dpdk_in_pmd--;
        if (got > 0)
            ST_ADD(bursts_enq, 1);
        qp->inflight += got;
        done += got;
        if (got < want)
            break;
    }
    return done;
}

/*
 * Hands the staged ops to the device in bursts (qp->lock held); what the
 * device does not take stays staged, in order.
 */
static void flush(struct kac_dqp *qp)
{
    unsigned k;

    if (qp->nstaged == 0)
        return;
    k = enqueue(qp, qp->staged, qp->nstaged);
    if (k > 0 && k < qp->nstaged)
        memmove(qp->staged, qp->staged + k, (qp->nstaged - k) * sizeof(*qp->staged));
    qp->nstaged -= k;
}

/* How many of req's ops are still staged (qp->lock held); take: remove them. */
static unsigned staged_of(struct kac_dqp *qp, const struct kac_dreq *req, int take)
{
    unsigned i, j = 0, found = 0;

    for (i = 0; i < qp->nstaged; i++) {
        if (KAC_DPDK_PRIV(qp->staged[i])->req == req) {
            found++;
            if (take)
                continue;
        }
        qp->staged[j++] = qp->staged[i];
    }
    qp->nstaged = j;
    return found;
}

/* ---- waiting: ASYNC jobs pause, other callers poll ---- */

/*
 * A job waiting on DPDK asks to be resumed at once (the first job resumed
 * dequeues for all), so its wait fd is made readable and left so: a job that
 * pauses again finds it still set, and no operation pays for an eventfd write
 * and read.  Applications look at a job's wait fds only while it is paused,
 * where this is what kaccel wants.  Another backend's wait on the same
 * context (AF_ALG, which waits for real completions) first resets it
 * (kac_dpdk_wait_quiet).
 */
struct kac_dwait {
    int armed; /* the eventfd is readable */
};

static void wait_fd_cleanup(ASYNC_WAIT_CTX *ctx, const void *key, OSSL_ASYNC_FD fd, void *custom)
{
    close(fd);
    free(custom);
}

/* Makes the job's wait fd (or callback) say "resume me"; 0 when pausing is impossible. */
static int signal_resume(ASYNC_JOB *job)
{
    ASYNC_WAIT_CTX *w = ASYNC_get_wait_ctx(job);
    ASYNC_callback_fn fn = NULL;
    void *arg = NULL, *custom = NULL;
    struct kac_dwait *dw;
    OSSL_ASYNC_FD fd;

    if (w == NULL)
        return 0;
    if (ASYNC_WAIT_CTX_get_callback(w, &fn, &arg) && fn != NULL) {
        ASYNC_WAIT_CTX_set_status(w, ASYNC_STATUS_OK);
        fn(arg);
        return 1;
    }
    if (!ASYNC_WAIT_CTX_get_fd(w, &kac_dpdk_wait_key, &fd, &custom)) {
        dw = calloc(1, sizeof(*dw));
        fd = dw != NULL ? kac_sys_eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC) : -1;
        if (fd < 0) {
            free(dw);
            return 0;
        }
        if (!ASYNC_WAIT_CTX_set_wait_fd(w, &kac_dpdk_wait_key, fd, dw, wait_fd_cleanup)) {
            close(fd);
            free(dw);
            return 0;
        }
        custom = dw;
    }
    dw = custom;
    if (dw->armed)
        return 1;
    if (kac_sys_eventfd_write(fd, 1) != sizeof(uint64_t) && errno != EAGAIN)
        return 0;
    dw->armed = 1;
    return 1;
}

void kac_dpdk_wait_quiet(ASYNC_WAIT_CTX *w)
{
    void *custom = NULL;
    struct kac_dwait *dw;
    OSSL_ASYNC_FD fd;
    uint64_t v;

    if (w == NULL || !ASYNC_WAIT_CTX_get_fd(w, &kac_dpdk_wait_key, &fd, &custom))
        return;
    dw = custom;
    if (dw->armed) {
        (void)!kac_sys_eventfd_read(fd, &v); /* one read resets it */
        dw->armed = 0;
    }
}

/*
 * Gives up on req's ops (qp->lock held): those still staged or never
 * enqueued go back to the pools; those the device holds are left to it,
 * pointing at nothing of the caller's.  ops[0..next) were handed over
 * (staged or enqueued).  A device that did not complete them is not
 * trusted with the memory they use again: it is never used after this.
 */
static void abandon(struct kac_dqp *qp, struct kac_dreq *req, struct rte_crypto_op **ops,
                    unsigned n, unsigned next)
{
    struct rte_crypto_op *back[KAC_DPDK_MAX_BURST];
    unsigned i, j = 0, nb = 0;

    for (i = 0; i < qp->nstaged; i++) {
        struct kac_dpriv *p = KAC_DPDK_PRIV(qp->staged[i]);

        if (p->req == req) {
            req->done[p->idx / 64] |= (uint64_t)1 << (p->idx % 64);
            back[nb++] = qp->staged[i];
        } else {
            qp->staged[j++] = qp->staged[i];
        }
    }
    qp->nstaged = j;
    for (i = next; i < n; i++)
        back[nb++] = ops[i];
    for (i = 0; i < next; i++)
        if (!(req->done[i / 64] & ((uint64_t)1 << (i % 64)))) {
            struct kac_dpriv *p = KAC_DPDK_PRIV(ops[i]);

            p->req = &orphan;
            p->out = NULL;
            p->md = NULL;
        }
    if (nb > 0)
        ops_release(back, nb);
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* No room (queue pair, depth or pools): the n ops go back, the caller uses software. */
static int give_back_full(struct rte_crypto_op **ops, unsigned n)
{
    ops_release(ops, n);
    ST_ADD(full, 1);
    return KAC_DPDK_FULL;
}

/*
 * Runs n ops of one request on the thread's queue pair for device d and waits
 * for all of them.  Returns 0, KAC_DPDK_FULL (nothing was enqueued; the ops
 * are freed) or -errno.
 *
 * Inside an ASYNC job that can pause, the ops are staged, not enqueued: the
 * job tells the application to resume it at once and pauses, the
 * application runs its other jobs, which stage theirs, and the first job
 * resumed enqueues every staged op in one burst and dequeues for all.  A lone
 * job is held back by one pause and resume only.  Outside a job (or when the
 * staging area is full) the caller enqueues what is staged and its own ops
 * at once.
 *
 * A device that completes nothing for kaccel-dpdk-timeout while this request
 * waits is given up: the request returns -ETIMEDOUT (its caller redoes it in
 * software), and every request on that device after it does the same at once.
 */
static int run(struct kac_dthread *t, struct kac_dpdk_sess *s, struct rte_crypto_op **ops,
               unsigned n, struct kac_dreq *req)
{
    struct kac_dqp *qp;
    ASYNC_JOB *job;
    struct kac_ddev *dev = &kac_dpdk.devs[s->dev];
    unsigned next, spins = 0, seen, seen_total = 0, mine = 0, i;
    int sw_pmd = dev->zero_copy, paused = 0, staged = 0;
    uint64_t quiet_since = 0; /* ms: since when dequeues found nothing */

    if (t == NULL || t->inflight + n > kac_dpdk.depth)
        goto full;
    if (__atomic_load_n(&dev->stuck, __ATOMIC_ACQUIRE)) {
        ops_release(ops, n);
        return -ETIMEDOUT;
    }
    qp = thread_qp(t, s->dev);
    req->pending = n;
    req->status = 0;
    memset(req->done, 0, sizeof(req->done));
    for (i = 0; i < n; i++)
        KAC_DPDK_PRIV(ops[i])->idx = i;
    job = ASYNC_get_current_job();
    if (job != NULL && sw_pmd && t->inline_left > 0) {
        t->inline_left--;
        job = NULL; /* nobody to batch with lately: no pause */
    }
    pthread_mutex_lock(&qp->lock);
    if (job != NULL && ASYNC_get_wait_ctx(job) != NULL
        && qp->nstaged + n <= KAC_DPDK_MAX_BURST) {
        memcpy(qp->staged + qp->nstaged, ops, n * sizeof(*ops));
        qp->nstaged += n;
        next = n;
        staged = 1;
    } else {
        flush(qp);
        next = enqueue(qp, ops, n);
    }
    pthread_mutex_unlock(&qp->lock);
    if (next == 0)
        goto full;
    ST_ADD(ops, n);
    t->inflight += n;
    for (;;) {
        if (job != NULL && signal_resume(job)) {
            /* Let the other jobs stage; the first one resumed enqueues and dequeues for all. */
            ST_ADD(pauses, 1);
            if (!ASYNC_pause_job())
                job = NULL;
            else
                paused++;
        } else if (spins++ > 64) {
            sched_yield();
        }
        /* Done by another's dequeue: leave what others queued for one big burst. */
        if (next == n && __atomic_load_n(&req->pending, __ATOMIC_ACQUIRE) == 0)
            break;
        pthread_mutex_lock(&qp->lock);
        if (__atomic_load_n(&dev->stuck, __ATOMIC_ACQUIRE))
            goto given_up; /* by another request meanwhile: not touched again */
        flush(qp);
        if (staged && qp->nstaged > 0 && staged_of(qp, req, 0) == n) {
            /* the device took none of ours: software does them */
            staged_of(qp, req, 1);
            pthread_mutex_unlock(&qp->lock);
            t->inflight -= n;
            __atomic_sub_fetch(&st.ops, n, __ATOMIC_RELAXED);
            goto full;
        }
        staged = 0;
        if (next < n)
            next += enqueue(qp, ops + next, n - next);
        seen = dequeue(qp, req, &mine);
        if (seen > 0 || __atomic_load_n(&req->pending, __ATOMIC_ACQUIRE) == 0) {
            quiet_since = 0;
        } else if (quiet_since == 0) {
            quiet_since = now_ms();
        } else if (now_ms() - quiet_since >= kac_dpdk.timeout_ms) {
            __atomic_store_n(&dev->stuck, 1, __ATOMIC_RELEASE);
            ST_ADD(timeouts, 1);
            KAC_DBG("dpdk: %s queue pair %u completed nothing in %u ms with %u ops of this "
                    "request in it: device given up (kaccel-dpdk-timeout); software from now",
                    dev->name, qp->qp_id, kac_dpdk.timeout_ms,
                    __atomic_load_n(&req->pending, __ATOMIC_ACQUIRE));
            goto given_up;
        }
        pthread_mutex_unlock(&qp->lock);
        seen_total += seen;
        if (next == n && __atomic_load_n(&req->pending, __ATOMIC_ACQUIRE) == 0)
            break;
        if (seen > 0)
            spins = 0;
    }
    t->inflight -= n;
    if (paused == 1 && sw_pmd) {
        /*
         * Company is another job's op in our dequeue, or ours in another's.
         * A thread whose paused waits find none for a while stops pausing.
         */
        if (mine == n && seen_total == n) {
            if (++t->lone >= KAC_LONE_LIMIT) {
                t->inline_left = KAC_INLINE_RUN;
                t->lone = 0;
            }
        } else {
            t->lone = 0;
        }
    }
    return req->status;
given_up: /* qp->lock held */
    abandon(qp, req, ops, n, next);
    pthread_mutex_unlock(&qp->lock);
    t->inflight -= n;
    return -ETIMEDOUT;
full:
    return give_back_full(ops, n);
}

int kac_dpdk_cipher(struct kac_dpdk_sess *s, const unsigned char *iv,
                    const unsigned char *in, unsigned char *out, size_t len, size_t *donep)
{
    struct rte_crypto_op *ops[KAC_DPDK_MAX_BURST];
    struct kac_dreq req;
    struct kac_dthread *t = thread_state();
    unsigned char civ[16];
    enum kac_mode mode = s->alg->mode;
    size_t done = 0, built, max_op = kac_dpdk.devs[s->dev].max_op;
    int r = 0;

    *donep = 0;
    if (len == 0 || len % 16 != 0 || (mode == KAC_MODE_XTS && len > max_op)
        || (in < out + len && out < in + len))
        return -EINVAL;
    if (mode != KAC_MODE_ECB)
        memcpy(civ, iv, 16);
    while (done < len) {
        /* CBC encryption chains op to op; the rest runs a whole burst at once. */
        unsigned max = mode == KAC_MODE_CBC && s->enc ? 1 : kac_dpdk.burst, n = 0;

        for (built = done; n < max && built < len; n++) {
            size_t c = len - built > max_op ? max_op : len - built;
            struct rte_crypto_op *op;

            if (mode == KAC_MODE_CTR) {
                /*
                 * PMDs increment only part of the counter block (aesni_mb: the
                 * low 32 bits): no op may wrap them; the next op carries into
                 * the upper bits (kac_ctr128_add), as OpenSSL's 128-bit counter does.
                 */
                uint64_t left = ((uint64_t)1 << 32)
                                - ((uint32_t)civ[12] << 24 | (uint32_t)civ[13] << 16
                                   | (uint32_t)civ[14] << 8 | civ[15]);

                if (c / 16 > left)
                    c = (size_t)left * 16;
            }
            op = op_new(t, s, &req, in + built, out + built, c);
            if (op == NULL) {
                r = give_back_full(ops, n);
                goto out;
            }
            op->sym->cipher.data.offset = 0;
            op->sym->cipher.data.length = (uint32_t)c;
            if (mode != KAC_MODE_ECB)
                memcpy(KAC_DPDK_PRIV(op)->iv, civ, 16);
            if (mode == KAC_MODE_CTR)
                kac_ctr128_add(civ, c / 16);
            else if (mode == KAC_MODE_CBC && !s->enc)
                memcpy(civ, in + built + c - 16, 16);
            ops[n] = op;
            built += c;
        }
        r = run(t, s, ops, n, &req);
        if (r != 0)
            break;
        done = built;
        *donep = done;
        if (mode == KAC_MODE_CBC && s->enc)
            memcpy(civ, out + done - 16, 16);
    }
out:
    OPENSSL_cleanse(civ, sizeof(civ));
    return r;
}

int kac_dpdk_aead(struct kac_dpdk_sess *s, const unsigned char *iv,
                  const unsigned char *aad, size_t aadlen,
                  const unsigned char *in, unsigned char *out, size_t len,
                  unsigned char *tag)
{
    struct rte_crypto_op *op;
    struct kac_dpriv *p;
    struct kac_dreq req;
    struct kac_dthread *t = thread_state();
    size_t aoff = s->alg->mode == KAC_MODE_CCM ? 18 : 0;
    int r;

    if (len == 0 || len > kac_dpdk.devs[s->dev].max_op || aadlen != s->aadlen
        || aadlen > KAC_DPDK_MAX_AAD || (in < out + len && out < in + len))
        return -EINVAL;
    op = op_new(t, s, &req, in, out, len);
    if (op == NULL)
        return give_back_full(&op, 0);
    p = KAC_DPDK_PRIV(op);
    memset(p->iv, 0, sizeof(p->iv));
    memcpy(p->iv + (s->alg->mode == KAC_MODE_CCM ? 1 : 0), iv, s->ivlen);
    if (aadlen > 0) /* aad may be NULL then */
        memcpy(p->aad + aoff, aad, aadlen);
    op->sym->aead.data.offset = 0;
    op->sym->aead.data.length = (uint32_t)len;
    op->sym->aead.aad.data = p->aad;
    op->sym->aead.aad.phys_addr =
        rte_crypto_op_ctophys_offset(op, KAC_DPDK_IV_OFFSET + offsetof(struct kac_dpriv, aad));
    op->sym->aead.digest.data = p->digest;
    op->sym->aead.digest.phys_addr =
        rte_crypto_op_ctophys_offset(op, KAC_DPDK_IV_OFFSET + offsetof(struct kac_dpriv, digest));
    if (s->enc) {
        p->md = tag;
        p->mdlen = s->taglen;
    } else {
        memcpy(p->digest, tag, s->taglen);
    }
    r = run(t, s, &op, 1, &req);
    if (r == -EBADMSG || (r < 0 && !s->enc))
        OPENSSL_cleanse(out, len); /* no plaintext from a failed tag */
    return r;
}

int kac_dpdk_hash(struct kac_dpdk_sess *s, const unsigned char *in, size_t len,
                  unsigned char *md)
{
    struct rte_crypto_op *op;
    struct kac_dpriv *p;
    struct kac_dreq req;
    struct kac_dthread *t = thread_state();

    if (len == 0 || len > kac_dpdk.devs[s->dev].max_op)
        return -EINVAL;
    op = op_new(t, s, &req, in, NULL, len);
    if (op == NULL)
        return give_back_full(&op, 0);
    p = KAC_DPDK_PRIV(op);
    p->out = NULL; /* the data is only read */
    p->md = md;
    p->mdlen = s->alg->outlen;
    op->sym->auth.data.offset = 0;
    op->sym->auth.data.length = (uint32_t)len;
    op->sym->auth.digest.data = p->digest;
    op->sym->auth.digest.phys_addr =
        rte_crypto_op_ctophys_offset(op, KAC_DPDK_IV_OFFSET + offsetof(struct kac_dpriv, digest));
    return run(t, s, &op, 1, &req);
}
