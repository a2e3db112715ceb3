/* Fault injection for the backends' calls: see fault.h for the syntax. */
#include "fault.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

#define KAC_FAULT_MAX_ITEMS 16

enum kac_fault_when { KAC_WHEN_NTH, KAC_WHEN_FROM, KAC_WHEN_EVERY };

struct kac_fault_item {
    enum kac_fault_site site;
    enum kac_fault_when when;
    unsigned long n;
    int err;
};

int kac_fault_state = -1;
static pthread_once_t fault_once = PTHREAD_ONCE_INIT;
static struct kac_fault_item items[KAC_FAULT_MAX_ITEMS];
static int nitems, trace;
static unsigned long calls[KAC_FAULT_NSITES], injected;

static const char *const site_names[] = {
    "socket", "bind", "setsockopt", "accept", "sendmsg", "read",
    "uring_setup", "uring_submit", "uring_wait", "uring_cqe", "eventfd", "eventfd_rw",
    "dpdk_eal", "dpdk_mempool", "dpdk_setup", "dpdk_session", "dpdk_op_alloc",
    "dpdk_enqueue", "dpdk_dequeue", "dpdk_status", "any",
};
_Static_assert(sizeof(site_names) / sizeof(site_names[0]) == KAC_FAULT_NSITES,
               "one name per fault site");

static const struct {
    const char *name;
    int err;
} errnos[] = {
    { "EIO", EIO },         { "EAGAIN", EAGAIN }, { "EBUSY", EBUSY },   { "EMFILE", EMFILE },
    { "ENFILE", ENFILE },   { "EINVAL", EINVAL }, { "ENOMEM", ENOMEM }, { "EBADMSG", EBADMSG },
    { "ENOENT", ENOENT },   { "EPERM", EPERM },   { "EACCES", EACCES }, { "ENOBUFS", ENOBUFS },
    { "EINTR", EINTR },     { "EFAULT", EFAULT }, { "ENOKEY", ENOKEY },
    { "ENOSYS", ENOSYS },   { "ECANCELED", ECANCELED }, { "ETIME", ETIME },
    { "ENODEV", ENODEV },   { "ENOSPC", ENOSPC }, { "ENOTSUP", ENOTSUP }, { "EEXIST", EEXIST },
};

const char *kac_fault_site_name(enum kac_fault_site site)
{
    return (unsigned)site < KAC_FAULT_NSITES ? site_names[site] : "?";
}

static const char *errno_name(int err)
{
    size_t i;

    for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
        if (errnos[i].err == err)
            return errnos[i].name;
    return "errno";
}

/* A decimal number >= 1 spanning exactly [s, e). */
static int parse_count(const char *s, const char *e, unsigned long *out)
{
    unsigned long v = 0;

    if (s == e)
        return 0;
    for (; s < e; s++) {
        if (*s < '0' || *s > '9' || v > (~0UL - 9) / 10)
            return 0;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    *out = v;
    return v >= 1;
}

/* Parses one ITEM spanning [s, e) into *it (or sets trace).  1 ok, 0 malformed. */
static int parse_item(const char *s, const char *e, struct kac_fault_item *it, int *is_trace)
{
    const char *c1 = memchr(s, ':', (size_t)(e - s)), *c2, *w;
    unsigned long num;
    size_t i, len;

    *is_trace = 0;
    if (c1 == NULL) {
        *is_trace = (size_t)(e - s) == 5 && memcmp(s, "trace", 5) == 0;
        return *is_trace;
    }
    c2 = memchr(c1 + 1, ':', (size_t)(e - c1 - 1));
    if (c2 == NULL)
        return 0;
    len = (size_t)(c1 - s);
    for (i = 0; i < KAC_FAULT_NSITES; i++)
        if (strlen(site_names[i]) == len && memcmp(s, site_names[i], len) == 0)
            break;
    if (i == KAC_FAULT_NSITES)
        return 0;
    it->site = (enum kac_fault_site)i;
    w = c1 + 1;
    if (w < c2 && *w == '*') {
        it->when = KAC_WHEN_EVERY;
        w++;
        if (!parse_count(w, c2, &it->n))
            return 0;
    } else if (w < c2 && c2[-1] == '+') {
        it->when = KAC_WHEN_FROM;
        if (!parse_count(w, c2 - 1, &it->n))
            return 0;
    } else {
        it->when = KAC_WHEN_NTH;
        if (!parse_count(w, c2, &it->n))
            return 0;
    }
    len = (size_t)(e - c2 - 1);
    for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
        if (strlen(errnos[i].name) == len && memcmp(c2 + 1, errnos[i].name, len) == 0) {
            it->err = errnos[i].err;
            return 1;
        }
    if (!parse_count(c2 + 1, e, &num) || num > 4095)
        return 0;
    it->err = (int)num;
    return 1;
}

/* Parses spec into the configuration; the switch is inert on error. */
static int configure(const char *spec)
{
    const char *p = spec;
    int n = 0, tr = 0;

    memset(calls, 0, sizeof(calls));
    injected = 0;
    nitems = 0;
    trace = 0;
    if (spec == NULL || *spec == '\0') {
        __atomic_store_n(&kac_fault_state, 0, __ATOMIC_RELEASE);
        return 0;
    }
    for (;;) {
        const char *e = strchr(p, ',');
        int is_trace;

        if (e == NULL)
            e = p + strlen(p);
        if (n == KAC_FAULT_MAX_ITEMS || !parse_item(p, e, &items[n], &is_trace)) {
            KAC_DBG("fault: malformed %s=\"%s\" (item %d): no faults injected",
                    KACCEL_ENV_FAULT, spec, n + tr + 1);
            nitems = 0;
            __atomic_store_n(&kac_fault_state, 0, __ATOMIC_RELEASE);
            return -1;
        }
        if (is_trace)
            tr = 1;
        else
            n++;
        if (*e == '\0')
            break;
        p = e + 1;
    }
    nitems = n;
    trace = tr;
    KAC_DBG("fault: %s=\"%s\" (%d item%s%s)", KACCEL_ENV_FAULT, spec, n, n == 1 ? "" : "s",
            tr ? ", trace" : "");
    __atomic_store_n(&kac_fault_state, 1, __ATOMIC_RELEASE);
    return n + tr;
}

static void read_env(void)
{
    kac_log_init();
    configure(secure_getenv(KACCEL_ENV_FAULT)); /* not for set-user-ID programs */
}

int kac_fault_configure(const char *spec)
{
    pthread_once(&fault_once, read_env);
    return configure(spec);
}

unsigned long kac_fault_calls(enum kac_fault_site site)
{
    return (unsigned)site < KAC_FAULT_NSITES ? __atomic_load_n(&calls[site], __ATOMIC_RELAXED)
                                             : 0;
}

unsigned long kac_fault_injected(void)
{
    return __atomic_load_n(&injected, __ATOMIC_RELAXED);
}

static int matches(const struct kac_fault_item *it, unsigned long nth)
{
    switch (it->when) {
    case KAC_WHEN_NTH:
        return nth == it->n;
    case KAC_WHEN_FROM:
        return nth >= it->n;
    case KAC_WHEN_EVERY:
        return nth % it->n == 0;
    }
    return 0;
}

int kac_fault_check(enum kac_fault_site site)
{
    unsigned long nth, nany;
    int i;

    if (__atomic_load_n(&kac_fault_state, __ATOMIC_ACQUIRE) < 0)
        pthread_once(&fault_once, read_env);
    if (__atomic_load_n(&kac_fault_state, __ATOMIC_ACQUIRE) == 0
        || (unsigned)site >= KAC_FAULT_ANY)
        return 0;
    nth = __atomic_add_fetch(&calls[site], 1, __ATOMIC_RELAXED);
    nany = __atomic_add_fetch(&calls[KAC_FAULT_ANY], 1, __ATOMIC_RELAXED);
    if (trace)
        KAC_DBG("fault: %s #%lu any #%lu", site_names[site], nth, nany);
    for (i = 0; i < nitems; i++) {
        const struct kac_fault_item *it = &items[i];

        if ((it->site == site && matches(it, nth))
            || (it->site == KAC_FAULT_ANY && matches(it, nany))) {
            __atomic_add_fetch(&injected, 1, __ATOMIC_RELAXED);
            KAC_DBG("fault: inject %s into %s #%lu any #%lu", errno_name(it->err),
                    site_names[site], nth, nany);
            return it->err;
        }
    }
    return 0;
}
