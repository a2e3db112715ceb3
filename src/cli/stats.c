#include "stats.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kaccel/kaccel.h>

#include "core/alg.h"
#include "core/stats.h"

/* Counter names in the order kac_stats_format() writes them. */
static const char *const fields[] = {
    "offload_ops", "offload_bytes", "sw_ops", "sw_bytes", "sw_small", "sw_no_route",
    "sw_params", "sw_session", "sw_op_error", "sw_queue_full", "errors",
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

struct row {
    char name[32];
    uint64_t v[NFIELDS];
};

/* io_uring queue totals: requests, submits, reaps, pauses, largest batch. */
static const char *const qfields[] = { "requests", "submits", "reaps", "pauses", "batch_max" };
static uint64_t qtot[5];

static void add_queue_line(char *line)
{
    char *tok, *save = NULL;
    size_t i;

    for (tok = strtok_r(line, " \n", &save); tok != NULL; tok = strtok_r(NULL, " \n", &save)) {
        char *eq = strchr(tok, '=');

        if (eq == NULL)
            continue;
        *eq = '\0';
        for (i = 0; i < 5; i++)
            if (strcmp(tok, qfields[i]) == 0) {
                uint64_t v = strtoull(eq + 1, NULL, 10);

                qtot[i] = i == 4 ? (v > qtot[i] ? v : qtot[i]) : qtot[i] + v;
            }
    }
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
        if (strcmp(name, "io_uring") == 0) {
            add_queue_line(line + strlen(name));
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
    int r;

    fprintf(out, "%d process report(s)\n", procs);
    fprintf(out, "%-18s %12s %14s %12s %14s  %s\n", "algorithm", "offload ops", "offload bytes",
            "sw ops", "sw bytes", "software because / errors");
    for (r = 0; r < nrows; r++) {
        const uint64_t *v = rows[r].v;
        size_t i;
        int any = 0;

        fprintf(out, "%-18s %12llu %14llu %12llu %14llu  ", rows[r].name,
                (unsigned long long)v[0], (unsigned long long)v[1], (unsigned long long)v[2],
                (unsigned long long)v[3]);
        for (i = 4; i < NFIELDS - 1; i++)
            if (v[i]) {
                fprintf(out, "%s%s=%llu", any ? " " : "", fields[i] + 3, (unsigned long long)v[i]);
                any = 1;
            }
        if (v[NFIELDS - 1])
            fprintf(out, "%serrors=%llu", any ? " " : "", (unsigned long long)v[NFIELDS - 1]);
        fputc('\n', out);
    }
    if (qtot[0] > 0)
        fprintf(out, "io_uring: %llu requests in %llu submissions (%.2f per submit), %llu job "
                     "pauses, largest batch %llu\n",
                (unsigned long long)qtot[0], (unsigned long long)qtot[1],
                qtot[1] ? (double)qtot[0] / (double)qtot[1] : 0.0, (unsigned long long)qtot[3],
                (unsigned long long)qtot[4]);
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
