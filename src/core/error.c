#include "error.h"

#include <stddef.h>
#include <openssl/err.h>

#include "log.h"

static struct kac_err_upcalls upcalls;

const char *kac_reason_string(int reason)
{
    switch (reason) {
#define KAC_REASON_CASE(sym, num, str) case num: return str;
        KAC_REASONS(KAC_REASON_CASE)
#undef KAC_REASON_CASE
    }
    return NULL;
}

void kac_err_bind(const struct kac_err_upcalls *up)
{
    upcalls = *up;
}

void kac_err_raise_impl(const char *file, int line, const char *func, int reason,
                        const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (kac_log_enabled) {
        va_list aq;

        va_copy(aq, ap);
        if (fmt != NULL)
            kac_log_vprintf(file, line, fmt, aq);
        else
            kac_log_printf(file, line, "error: %s", kac_reason_string(reason));
        va_end(aq);
    }
    if (upcalls.new_error != NULL) {
        upcalls.new_error(upcalls.handle);
        upcalls.set_debug(upcalls.handle, file, line, func);
        upcalls.vset_error(upcalls.handle, (unsigned int)reason, fmt, ap);
    } else {
        ERR_new();
        ERR_set_debug(file, line, func);
        ERR_vset_error(ERR_LIB_USER, reason, fmt, ap);
    }
    va_end(ap);
}
