/* Debug logging, enabled by KACCEL_DEBUG ("1": stderr, otherwise a file path). */
#ifndef KAC_LOG_H
#define KAC_LOG_H

#include <stdarg.h>

extern int kac_log_enabled;

/* Reads KACCEL_DEBUG once; safe to call repeatedly. */
void kac_log_init(void);
void kac_log_printf(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void kac_log_vprintf(const char *file, int line, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* One predictable branch when logging is off.  Never pass key material. */
#define KAC_DBG(...)                                                  \
    do {                                                              \
        if (__builtin_expect(kac_log_enabled, 0))                     \
            kac_log_printf(__FILE__, __LINE__, __VA_ARGS__);          \
    } while (0)

#endif
