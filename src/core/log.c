#include "log.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <kaccel/kaccel.h>

int kac_log_enabled;
static FILE *log_fp;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void log_open(void)
{
    const char *v = secure_getenv(KACCEL_ENV_DEBUG);

    if (v == NULL || *v == '\0' || strcmp(v, "0") == 0)
        return;
    if (strcmp(v, "1") == 0 || strcmp(v, "stderr") == 0) {
        log_fp = stderr;
    } else {
        int fd = open(v, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

        if (fd < 0 || (log_fp = fdopen(fd, "a")) == NULL) {
            if (fd >= 0)
                close(fd);
            log_fp = stderr;
        } else {
            setvbuf(log_fp, NULL, _IOLBF, 0);
        }
    }
    kac_log_enabled = 1;
}

void kac_log_init(void)
{
    pthread_once(&log_once, log_open);
}

void kac_log_vprintf(const char *file, int line, const char *fmt, va_list ap)
{
    struct timeval tv;
    const char *base = strrchr(file, '/');

    if (!kac_log_enabled)
        return;
    gettimeofday(&tv, NULL);
    pthread_mutex_lock(&log_lock);
    fprintf(log_fp, "kaccel[%d] %ld.%06ld %s:%d: ", (int)getpid(), (long)tv.tv_sec,
            (long)tv.tv_usec, base != NULL ? base + 1 : file, line);
    vfprintf(log_fp, fmt, ap);
    fputc('\n', log_fp);
    fflush(log_fp);
    pthread_mutex_unlock(&log_lock);
}

void kac_log_printf(const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    kac_log_vprintf(file, line, fmt, ap);
    va_end(ap);
}
