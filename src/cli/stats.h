#ifndef KAC_CLI_STATS_H
#define KAC_CLI_STATS_H

#include <stdio.h>

/*
 * kaccel stats FILE...      totals of the counters processes appended to FILE
 *                           (KACCEL_STATS=FILE)
 * kaccel stats -- CMD ARGS  runs CMD with KACCEL_STATS set, then prints its
 *                           counters; exits with CMD's status
 */
int kac_cli_stats(int argc, char **argv, FILE *out);

/*
 * The line of algorithm name in the text of a per-algorithm provider
 * parameter (kaccel-stats, kaccel-routes, kaccel-thresholds...: lines
 * "<name> ..."), or NULL.
 */
const char *kac_cli_alg_line(const char *text, const char *name);

#endif
