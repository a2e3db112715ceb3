/*
 * DPDK bring-up: the EAL (lazily, once per process, leaving the application's
 * affinity, signal handlers and terminal alone), the devices, their queue
 * pairs, the mempools, and which device serves which algorithm.
 */
#include "internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <openssl/async.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_version.h>

#include "../afalg/fault.h"
#include "core/fork.h"
#include "core/log.h"

struct kac_dpdk_global kac_dpdk = { .state = KAC_DPDK_OFF };
__thread int kac_dpdk_in_pmd;
static pthread_mutex_t up_lock = PTHREAD_MUTEX_INITIALIZER;

void kac_dpdk_configure(const struct kac_config *cfg)
{
    unsigned i;

    pthread_mutex_lock(&up_lock);
    if (kac_dpdk.state == KAC_DPDK_UP || kac_dpdk.state == KAC_DPDK_FAILED) {
        /* The EAL exists once per process: a second provider load shares it. */
        pthread_mutex_unlock(&up_lock);
        return;
    }
    snprintf(kac_dpdk.eal, sizeof(kac_dpdk.eal), "%s", cfg->dpdk_eal);
    kac_dpdk.ndevices = cfg->ndpdk_devices;
    for (i = 0; i < cfg->ndpdk_devices && i < 8; i++)
        snprintf(kac_dpdk.devices[i], sizeof(kac_dpdk.devices[i]), "%s", cfg->dpdk_devices[i]);
    kac_dpdk.want_qps = cfg->dpdk_queue_pairs ? cfg->dpdk_queue_pairs : KAC_DPDK_DEFAULT_QPS;
    kac_dpdk.burst = cfg->dpdk_burst ? cfg->dpdk_burst : KAC_DPDK_DEFAULT_BURST;
    kac_dpdk.timeout_ms = cfg->dpdk_timeout_ms ? cfg->dpdk_timeout_ms : KAC_DPDK_DEFAULT_TIMEOUT_MS;
    kac_dpdk.depth = cfg->queue_depth;
    if (cfg->dpdk_eal[0] == '\0') {
        kac_dpdk.state = KAC_DPDK_OFF;
        snprintf(kac_dpdk.why, sizeof(kac_dpdk.why), "kaccel-dpdk-eal is not set");
    } else {
        kac_dpdk.state = KAC_DPDK_IDLE;
        kac_dpdk.why[0] = '\0';
    }
    pthread_mutex_unlock(&up_lock);
}

int kac_dpdk_split_args(const char *s, char **argv, int max, char *store, size_t storelen)
{
    int argc = 0;
    char *o = store, *end = store + storelen;

    if (max < 2 || storelen < 8)
        return -1;
    argv[argc++] = strcpy(o, "kaccel");
    o += 7;
    while (*s) {
        char q = 0;

        while (isspace((unsigned char)*s))
            s++;
        if (*s == '\0')
            break;
        if (argc >= max - 1)
            return -1;
        argv[argc++] = o;
        while (*s && (q || !isspace((unsigned char)*s))) {
            if (!q && (*s == '"' || *s == '\'')) {
                q = *s++;
                continue;
            }
            if (q && *s == q) {
                q = 0;
                s++;
                continue;
            }
            if (o + 1 >= end)
                return -1;
            *o++ = *s++;
        }
        if (q)
            return -1; /* unterminated quote */
        if (o + 1 >= end)
            return -1;
        *o++ = '\0';
    }
    argv[argc] = NULL;
    return argc;
}

/* ---- EAL logs into kaccel's debug log ---- */

static ssize_t log_write(void *cookie, const char *buf, size_t len)
{
    size_t n = len;

    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    if (n > 0)
        KAC_DBG("dpdk: %.*s", (int)n, buf);
    return (ssize_t)len;
}

static FILE *log_stream(void)
{
    static FILE *f;
    cookie_io_functions_t io = { .write = log_write };

    if (f == NULL) {
        f = fopencookie(NULL, "w", io);
        if (f != NULL)
            setvbuf(f, NULL, _IOLBF, 0);
    }
    return f;
}

/* ---- descriptors the bring-up opens: close-on-exec ---- */

/*
 * The EAL opens descriptors without O_CLOEXEC: its interrupt pipe and epoll
 * instance, the alarm timerfd, the file holding DPDK memory (a memfd with
 * --no-huge or --in-memory, hugepage files otherwise), device files.  They
 * live in the application's process, and DPDK memory holds kaccel's sessions
 * (keys) and copies of data: a program the application runs must not inherit
 * them.  Every descriptor that appears during the bring-up is made
 * close-on-exec (one an application thread opened meanwhile without
 * O_CLOEXEC would be too).  Not covered: the epoll instance the EAL's
 * interrupt thread makes anew when interrupt sources change later.
 */
struct fdset {
    int taken;
    int *fd;
    size_t n;
};

static int fd_cmp(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

static void fds_take(struct fdset *s)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    size_t cap = 0;

    s->taken = 0;
    s->fd = NULL;
    s->n = 0;
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (s->n == cap) {
            int *nf = realloc(s->fd, (cap = cap ? 2 * cap : 64) * sizeof(*nf));

            if (nf == NULL) {
                closedir(d);
                free(s->fd);
                s->fd = NULL;
                return;
            }
            s->fd = nf;
        }
        s->fd[s->n++] = atoi(e->d_name);
    }
    closedir(d);
    qsort(s->fd, s->n, sizeof(*s->fd), fd_cmp);
    s->taken = 1;
}

static void fds_cloexec_new(struct fdset *s)
{
    DIR *d = s->taken ? opendir("/proc/self/fd") : NULL;
    struct dirent *e;

    while (d != NULL && (e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name), fl;

        if (e->d_name[0] == '.' || fd == dirfd(d)
            || bsearch(&fd, s->fd, s->n, sizeof(*s->fd), fd_cmp) != NULL)
            continue;
        fl = fcntl(fd, F_GETFD);
        if (fl >= 0 && !(fl & FD_CLOEXEC) && fcntl(fd, F_SETFD, fl | FD_CLOEXEC) == 0)
            KAC_DBG("dpdk: descriptor %d opened by the EAL made close-on-exec", fd);
    }
    if (d != NULL)
        closedir(d);
    free(s->fd);
    s->fd = NULL;
    s->taken = 0;
}

/* ---- what the application owns, saved around rte_eal_init ---- */

struct app_state {
    cpu_set_t cpus;
    int have_cpus;
    sigset_t mask;
    struct sigaction act[_NSIG];
};

static void app_save(struct app_state *s)
{
    int sig;

    s->have_cpus = pthread_getaffinity_np(pthread_self(), sizeof(s->cpus), &s->cpus) == 0;
    pthread_sigmask(SIG_SETMASK, NULL, &s->mask);
    for (sig = 1; sig < _NSIG; sig++)
        if (sigaction(sig, NULL, &s->act[sig]) != 0)
            memset(&s->act[sig], 0, sizeof(s->act[sig]));
}

static void app_restore(const struct app_state *s)
{
    int sig;

    if (s->have_cpus)
        pthread_setaffinity_np(pthread_self(), sizeof(s->cpus), &s->cpus);
    pthread_sigmask(SIG_SETMASK, &s->mask, NULL);
    for (sig = 1; sig < _NSIG; sig++) {
        struct sigaction now;

        if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &now) != 0)
            continue;
        if (memcmp(&now.sa_handler, &s->act[sig].sa_handler, sizeof(now.sa_handler)) != 0
            || now.sa_flags != s->act[sig].sa_flags) {
            KAC_DBG("dpdk: EAL changed the disposition of signal %d: restored", sig);
            sigaction(sig, &s->act[sig], NULL);
        }
    }
}

/*
 * rte_eal_init() writes to stdout and stderr itself when it fails (getopt's
 * complaint, the whole usage text, "EAL: FATAL: ..."), which would land in
 * the application's output (`openssl enc` writing to stdout...).  While it
 * runs, descriptors 1 and 2 point at a memory file; what it wrote goes to the
 * debug log.  The window is the bring-up only; an application thread writing
 * to 1 or 2 during it would be captured as well.
 */
struct quiet {
    int mem, saved[3];
};

static void quiet_begin(struct quiet *q)
{
    int fd;

    q->mem = memfd_create("kaccel-eal-output", MFD_CLOEXEC);
    if (q->mem >= 0 && q->mem < 3) { /* 1 or 2 was closed: keep the file above them */
        int m = fcntl(q->mem, F_DUPFD_CLOEXEC, 3);

        close(q->mem);
        q->mem = m;
    }
    if (q->mem < 0)
        return;
    fflush(stdout); /* the application's pending output goes where it was going */
    fflush(stderr);
    for (fd = 1; fd <= 2; fd++) {
        q->saved[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 3); /* -1: it was closed */
        dup2(q->mem, fd);
    }
}

static void quiet_end(struct quiet *q)
{
    char line[512];
    unsigned n = 0;
    FILE *f;
    int fd;

    if (q->mem < 0)
        return;
    fflush(stdout);
    fflush(stderr);
    for (fd = 1; fd <= 2; fd++) {
        if (q->saved[fd] >= 0) {
            dup2(q->saved[fd], fd);
            close(q->saved[fd]);
        } else {
            close(fd);
        }
    }
    if (lseek(q->mem, 0, SEEK_SET) != 0 || (f = fdopen(q->mem, "r")) == NULL) {
        close(q->mem);
        return;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        size_t len = strcspn(line, "\r\n");

        if (strncmp(line, "kaccel[", 7) == 0) {
            /* kaccel's own log (KACCEL_DEBUG=1 logs to stderr): where it was going */
            if (write(2, line, strlen(line)) < 0)
                break;
            continue;
        }
        if (len > 0 && n++ < 20)
            KAC_DBG("dpdk: EAL printed: %.*s", (int)len, line);
    }
    if (n > 20)
        KAC_DBG("dpdk: EAL printed %u more lines", n - 20);
    fclose(f);
}

static int has_arg(char **argv, int argc, const char *const *names)
{
    int i, j;

    for (i = 1; i < argc; i++)
        for (j = 0; names[j] != NULL; j++) {
            size_t n = strlen(names[j]);

            if (strncmp(argv[i], names[j], n) == 0
                && (argv[i][n] == '\0' || argv[i][n] == '='
                    || (names[j][1] != '-' && argv[i][n] != '\0')))
                return 1;
        }
    return 0;
}

/* "--lcores=0@(a,b,...)": the main lcore may run on every CPU the caller may use. */
static int lcores_arg(const struct app_state *s, char *buf, size_t len)
{
    size_t o;
    int cpu, first = 1;

    if (!s->have_cpus)
        return 0;
    o = (size_t)snprintf(buf, len, "--lcores=0@(");
    for (cpu = 0; cpu < CPU_SETSIZE && o + 8 < len; cpu++)
        if (CPU_ISSET(cpu, &s->cpus)) {
            o += (size_t)snprintf(buf + o, len - o, "%s%d", first ? "" : ",", cpu);
            first = 0;
        }
    if (first || o + 2 >= len)
        return 0;
    snprintf(buf + o, len - o, ")");
    return 1;
}

/* ---- devices and capabilities ---- */

/*
 * Preference rank of a device: its position in kaccel-dpdk-devices (by device
 * or PMD name); 0 for every device when the list is empty; ~0u when unlisted.
 */
static unsigned dev_rank(const char *name, const char *driver)
{
    unsigned i;

    if (kac_dpdk.ndevices == 0)
        return 0;
    for (i = 0; i < kac_dpdk.ndevices; i++)
        if (strcmp(kac_dpdk.devices[i], name) == 0 || strcmp(kac_dpdk.devices[i], driver) == 0)
            return i;
    return ~0u;
}

int kac_dpdk_cipher_algo(enum kac_mode m, enum rte_crypto_cipher_algorithm *a)
{
    switch (m) {
    case KAC_MODE_ECB: *a = RTE_CRYPTO_CIPHER_AES_ECB; return 1;
    case KAC_MODE_CBC: *a = RTE_CRYPTO_CIPHER_AES_CBC; return 1;
    case KAC_MODE_CTR: *a = RTE_CRYPTO_CIPHER_AES_CTR; return 1;
    case KAC_MODE_XTS: *a = RTE_CRYPTO_CIPHER_AES_XTS; return 1;
    default: return 0;
    }
}

int kac_dpdk_aead_algo(enum kac_mode m, enum rte_crypto_aead_algorithm *a)
{
    switch (m) {
    case KAC_MODE_GCM: *a = RTE_CRYPTO_AEAD_AES_GCM; return 1;
    case KAC_MODE_CCM: *a = RTE_CRYPTO_AEAD_AES_CCM; return 1;
    case KAC_MODE_CHACHAPOLY: *a = RTE_CRYPTO_AEAD_CHACHA20_POLY1305; return 1;
    default: return 0;
    }
}

int kac_dpdk_auth_algo(const struct kac_alg *a, enum rte_crypto_auth_algorithm *out)
{
    static const struct { enum kac_alg_id id; enum rte_crypto_auth_algorithm algo; } map[] = {
        { KAC_SHA1, RTE_CRYPTO_AUTH_SHA1 },
        { KAC_SHA2_224, RTE_CRYPTO_AUTH_SHA224 },
        { KAC_SHA2_256, RTE_CRYPTO_AUTH_SHA256 },
        { KAC_SHA2_384, RTE_CRYPTO_AUTH_SHA384 },
        { KAC_SHA2_512, RTE_CRYPTO_AUTH_SHA512 },
        { KAC_SHA3_224, RTE_CRYPTO_AUTH_SHA3_224 },
        { KAC_SHA3_256, RTE_CRYPTO_AUTH_SHA3_256 },
        { KAC_SHA3_384, RTE_CRYPTO_AUTH_SHA3_384 },
        { KAC_SHA3_512, RTE_CRYPTO_AUTH_SHA3_512 },
        { KAC_HMAC_SHA1, RTE_CRYPTO_AUTH_SHA1_HMAC },
        { KAC_HMAC_SHA2_224, RTE_CRYPTO_AUTH_SHA224_HMAC },
        { KAC_HMAC_SHA2_256, RTE_CRYPTO_AUTH_SHA256_HMAC },
        { KAC_HMAC_SHA2_384, RTE_CRYPTO_AUTH_SHA384_HMAC },
        { KAC_HMAC_SHA2_512, RTE_CRYPTO_AUTH_SHA512_HMAC },
        { KAC_HMAC_SHA3_224, RTE_CRYPTO_AUTH_SHA3_224_HMAC },
        { KAC_HMAC_SHA3_256, RTE_CRYPTO_AUTH_SHA3_256_HMAC },
        { KAC_HMAC_SHA3_384, RTE_CRYPTO_AUTH_SHA3_384_HMAC },
        { KAC_HMAC_SHA3_512, RTE_CRYPTO_AUTH_SHA3_512_HMAC },
        { KAC_CMAC_AES_128, RTE_CRYPTO_AUTH_AES_CMAC },
        { KAC_CMAC_AES_192, RTE_CRYPTO_AUTH_AES_CMAC },
        { KAC_CMAC_AES_256, RTE_CRYPTO_AUTH_AES_CMAC },
    };
    size_t i;

    for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (map[i].id == a->id) {
            *out = map[i].algo;
            return 1;
        }
    return 0;
}

/* 1 when kaccel's DPDK code can express alg at all (before any device is seen). */
static int expressible(const struct kac_alg *a)
{
    enum rte_crypto_cipher_algorithm c;
    enum rte_crypto_aead_algorithm e;
    enum rte_crypto_auth_algorithm h;

    return kac_dpdk_cipher_algo(a->mode, &c) || kac_dpdk_aead_algo(a->mode, &e) || kac_dpdk_auth_algo(a, &h);
}

int kac_dpdk_aead_supported(uint8_t dev, enum rte_crypto_aead_algorithm algo, size_t keylen,
                            unsigned taglen, unsigned aadlen, unsigned ivlen)
{
    struct rte_cryptodev_sym_capability_idx idx = { .type = RTE_CRYPTO_SYM_XFORM_AEAD };
    const struct rte_cryptodev_symmetric_capability *cap;

    idx.algo.aead = algo;
    cap = rte_cryptodev_sym_capability_get(dev, &idx);
    return cap != NULL
           && rte_cryptodev_sym_capability_check_aead(cap, (uint16_t)keylen, (uint16_t)taglen,
                                                      (uint16_t)aadlen, (uint16_t)ivlen) == 0;
}

/* 1 when device dev offers alg with kaccel's sizes. */
static int dev_offers(uint8_t dev, const struct kac_alg *a)
{
    struct rte_cryptodev_sym_capability_idx idx;
    const struct rte_cryptodev_symmetric_capability *cap;
    enum rte_crypto_cipher_algorithm c;
    enum rte_crypto_aead_algorithm e;
    enum rte_crypto_auth_algorithm h;

    memset(&idx, 0, sizeof(idx));
    if (kac_dpdk_cipher_algo(a->mode, &c)) {
        idx.type = RTE_CRYPTO_SYM_XFORM_CIPHER;
        idx.algo.cipher = c;
        cap = rte_cryptodev_sym_capability_get(dev, &idx);
        return cap != NULL
               && rte_cryptodev_sym_capability_check_cipher(cap, (uint16_t)a->keylen,
                                                            (uint16_t)a->ivlen) == 0;
    }
    if (kac_dpdk_aead_algo(a->mode, &e)) /* TLS records: 13 bytes of AAD, default sizes */
        return kac_dpdk_aead_supported(dev, e, a->keylen, a->outlen, 13, a->ivlen);
    if (kac_dpdk_auth_algo(a, &h)) {
        uint16_t keylen = a->kind == KAC_KIND_MAC ? (uint16_t)(a->mode == KAC_MODE_CMAC ? a->keylen : 32) : 0;

        idx.type = RTE_CRYPTO_SYM_XFORM_AUTH;
        idx.algo.auth = h;
        cap = rte_cryptodev_sym_capability_get(dev, &idx);
        return cap != NULL
               && rte_cryptodev_sym_capability_check_auth(cap, keylen, (uint16_t)a->outlen, 0) == 0;
    }
    return 0;
}

/*
 * The crypto_openssl PMD computes with libcrypto in the application's default
 * library context (DPDK 22.11 fetches with a NULL context), and its HMAC and
 * CMAC session setup uses the EVP_MAC it fetched without checking it: where
 * that context has no implementation, creating the session crashes.  That is
 * the case in an application that loaded other providers only, and in one
 * where a failed explicit load turned the default provider's automatic loading
 * off (the PMD's own attempt to load "legacy" does that when it is not
 * installed).  kaccel asks the same context, once at bring-up, and leaves
 * what it cannot fetch there off that device.
 */
static int pmd_fetches(const struct kac_ddev *d, const struct kac_alg *a)
{
    char sub[32];
    int ok;

    if (strcmp(d->driver, "crypto_openssl") != 0)
        return 1;
    /* (what the fetches leave on the error queue, bring_up_quiet drops) */
    switch (a->kind) {
    case KAC_KIND_CIPHER:
    case KAC_KIND_AEAD: {
        EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, a->name, NULL);

        ok = c != NULL;
        EVP_CIPHER_free(c);
        return ok;
    }
    case KAC_KIND_DIGEST: {
        EVP_MD *md = EVP_MD_fetch(NULL, a->name, NULL);

        ok = md != NULL;
        EVP_MD_free(md);
        return ok;
    }
    case KAC_KIND_MAC: {
        EVP_MAC *m = EVP_MAC_fetch(NULL, a->mode == KAC_MODE_CMAC ? "CMAC" : "HMAC", NULL);
        const struct kac_alg *under = kac_alg_by_name(kac_alg_mac_sub(a, sub, sizeof(sub)));

        ok = m != NULL && under != NULL && pmd_fetches(d, under);
        EVP_MAC_free(m);
        return ok;
    }
    }
    return 0;
}

static unsigned pow2_at_least(unsigned n)
{
    unsigned p = 1;

    while (p < n && p < (1u << 20))
        p <<= 1;
    return p;
}

/* 0, or the errno the fault switch (fault.h) injects into a bring-up call (rte_errno too). */
static int bring_up_fault(enum kac_fault_site site)
{
    int e = kac_fault(site);

    if (e != 0)
        rte_errno = e;
    return e;
}

/* A failed bring-up gives its mempools back (the EAL itself stays: once per process). */
static void free_pools(void)
{
    rte_mempool_free(kac_dpdk.op_pool);
    rte_mempool_free(kac_dpdk.sess_pool);
    rte_mempool_free(kac_dpdk.mbuf_pool);
    kac_dpdk.op_pool = kac_dpdk.sess_pool = kac_dpdk.mbuf_pool = NULL;
}

static int setup_devices(void)
{
    unsigned n = rte_cryptodev_count(), i, total_qps = 0, a;
    uint8_t id;
    unsigned sess_size = 0;

    if (n == 0) {
        snprintf(kac_dpdk.why, sizeof(kac_dpdk.why), "no cryptodev (no --vdev or device)");
        return 0;
    }
    for (id = 0; id < RTE_CRYPTO_MAX_DEVS && kac_dpdk.ndevs < KAC_DPDK_MAX_DEVS; id++) {
        struct rte_cryptodev_info info;
        struct kac_ddev *d;
        const char *name;

        if (!rte_cryptodev_is_valid_dev(id))
            continue;
        rte_cryptodev_info_get(id, &info);
        name = rte_cryptodev_name_get(id);
        if (name == NULL || dev_rank(name, info.driver_name ? info.driver_name : "") == ~0u) {
            KAC_DBG("dpdk: device %u (%s) not in kaccel-dpdk-devices", id, name ? name : "?");
            continue;
        }
        if (!(info.feature_flags & RTE_CRYPTODEV_FF_SYMMETRIC_CRYPTO))
            continue;
        d = &kac_dpdk.devs[kac_dpdk.ndevs];
        memset(d, 0, sizeof(*d));
        d->dev_id = id;
        snprintf(d->name, sizeof(d->name), "%s", name);
        snprintf(d->driver, sizeof(d->driver), "%s", info.driver_name ? info.driver_name : "?");
        d->features = info.feature_flags;
        /*
         * Hardware reads memory by IOVA: the data goes through mbufs of DPDK
         * memory.  So does any device on a bus other than vdev (crypto_virtio
         * does not call itself hardware-accelerated, but it is a PCI device).
         */
        d->zero_copy = !(info.feature_flags & RTE_CRYPTODEV_FF_HW_ACCELERATED)
                       && info.device != NULL
                       && strcmp(rte_bus_name(rte_dev_bus(info.device)), "vdev") == 0;
        /*
         * DPDK 22.11's crypto_virtio refuses (-EFAULT) an op of more than 2176
         * data bytes, and keeps a descriptor of its queue for each one refused.
         */
        d->max_op = strcmp(d->driver, "crypto_virtio") == 0 ? 2048 : KAC_DPDK_MAX_OP;
        d->oop = (info.feature_flags & RTE_CRYPTODEV_FF_OOP_LB_IN_LB_OUT) != 0;
        d->nqps = kac_dpdk.want_qps < info.max_nb_queue_pairs ? kac_dpdk.want_qps
                                                               : info.max_nb_queue_pairs;
        if (d->nqps > KAC_DPDK_MAX_QPS)
            d->nqps = KAC_DPDK_MAX_QPS;
        d->max_sessions = info.sym.max_nb_sessions;
        if (d->nqps == 0)
            continue;
        kac_dpdk.any_copy |= !d->zero_copy;
        total_qps += d->nqps;
        if (rte_cryptodev_sym_get_private_session_size(id) > sess_size)
            sess_size = rte_cryptodev_sym_get_private_session_size(id);
        kac_dpdk.ndevs++;
    }
    if (kac_dpdk.ndevs == 0) {
        snprintf(kac_dpdk.why, sizeof(kac_dpdk.why),
                 "no symmetric cryptodev matches kaccel-dpdk-devices");
        return 0;
    }

    /* Mempools shared by every device. */
    {
        unsigned depth = pow2_at_least(kac_dpdk.depth);
        /* ops in flight or staged, and what threads' caches hold (at most 1.5 x their size) */
        unsigned busy = total_qps * depth * 2 + 256;
        unsigned cached = KAC_DPDK_CACHE_THREADS * (KAC_DPDK_CACHE * 3 / 2);
        unsigned nops = busy + cached;
        /* two mbufs per busy op at most; mbufs are cached (twice as many) only without copying */
        unsigned nmbufs = 2 * busy + (kac_dpdk.any_copy ? 0 : 2 * cached);
        unsigned nsess = 4096;

        if (!bring_up_fault(KAC_FAULT_DPDK_MEMPOOL))
            kac_dpdk.op_pool = rte_crypto_op_pool_create("kac_ops", RTE_CRYPTO_OP_TYPE_SYMMETRIC,
                                                         nops, 0, sizeof(struct kac_dpriv),
                                                         SOCKET_ID_ANY);
        if (kac_dpdk.op_pool != NULL && !bring_up_fault(KAC_FAULT_DPDK_MEMPOOL))
            kac_dpdk.sess_pool = rte_cryptodev_sym_session_pool_create("kac_sess", nsess,
                                                                       sess_size, 0, 0,
                                                                       SOCKET_ID_ANY);
        if (kac_dpdk.sess_pool != NULL && !bring_up_fault(KAC_FAULT_DPDK_MEMPOOL))
            kac_dpdk.mbuf_pool = rte_pktmbuf_pool_create(
                "kac_mbufs", nmbufs, 0, 0,
                kac_dpdk.any_copy ? (uint16_t)(KAC_DPDK_MAX_OP + RTE_PKTMBUF_HEADROOM) : 0,
                SOCKET_ID_ANY);
        if (kac_dpdk.op_pool == NULL || kac_dpdk.sess_pool == NULL || kac_dpdk.mbuf_pool == NULL) {
            snprintf(kac_dpdk.why, sizeof(kac_dpdk.why), "mempool creation failed: %s",
                     rte_strerror(rte_errno));
            free_pools();
            return 0;
        }
    }

    for (i = 0; i < kac_dpdk.ndevs; i++) {
        struct kac_ddev *d = &kac_dpdk.devs[i];
        struct rte_cryptodev_config conf = {
            .socket_id = rte_cryptodev_socket_id(d->dev_id),
            .nb_queue_pairs = (uint16_t)d->nqps,
            .ff_disable = RTE_CRYPTODEV_FF_ASYMMETRIC_CRYPTO | RTE_CRYPTODEV_FF_SECURITY,
        };
        struct rte_cryptodev_qp_conf qconf = {
            .nb_descriptors = pow2_at_least(kac_dpdk.depth < 32 ? 32 : kac_dpdk.depth),
            .mp_session = kac_dpdk.sess_pool,
        };
        unsigned q;
        int r;

        if (conf.socket_id < 0)
            conf.socket_id = 0;
        if ((r = -bring_up_fault(KAC_FAULT_DPDK_SETUP)) < 0
            || (r = rte_cryptodev_configure(d->dev_id, &conf)) < 0) {
            snprintf(kac_dpdk.why, sizeof(kac_dpdk.why), "%s: configure failed: %s", d->name,
                     strerror(-r));
            goto fail;
        }
        for (q = 0; q < d->nqps; q++) {
            if ((r = -bring_up_fault(KAC_FAULT_DPDK_SETUP)) < 0
                || (r = rte_cryptodev_queue_pair_setup(d->dev_id, (uint16_t)q, &qconf,
                                                       conf.socket_id)) < 0) {
                snprintf(kac_dpdk.why, sizeof(kac_dpdk.why),
                         "%s: queue pair %u setup failed: %s", d->name, q, strerror(-r));
                goto fail;
            }
            pthread_mutex_init(&d->qps[q].lock, NULL);
            d->qps[q].dev_id = d->dev_id;
            d->qps[q].qp_id = (uint16_t)q;
        }
        if ((r = -bring_up_fault(KAC_FAULT_DPDK_SETUP)) < 0
            || (r = rte_cryptodev_start(d->dev_id)) < 0) {
            snprintf(kac_dpdk.why, sizeof(kac_dpdk.why), "%s: start failed: %s", d->name,
                     strerror(-r));
            goto fail;
        }
        KAC_DBG("dpdk: device %s (%s) up: %u queue pairs of %u descriptors, %s", d->name,
                d->driver, d->nqps, qconf.nb_descriptors,
                d->zero_copy ? "zero-copy" : "copy through DPDK memory");
    }

    /* Which device serves each algorithm: the first, in kaccel-dpdk-devices order. */
    for (a = 0; a < KAC_ALG_COUNT; a++) {
        unsigned best = ~0u, rank = ~0u;

        kac_dpdk.alg_dev[a] = -1;
        for (i = 0; i < kac_dpdk.ndevs; i++) {
            struct kac_ddev *d = &kac_dpdk.devs[i];

            if (!dev_offers(d->dev_id, &kac_algs[a]))
                continue;
            if (!pmd_fetches(d, &kac_algs[a])) {
                d->refused[a] = 1;
                KAC_DBG("dpdk: %s on %s: the application's default library context has no "
                        "implementation for the PMD to use: not offloaded there",
                        kac_algs[a].name, d->name);
                continue;
            }
            if (dev_rank(d->name, d->driver) < rank) {
                rank = dev_rank(d->name, d->driver);
                best = i;
            }
        }
        if (best != ~0u)
            kac_dpdk.alg_dev[a] = (int)best;
        KAC_DBG("dpdk: %-18s %s", kac_algs[a].name,
                best != ~0u ? kac_dpdk.devs[best].name : "not offered");
    }
    return 1;
fail:
    /* The devices configured so far are stopped, their queue pairs released, then the pools. */
    for (i = 0; i < kac_dpdk.ndevs; i++) {
        rte_cryptodev_stop(kac_dpdk.devs[i].dev_id);
        rte_cryptodev_close(kac_dpdk.devs[i].dev_id);
    }
    free_pools();
    return 0;
}

static int bring_up(void)
{
    struct app_state *saved;
    struct fdset fds = { 0 };
    char store[1200], lc[300];
    char *argv[72];
    int argc, ret = 0, err;
    static const char *const lcore_args[] = { "-l", "-c", "--lcores", NULL };
    static const char *const tele_args[] = { "--no-telemetry", "--telemetry", NULL };

    pthread_mutex_lock(&up_lock);
    if (kac_dpdk.state != KAC_DPDK_IDLE) {
        ret = kac_dpdk.state == KAC_DPDK_UP && kac_dpdk.pid == getpid();
        pthread_mutex_unlock(&up_lock);
        return ret;
    }
    argc = kac_dpdk_split_args(kac_dpdk.eal, argv, 64, store, sizeof(store));
    if (argc < 0) {
        snprintf(kac_dpdk.why, sizeof(kac_dpdk.why), "kaccel-dpdk-eal: too long or bad quoting");
        goto fail;
    }
    saved = malloc(sizeof(*saved));
    if (saved == NULL) {
        snprintf(kac_dpdk.why, sizeof(kac_dpdk.why), "out of memory");
        goto fail;
    }
    app_save(saved);
    if (!has_arg(argv, argc, lcore_args) && lcores_arg(saved, lc, sizeof(lc)))
        argv[argc++] = lc;
    if (!has_arg(argv, argc, tele_args))
        argv[argc++] = "--no-telemetry";
    argv[argc] = NULL;
    {
        char line[1500];
        size_t o = 0;
        int i;

        for (i = 1; i < argc && o < sizeof(line); i++)
            o += (size_t)snprintf(line + o, sizeof(line) - o, " %s", argv[i]);
        KAC_DBG("dpdk: bringing up the EAL (%s) in pid %d:%s", rte_version(), (int)getpid(), line);
    }
    if (log_stream() != NULL)
        rte_openlog_stream(log_stream());
    fds_take(&fds);
    err = kac_fault(KAC_FAULT_DPDK_EAL);
    if (err != 0) {
        rte_errno = err;
        ret = -1;
    } else {
        struct quiet q;

        kac_dpdk_in_pmd++;
        quiet_begin(&q);
        ret = rte_eal_init(argc, argv);
        quiet_end(&q);
        kac_dpdk_in_pmd--;
    }
    err = rte_errno;
    app_restore(saved);
    free(saved);
    if (ret < 0) {
        snprintf(kac_dpdk.why, sizeof(kac_dpdk.why), "EAL bring-up failed: %s (check kaccel-dpdk-eal)",
                 rte_strerror(err));
        goto fail;
    }
    kac_dpdk.pid = getpid();
    kac_dpdk.gen = kac_fork_gen();
    kac_dpdk.iova_va = rte_eal_iova_mode() == RTE_IOVA_VA;
    kac_dpdk_in_pmd++;
    ret = setup_devices();
    kac_dpdk_in_pmd--;
    if (!ret)
        goto fail;
    fds_cloexec_new(&fds);
    kac_dpdk.state = KAC_DPDK_UP;
    pthread_mutex_unlock(&up_lock);
    return 1;
fail:
    fds_cloexec_new(&fds); /* a failed EAL keeps what it opened */
    kac_dpdk.state = KAC_DPDK_FAILED;
    KAC_DBG("dpdk: unavailable in this process: %s", kac_dpdk.why);
    pthread_mutex_unlock(&up_lock);
    return 0;
}

/*
 * An OpenSSL ASYNC job runs on a small stack of its own (32 KiB in OpenSSL
 * 3.0), and rte_eal_init() needs far more: overflowing it corrupts the heap
 * next to it.  Inside a job, the bring-up runs on this thread (the EAL's main
 * thread either way) on a stack of KAC_DPDK_UP_STACK bytes.
 */
#define KAC_DPDK_UP_STACK (2u << 20)

static __thread int up_result;

static int bring_up_quiet(void);

static void up_on_stack(void)
{
    up_result = bring_up_quiet();
}

/*
 * What the EAL and the PMDs leave on libcrypto's error queue while coming up
 * (crypto_openssl loads providers that may not be installed) is not the
 * caller's error: it is dropped, back to the caller's own errors.
 */
static int bring_up_quiet(void)
{
    int r;

    ERR_set_mark();
    r = bring_up();
    ERR_pop_to_mark();
    return r;
}

int kac_dpdk_bring_up(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), len = KAC_DPDK_UP_STACK + page;
    ucontext_t *uc;
    char *stack;

    if (ASYNC_get_current_job() == NULL)
        return bring_up_quiet();
    uc = malloc(2 * sizeof(*uc));
    stack = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                 -1, 0);
    up_result = 0;
    if (uc != NULL && stack != MAP_FAILED && mprotect(stack, page, PROT_NONE) == 0
        && getcontext(&uc[1]) == 0) {
        uc[1].uc_stack.ss_sp = stack + page; /* a guard page below */
        uc[1].uc_stack.ss_size = KAC_DPDK_UP_STACK;
        uc[1].uc_link = &uc[0];
        makecontext(&uc[1], up_on_stack, 0);
        if (swapcontext(&uc[0], &uc[1]) != 0)
            up_result = 0;
    } else {
        /* the EAL stays down for now: the next call outside a job brings it up */
        KAC_DBG("dpdk: no stack for the bring-up inside an ASYNC job: software this time");
    }
    if (stack != MAP_FAILED)
        munmap(stack, len);
    free(uc);
    return up_result;
}

int kac_dpdk_usable(enum kac_alg_id alg)
{
    enum kac_dpdk_state st = __atomic_load_n(&kac_dpdk.state, __ATOMIC_ACQUIRE);

    if (kac_dpdk_in_pmd)
        return 0;
    if (st == KAC_DPDK_UP) {
        if (__builtin_expect(kac_dpdk.gen != kac_fork_gen(), 0)) {
            static int warned;

            if (!__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
                KAC_DBG("dpdk: this process (pid %d) inherited the EAL of pid %d through fork: "
                        "not touching it; the next backend or software serves it",
                        (int)getpid(), kac_dpdk.pid);
            return 0;
        }
        return kac_dpdk.alg_dev[alg] >= 0
               && !__atomic_load_n(&kac_dpdk.devs[kac_dpdk.alg_dev[alg]].stuck, __ATOMIC_ACQUIRE);
    }
    if (st != KAC_DPDK_IDLE)
        return 0;
    return kac_dpdk_bring_up() && kac_dpdk.alg_dev[alg] >= 0;
}

int kac_dpdk_settled(void)
{
    enum kac_dpdk_state st = __atomic_load_n(&kac_dpdk.state, __ATOMIC_ACQUIRE);

    return st == KAC_DPDK_UP || st == KAC_DPDK_FAILED;
}

const char *kac_dpdk_device_for(enum kac_alg_id alg)
{
    if (kac_dpdk.state != KAC_DPDK_UP || kac_dpdk.alg_dev[alg] < 0
        || kac_dpdk.gen != kac_fork_gen()
        || __atomic_load_n(&kac_dpdk.devs[kac_dpdk.alg_dev[alg]].stuck, __ATOMIC_ACQUIRE))
        return NULL;
    return kac_dpdk.devs[kac_dpdk.alg_dev[alg]].name;
}

size_t kac_dpdk_max_op(enum kac_alg_id alg)
{
    if (kac_dpdk.state != KAC_DPDK_UP || kac_dpdk.alg_dev[alg] < 0)
        return KAC_DPDK_MAX_OP;
    return kac_dpdk.devs[kac_dpdk.alg_dev[alg]].max_op;
}

/* The backend's probe: no EAL at load; algorithms DPDK can express are routable. */
static int dpdk_probe(const struct kac_config *cfg, struct kac_route_info info[KAC_ALG_COUNT],
                      char *msg, size_t msglen)
{
    int a;

    kac_dpdk_configure(cfg);
    if (kac_dpdk.state == KAC_DPDK_OFF || kac_dpdk.state == KAC_DPDK_FAILED) {
        snprintf(msg, msglen, "%s", kac_dpdk.why);
        return 0;
    }
    if (kac_dpdk.state == KAC_DPDK_UP && kac_dpdk.gen != kac_fork_gen()) {
        snprintf(msg, msglen, "EAL inherited from pid %d through fork: not used here",
                 kac_dpdk.pid);
        return 0;
    }
    for (a = 0; a < KAC_ALG_COUNT; a++) {
        memset(&info[a], 0, sizeof(info[a]));
        if (!expressible(&kac_algs[a])) {
            snprintf(info[a].note, sizeof(info[a].note), "no DPDK equivalent");
            continue;
        }
        info[a].usable = 1;
        if (kac_dpdk.state == KAC_DPDK_UP) {
            const char *dev = kac_dpdk_device_for((enum kac_alg_id)a);

            info[a].usable = dev != NULL;
            snprintf(info[a].impl, sizeof(info[a].impl), "%s", dev ? dev : "");
            if (dev == NULL && kac_dpdk.alg_dev[a] >= 0)
                snprintf(info[a].note, sizeof(info[a].note),
                         "%.40s given up: an operation did not complete in time",
                         kac_dpdk.devs[kac_dpdk.alg_dev[a]].name);
            else if (dev == NULL)
                snprintf(info[a].note, sizeof(info[a].note), "no configured device offers it");
            else
                info[a].hardware =
                    !kac_dpdk.devs[kac_dpdk.alg_dev[a]].zero_copy;
        } else {
            snprintf(info[a].impl, sizeof(info[a].impl), "dpdk");
            snprintf(info[a].note, sizeof(info[a].note),
                     "device chosen from capabilities at first offload");
        }
    }
    snprintf(msg, msglen, "%s", kac_dpdk.state == KAC_DPDK_UP ? "up" : "EAL starts at first offload");
    return 1;
}

const struct kac_backend kac_backend_dpdk = { "dpdk", dpdk_probe };

static const char *feature_list(uint64_t f, char *buf, size_t len)
{
    static const struct { uint64_t bit; const char *name; } names[] = {
        { RTE_CRYPTODEV_FF_HW_ACCELERATED, "hw" },
        { RTE_CRYPTODEV_FF_CPU_AESNI, "aesni" },
        { RTE_CRYPTODEV_FF_CPU_AVX512, "avx512" },
        { RTE_CRYPTODEV_FF_IN_PLACE_SGL, "sgl" },
        { RTE_CRYPTODEV_FF_OOP_LB_IN_LB_OUT, "oop" },
        { RTE_CRYPTODEV_FF_SYM_SESSIONLESS, "sessionless" },
        { RTE_CRYPTODEV_FF_SYM_RAW_DP, "raw-dp" },
    };
    size_t i, o = 0;

    buf[0] = '\0';
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (f & names[i].bit)
            o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s%s", o ? "," : "",
                                  names[i].name);
    return buf;
}

size_t kac_dpdk_describe(char *buf, size_t len, int bring_up)
{
    size_t o = 0;
    unsigned i;
    int a;
    char ff[128];

#define OUT(...) (o += (size_t)snprintf(buf + o, o < len ? len - o : 0, __VA_ARGS__))
    if (bring_up && kac_dpdk.state == KAC_DPDK_IDLE)
        kac_dpdk_bring_up();
    switch (kac_dpdk.state) {
    case KAC_DPDK_OFF:
        OUT("dpdk: off (%s)\n", kac_dpdk.why);
        return o;
    case KAC_DPDK_IDLE:
        OUT("dpdk: configured, EAL not up (starts at first offload)\n  eal: %s\n", kac_dpdk.eal);
        return o;
    case KAC_DPDK_FAILED:
        OUT("dpdk: unavailable: %s\n  eal: %s\n", kac_dpdk.why, kac_dpdk.eal);
        return o;
    case KAC_DPDK_UP:
        break;
    }
    OUT("dpdk: up (%s, pid %d%s)\n  eal: %s\n", rte_version(), kac_dpdk.pid,
        kac_dpdk.pid == getpid() ? "" : ", inherited: not used here", kac_dpdk.eal);
    for (i = 0; i < kac_dpdk.ndevs; i++) {
        const struct kac_ddev *d = &kac_dpdk.devs[i];
        unsigned q, users = 0;

        for (q = 0; q < d->nqps; q++)
            users += __atomic_load_n(&d->qps[q].users, __ATOMIC_RELAXED);
        OUT("  device %s: pmd %s, %u queue pairs (%u threads attached), sessions %s, "
            "features %s, %s\n",
            d->name, d->driver, d->nqps, users, d->max_sessions ? "limited" : "unlimited",
            feature_list(d->features, ff, sizeof(ff)),
            d->zero_copy ? "zero-copy" : "copies through DPDK memory");
        if (d->max_sessions)
            OUT("    max sessions: %u\n", d->max_sessions);
        if (__atomic_load_n(&d->stuck, __ATOMIC_ACQUIRE))
            OUT("    given up: an operation did not complete within %u ms (kaccel-dpdk-timeout); "
                "its algorithms go to the next backend or software\n", kac_dpdk.timeout_ms);
        OUT("    algorithms:");
        for (a = 0; a < KAC_ALG_COUNT; a++)
            if (kac_dpdk.alg_dev[a] == (int)i)
                OUT(" %s", kac_algs[a].name);
        OUT("\n");
        {
            int any = 0;

            for (a = 0; a < KAC_ALG_COUNT; a++)
                if (d->refused[a]) {
                    if (!any)
                        OUT("    not used (the application's default library context cannot "
                            "fetch them for the PMD):");
                    OUT(" %s", kac_algs[a].name);
                    any = 1;
                }
            if (any)
                OUT("\n");
        }
    }
    return o;
#undef OUT
}
