/*
 * The tests' one driver of OpenSSL ASYNC jobs (see kactest.h): start every
 * job, then wait the way the caller asked (wait fds, the ASYNC_WAIT_CTX
 * callback, or none) and resume the paused ones until all have finished.
 * No cmocka but in kactest_jobs_must_run(): threads and forked children use
 * it too.
 */
#include "kactest.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/async.h>

#define MAX_FDS 4             /* wait fds one job may have */
#define MAX_ROUNDS 1000000L   /* resume rounds before giving up */

struct kactest_jobs_state;

struct job_cb {
    struct kactest_jobs_state *s;
    int i;
};

struct kactest_jobs_state {
    ASYNC_JOB **jobs;
    ASYNC_WAIT_CTX **wctx;
    char *done, *ready, *go;
    struct job_cb *cb;
    struct pollfd *pfd;
    int *pfd_job;
    int left;
    unsigned long callbacks;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

/* What ASYNC_start_job runs: the caller's function on job i's argument. */
struct job_call {
    int (*fn)(void *);
    void *arg;
};

static int job_trampoline(void *p)
{
    const struct job_call *c = p;

    return c->fn(c->arg);
}

static int job_callback(void *arg)
{
    struct job_cb *c = arg;

    pthread_mutex_lock(&c->s->mu);
    c->s->ready[c->i] = 1;
    c->s->callbacks++;
    pthread_cond_signal(&c->s->cv);
    pthread_mutex_unlock(&c->s->mu);
    return 1;
}

__attribute__((format(printf, 3, 4)))
static int jobs_fail(struct kactest_jobs *j, int job, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(j->why, sizeof(j->why), fmt, ap);
    va_end(ap);
    j->failed_job = job;
    return -1;
}

static void free_state(struct kactest_jobs *j)
{
    struct kactest_jobs_state *s = j->st;
    int i;

    if (s == NULL)
        return;
    for (i = 0; s->wctx != NULL && i < j->n; i++)
        ASYNC_WAIT_CTX_free(s->wctx[i]);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s->jobs);
    free(s->wctx);
    free(s->done);
    free(s->ready);
    free(s->go);
    free(s->cb);
    free(s->pfd);
    free(s->pfd_job);
    free(s);
    j->st = NULL;
}

/* Starts or resumes job i; returns 0 or -1 (why set). */
static int step(struct kactest_jobs *j, int i, int resume)
{
    struct kactest_jobs_state *s = j->st;
    struct job_call call = { j->fn, (char *)j->args + (size_t)i * j->size };
    int ret;

    switch (ASYNC_start_job(&s->jobs[i], s->wctx[i], &ret, job_trampoline, &call,
                            sizeof(call))) {
    case ASYNC_FINISH:
        s->done[i] = 1;
        s->left--;
        return 0;
    case ASYNC_PAUSE:
        j->pauses++;
        return 0;
    default:
        return jobs_fail(j, i, "ASYNC_start_job%s failed", resume ? " (resume)" : "");
    }
}

int kactest_jobs_start(struct kactest_jobs *j)
{
    struct kactest_jobs_state *s;
    int i, n = j->n;

    j->pauses = j->callbacks = 0;
    j->failed_job = -1;
    j->why[0] = '\0';
    j->st = s = calloc(1, sizeof(*s));
    if (s == NULL)
        return jobs_fail(j, -1, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->jobs = calloc((size_t)n + 1, sizeof(*s->jobs));
    s->wctx = calloc((size_t)n + 1, sizeof(*s->wctx));
    s->done = calloc((size_t)n + 1, 1);
    s->ready = calloc((size_t)n + 1, 1);
    s->go = calloc((size_t)n + 1, 1);
    s->cb = calloc((size_t)n + 1, sizeof(*s->cb));
    s->pfd = calloc((size_t)n * MAX_FDS + 1, sizeof(*s->pfd));
    s->pfd_job = calloc((size_t)n * MAX_FDS + 1, sizeof(*s->pfd_job));
    if (!s->jobs || !s->wctx || !s->done || !s->ready || !s->go || !s->cb || !s->pfd
        || !s->pfd_job) {
        free_state(j);
        return jobs_fail(j, -1, "out of memory");
    }
    s->left = n;
    for (i = 0; i < n; i++) {
        s->wctx[i] = ASYNC_WAIT_CTX_new();
        if (s->wctx[i] == NULL) {
            free_state(j);
            return jobs_fail(j, i, "ASYNC_WAIT_CTX_new failed");
        }
        if (j->wait == KACTEST_WAIT_CALLBACK) {
            s->cb[i].s = s;
            s->cb[i].i = i;
            if (!ASYNC_WAIT_CTX_set_callback(s->wctx[i], job_callback, &s->cb[i])) {
                free_state(j);
                return jobs_fail(j, i, "ASYNC_WAIT_CTX_set_callback failed");
            }
        }
        if (step(j, i, 0) != 0) {
            free_state(j);
            return -1;
        }
    }
    return 0;
}

/* Collects the paused jobs' wait fds; returns how many, or -1 (why set). */
static int gather_fds(struct kactest_jobs *j)
{
    struct kactest_jobs_state *s = j->st;
    int i, np = 0;

    for (i = 0; i < j->n; i++) {
        OSSL_ASYNC_FD fds[MAX_FDS];
        size_t nfds = 0, k;

        if (s->done[i])
            continue;
        if (!ASYNC_WAIT_CTX_get_all_fds(s->wctx[i], NULL, &nfds) || nfds > MAX_FDS
            || (j->wait == KACTEST_WAIT_OWN_FD && nfds == 0)
            || !ASYNC_WAIT_CTX_get_all_fds(s->wctx[i], fds, &nfds))
            return jobs_fail(j, i, "job %d paused with %zu wait fds", i, nfds);
        for (k = 0; k < nfds; k++) {
            s->pfd[np].fd = fds[k];
            s->pfd[np].events = POLLIN;
            s->pfd[np].revents = 0;
            s->pfd_job[np++] = i;
        }
    }
    return np;
}

/* Waits until kaccel called a paused job's callback; marks those jobs ready. */
static int wait_callback(struct kactest_jobs *j, unsigned timeout)
{
    struct kactest_jobs_state *s = j->st;
    struct timespec ts;
    int i, any = 0;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        for (i = 0; i < j->n; i++)
            any |= s->ready[i] && !s->done[i];
        if (any || pthread_cond_timedwait(&s->cv, &s->mu, &ts) != 0)
            break;
    }
    memcpy(s->go, s->ready, (size_t)j->n);
    memset(s->ready, 0, (size_t)j->n);
    pthread_mutex_unlock(&s->mu);
    if (!any)
        return jobs_fail(j, -1, "callback mode: no callback for %u s with %d jobs paused",
                         timeout, s->left);
    return 0;
}

int kactest_jobs_finish(struct kactest_jobs *j)
{
    struct kactest_jobs_state *s = j->st;
    unsigned timeout = j->timeout != 0 ? j->timeout : 20;
    time_t progress = time(NULL);
    long rounds = 0;
    int i, ret = -1;

    if (s == NULL)
        return jobs_fail(j, -1, "the jobs were not started");
    while (s->left > 0) {
        int left0 = s->left, np;

        if (++rounds >= MAX_ROUNDS) {
            jobs_fail(j, -1, "%d jobs still paused after %ld rounds", s->left, rounds);
            goto end;
        }
        switch (j->wait) {
        case KACTEST_WAIT_ANY_FD:
        case KACTEST_WAIT_OWN_FD:
            if ((np = gather_fds(j)) < 0)
                goto end;
            if (np > 0) {
                int r = poll(s->pfd, (nfds_t)np, (int)timeout * 1000);

                if (r == 0) {
                    jobs_fail(j, -1, "%d paused jobs, no wait fd readable for %u s (lost wakeup)",
                              s->left, timeout);
                    goto end;
                }
                if (r < 0 && errno != EINTR) {
                    jobs_fail(j, -1, "poll: %s", strerror(errno));
                    goto end;
                }
            }
            /* WAIT_ANY_FD resumes every paused job, WAIT_OWN_FD those with a readable fd */
            memset(s->go, j->wait == KACTEST_WAIT_ANY_FD, (size_t)j->n);
            for (i = 0; i < np; i++)
                if (s->pfd[i].revents != 0)
                    s->go[s->pfd_job[i]] = 1;
            break;
        case KACTEST_WAIT_CALLBACK:
            if (wait_callback(j, timeout) != 0)
                goto end;
            break;
        case KACTEST_WAIT_SPIN:
            if (rounds > 1 && j->spin_us != 0)
                usleep(j->spin_us);
            if (time(NULL) - progress > (time_t)timeout) {
                jobs_fail(j, -1, "%d jobs made no progress for %u s", s->left, timeout);
                goto end;
            }
            memset(s->go, 1, (size_t)j->n);
            break;
        }
        for (i = 0; i < j->n; i++)
            if (!s->done[i] && s->go[i] && step(j, i, 1) != 0)
                goto end;
        if (s->left < left0)
            progress = time(NULL);
    }
    if (j->wait == KACTEST_WAIT_CALLBACK && j->callback_no_fds)
        for (i = 0; i < j->n; i++) {
            size_t nfds = 99;

            if (!ASYNC_WAIT_CTX_get_all_fds(s->wctx[i], NULL, &nfds) || nfds != 0) {
                jobs_fail(j, i,
                          "callback mode: job %d got %zu wait fds (the callback was not honoured)",
                          i, nfds);
                goto end;
            }
        }
    ret = 0;
end:
    pthread_mutex_lock(&s->mu);
    j->callbacks = s->callbacks;
    pthread_mutex_unlock(&s->mu);
    free_state(j);
    return ret;
}

int kactest_jobs_run(struct kactest_jobs *j)
{
    return kactest_jobs_start(j) != 0 ? -1 : kactest_jobs_finish(j);
}

void kactest_jobs_must_run(struct kactest_jobs *j)
{
    if (kactest_jobs_run(j) != 0)
        fail_msg("%s", j->why);
}
