#include "fork.h"

#include <pthread.h>

unsigned kac_fork_generation = 1;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void on_fork_child(void)
{
    __atomic_fetch_add(&kac_fork_generation, 1, __ATOMIC_RELAXED);
}

static void install(void)
{
    /* glibc removes handlers registered from a shared object when it is unloaded. */
    pthread_atfork(NULL, NULL, on_fork_child);
}

void kac_fork_init(void)
{
    pthread_once(&fork_once, install);
}
