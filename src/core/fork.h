/*
 * Fork detection: a child rebuilds every backend resource on next use and
 * never uses its parent's sockets, rings or queues.  The atfork handler only
 * bumps a counter (no allocation, no locks).
 */
#ifndef KAC_FORK_H
#define KAC_FORK_H

extern unsigned kac_fork_generation;

/* Installs the atfork handler once per process. */
void kac_fork_init(void);

static inline unsigned kac_fork_gen(void)
{
    return __atomic_load_n(&kac_fork_generation, __ATOMIC_RELAXED);
}

#endif
