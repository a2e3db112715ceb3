/* Errors raised onto OpenSSL's error stack under the provider's own library code. */
#ifndef KAC_ERROR_H
#define KAC_ERROR_H

#include <stdarg.h>

#define KAC_REASONS(X)                                                   \
    X(KAC_R_INVALID_CONFIG, 1, "invalid kaccel configuration")           \
    X(KAC_R_INIT_FAILED, 2, "kaccel initialisation failed")              \
    X(KAC_R_BACKEND_UNAVAILABLE, 3, "backend unavailable")               \
    X(KAC_R_MALLOC_FAILURE, 4, "out of memory")                          \
    X(KAC_R_INVALID_KEY_LENGTH, 5, "invalid key length")                 \
    X(KAC_R_INVALID_IV_LENGTH, 6, "invalid iv length")                   \
    X(KAC_R_MISSING_KEY, 7, "key not set")                               \
    X(KAC_R_MISSING_IV, 8, "iv not set")                                 \
    X(KAC_R_INVALID_TAG_LENGTH, 9, "invalid tag length")                 \
    X(KAC_R_TAG_MISMATCH, 10, "authentication tag mismatch")             \
    X(KAC_R_BAD_DECRYPT, 11, "bad decrypt")                              \
    X(KAC_R_WRONG_FINAL_BLOCK_LENGTH, 12, "wrong final block length")    \
    X(KAC_R_OUTPUT_BUFFER_TOO_SMALL, 13, "output buffer too small")      \
    X(KAC_R_INVALID_PARAMETER, 14, "invalid parameter")                  \
    X(KAC_R_UPDATE_AFTER_FINAL, 15, "update after final")                \
    X(KAC_R_OPERATION_FAILED, 16, "offloaded operation failed")          \
    X(KAC_R_SOFTWARE_FAILED, 17, "software implementation failed")       \
    X(KAC_R_INVALID_INPUT_LENGTH, 18, "invalid input length")

enum kac_reason {
#define KAC_REASON_ENUM(sym, num, str) sym = num,
    KAC_REASONS(KAC_REASON_ENUM)
#undef KAC_REASON_ENUM
};

/* Reason string for a code, NULL when unknown. */
const char *kac_reason_string(int reason);

/*
 * The core's error upcalls (OSSL_FUNC_core_new_error and friends), bound once
 * by the provider at init.  Unbound (tools, unit tests) errors go to libcrypto's
 * ERR_LIB_USER so they remain visible.
 */
struct kac_err_upcalls {
    const void *handle;                          /* OSSL_CORE_HANDLE */
    void (*new_error)(const void *handle);
    void (*set_debug)(const void *handle, const char *file, int line, const char *func);
    void (*vset_error)(const void *handle, unsigned int reason, const char *fmt, va_list ap);
};
void kac_err_bind(const struct kac_err_upcalls *up);

void kac_err_raise_impl(const char *file, int line, const char *func, int reason,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#define KAC_ERR(reason, ...) kac_err_raise_impl(__FILE__, __LINE__, __func__, reason, __VA_ARGS__)
#define KAC_ERR0(reason) kac_err_raise_impl(__FILE__, __LINE__, __func__, reason, NULL)

#endif
