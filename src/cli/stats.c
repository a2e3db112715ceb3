#include "stats.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kaccel/kaccel.h>

#include "core/alg.h"
#include "core/stats.h"

/* Counter names of an algorithm line (kac_stats_format()). */
static const char *const fields[] = {
    "offload_ops", "offload_bytes", "sw_ops", "sw_bytes", "sw_small", "sw_no_route",
    "sw_params", "sw_session", "sw_op_error", "sw_queue_full", "errors", "dpdk_ops", "dpdk_bytes",
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))
enum { F_REASONS = 4, F_ERRORS = 10, F_DPDK_OPS = 11, F_DPDK_BYTES = 12 };

struct row {
    char name[32];
    uint64_t v[NFIELDS];
};

/*
 * Totals of a queue line ("io_uring k=v ..." or "dpdk k=v ..."): counts add
 * up, the largest batch or burst is the largest of all.
 */
struct queue_tot {
    const char *prefix;
    const char *const *names;
    size_t n, max_idx;
    uint64_t v[12];
    int seen;
};

/* io_uring queue totals: requests, submits, reaps, pauses, largest batch. */
static const char *const qfields[] = { "requests", "submits", "reaps", "pauses", "batch_max" };
static struct queue_tot uq = { "io_uring", qfields, 5, 4, { 0 }, 0 };

/*
 * DPDK totals: ops, bursts each way, largest burst, pauses, full, op errors,
 * shared qps, requests that timed out on a device that stopped completing.
 */
static const char *const dfields[] = { "ops",    "bursts_enq", "bursts_deq", "burst_max", "pauses",
                                       "full",   "op_errors",  "qp_shared",  "timeouts" };
static struct queue_tot dq = { "dpdk", dfields, 9, 3, { 0 }, 0 };

static void add_queue_line(struct queue_tot *q, char *line)
{
    char *tok, *save = NULL;
    size_t i;

    q->seen = 1;
    for (tok = strtok_r(line, " \n", &save); tok != NULL; tok = strtok_r(NULL, " \n", &save)) {
        char *eq = strchr(tok, '=');

        if (eq == NULL)
            continue;
        *eq = '\0';
        for (i = 0; i < q->n; i++)
            if (strcmp(tok, q->names[i]) == 0) {
                uint64_t v = strtoull(eq + 1, NULL, 10);

                q->v[i] = i == q->max_idx ? (v > q->v[i] ? v : q->v[i]) : q->v[i] + v;
            }
    }
}

const char *kac_cli_alg_line(const char *text, const char *name)
{
    size_t n = strlen(name);
    const char *l;

    for (l = text; l != NULL && *l != '\0'; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
        if (strncmp(l, name, n) == 0 && l[n] == ' ')
            return l;
    return NULL;
}

static int add_file(const char *path, struct row *rows, int *nrows, int *procs)
{
    FILE *f = fopen(path, "re");
    char line[1024];

    if (f == NULL) {
        fprintf(stderr, "kaccel stats: cannot read %s\n", path);
        return 0;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char name[32], *tok, *save = NULL;
        int r;

        if (line[0] == '#') {
            (*procs)++;
            continue;
        }
        if (sscanf(line, "%31s", name) != 1)
            continue;
        if (strcmp(name, uq.prefix) == 0 || strcmp(name, dq.prefix) == 0) {
            add_queue_line(strcmp(name, uq.prefix) == 0 ? &uq : &dq, line + strlen(name));
            continue;
        }
        for (r = 0; r < *nrows && strcmp(rows[r].name, name) != 0; r++)
            ;
        if (r == *nrows) {
            if (*nrows == KAC_ALG_COUNT)
                continue;
            memset(&rows[r], 0, sizeof(rows[r]));
            strcpy(rows[r].name, name);
            (*nrows)++;
        }
        for (tok = strtok_r(line + strlen(name), " \n", &save); tok != NULL;
             tok = strtok_r(NULL, " \n", &save)) {
            char *eq = strchr(tok, '=');
            size_t i;

            if (eq == NULL)
                continue;
            *eq = '\0';
            for (i = 0; i < NFIELDS; i++)
                if (strcmp(tok, fields[i]) == 0)
                    rows[r].v[i] += strtoull(eq + 1, NULL, 10);
        }
    }
    fclose(f);
    return 1;
}

static void print(FILE *out, const struct row *rows, int nrows, int procs)
{
    const uint64_t *d = dq.v;
    int r, dpdk = dq.seen;

    /* DPDK's share of the offload, when a process had DPDK configured. */
    for (r = 0; r < nrows; r++)
        dpdk |= rows[r].v[F_DPDK_OPS] != 0;
    fprintf(out, "%d process report(s)\n", procs);
    fprintf(out, "%-18s %12s %14s %12s %14s  ", "algorithm", "offload ops", "offload bytes",
            "sw ops", "sw bytes");
    if (dpdk)
        fprintf(out, "%12s %14s  ", "dpdk ops", "dpdk bytes");
    fprintf(out, "%s\n", "software because / errors");
    for (r = 0; r < nrows; r++) {
        const uint64_t *v = rows[r].v;
        size_t i;
        int any = 0;

        fprintf(out, "%-18s %12llu %14llu %12llu %14llu  ", rows[r].name,
                (unsigned long long)v[0], (unsigned long long)v[1], (unsigned long long)v[2],
                (unsigned long long)v[3]);
        if (dpdk)
            fprintf(out, "%12llu %14llu  ", (unsigned long long)v[F_DPDK_OPS],
                    (unsigned long long)v[F_DPDK_BYTES]);
        for (i = F_REASONS; i < F_ERRORS; i++)
            if (v[i]) {
                fprintf(out, "%s%s=%llu", any ? " " : "", fields[i] + 3, (unsigned long long)v[i]);
                any = 1;
            }
        if (v[F_ERRORS])
            fprintf(out, "%serrors=%llu", any ? " " : "", (unsigned long long)v[F_ERRORS]);
        fputc('\n', out);
    }
    if (uq.v[0] > 0)
        fprintf(out, "io_uring: %llu requests in %llu submissions (%.2f per submit), %llu job "
                     "pauses, largest batch %llu\n",
                (unsigned long long)uq.v[0], (unsigned long long)uq.v[1],
                uq.v[1] ? (double)uq.v[0] / (double)uq.v[1] : 0.0, (unsigned long long)uq.v[3],
                (unsigned long long)uq.v[4]);
    if (dq.seen)
        fprintf(out, "dpdk: %llu ops in %llu enqueue bursts (%.2f per burst), %llu dequeue "
                     "bursts, largest burst %llu, %llu job pauses, %llu queue full, %llu op "
                     "errors, %llu queue pair shares\n",
                (unsigned long long)d[0], (unsigned long long)d[1],
                d[1] ? (double)d[0] / (double)d[1] : 0.0, (unsigned long long)d[2],
                (unsigned long long)d[3], (unsigned long long)d[4], (unsigned long long)d[5],
                (unsigned long long)d[6], (unsigned long long)d[7]);
    if (d[8] > 0)
        fprintf(out, "dpdk: %llu requests timed out on a device that stopped completing (given "
                     "up: see kaccel-dpdk-timeout)\n",
                (unsigned long long)d[8]);
}

int kac_cli_stats(int argc, char **argv, FILE *out)
{
    struct row rows[KAC_ALG_COUNT];
    int nrows = 0, procs = 0, i, status = 0;

    if (argc >= 1 && strcmp(argv[0], "--") == 0) {
        char path[] = "/tmp/kaccel-stats-XXXXXX";
        int fd = mkstemp(path);
        pid_t pid;

        if (argc < 2 || fd < 0) {
            fprintf(stderr, "kaccel stats: usage: kaccel stats -- CMD [ARGS...]\n");
            return 2;
        }
        close(fd);
        pid = fork();
        if (pid == 0) {
            setenv(KACCEL_ENV_STATS, path, 1);
            execvp(argv[1], argv + 1);
            perror(argv[1]);
            _exit(127);
        }
        if (pid < 0 || waitpid(pid, &status, 0) < 0) {
            unlink(path);
            return 1;
        }
        add_file(path, rows, &nrows, &procs);
        unlink(path);
        print(out, rows, nrows, procs);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (argc < 1) {
        fprintf(stderr, "kaccel stats: name a file written through KACCEL_STATS, "
                        "or: kaccel stats -- CMD [ARGS...]\n");
        return 2;
    }
    for (i = 0; i < argc; i++)
        if (!add_file(argv[i], rows, &nrows, &procs))
            return 1;
    print(out, rows, nrows, procs);
    return 0;
}
