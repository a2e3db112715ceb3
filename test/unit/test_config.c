/* Strict parsing of kaccel's openssl.cnf keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <kaccel/kaccel.h>
#include "core/config.h"

static void test_defaults(void **state)
{
    struct kac_config c;
    char buf[32];

    kac_config_defaults(&c);
    assert_int_equal(c.nbackends, 1);
    assert_int_equal(c.backends[0], KAC_BACKEND_AFALG);
    assert_int_equal(c.min_offload, KAC_DEFAULT_MIN_OFFLOAD);
    kac_config_backends_str(&c, buf, sizeof(buf));
    assert_string_equal(buf, "afalg");
}

static void test_sizes(void **state)
{
    static const struct { const char *in; size_t out; } good[] = {
        { "0", 0 }, { "4096", 4096 }, { " 16 ", 16 }, { "4k", 4096 }, { "4K", 4096 },
        { "4KiB", 4096 }, { "1M", 1048576 }, { "2MiB", 2097152 }, { "3m", 3145728 },
    };
    static const char *const bad[] = {
        "", " ", "lots", "-1", "+1", "4kb", "4 k", "1G", "0x10", "12abc", "4.5",
        "99999999999999999999999", "18446744073709551615M",
    };
    size_t i, v;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_true(kac_parse_size(good[i].in, &v));
        assert_int_equal(v, good[i].out);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = 12345;
        assert_false(kac_parse_size(bad[i], &v));
        assert_int_equal(v, 12345);
    }
}

static void test_min_offload(void **state)
{
    struct kac_config c;
    char err[256];

    kac_config_defaults(&c);
    assert_true(kac_config_set(&c, KACCEL_CNF_MIN_OFFLOAD, "64k", err, sizeof(err)));
    assert_int_equal(c.min_offload, 65536);
    assert_string_equal(err, "");
    assert_false(kac_config_set(&c, KACCEL_CNF_MIN_OFFLOAD, "lots", err, sizeof(err)));
    assert_int_equal(c.min_offload, 65536); /* unchanged on error */
    assert_non_null(strstr(err, "kaccel-min-offload"));
    assert_non_null(strstr(err, "\"lots\""));
}

/* kaccel-min-offload-algs: per-algorithm values, aliases, HMAC for every variant. */
static void test_min_offload_algs(void **state)
{
    struct kac_config c;
    char err[256], o[300];

    kac_config_defaults(&c);
    assert_true(kac_config_set(&c, KACCEL_CNF_MIN_OFFLOAD_ALGS, " AES-128-CBC:16k, HMAC : 1M ",
                               err, sizeof(err)));
    assert_int_equal(kac_config_min_offload(&c, KAC_AES_128_CBC), 16384);
    assert_int_equal(kac_config_min_offload(&c, KAC_HMAC_SHA2_256), 1048576);
    assert_int_equal(kac_config_min_offload(&c, KAC_HMAC_SHA1), 1048576);
    assert_int_equal(kac_config_min_offload(&c, KAC_SHA2_256), KAC_DEFAULT_MIN_OFFLOAD);
    assert_string_equal(kac_config_min_offload_origin(&c, KAC_AES_128_CBC, o, sizeof(o)),
                        "kaccel-min-offload-algs");
    assert_string_equal(kac_config_min_offload_origin(&c, KAC_SHA2_256, o, sizeof(o)),
                        "default");
    /* a value replaces the whole list */
    assert_true(kac_config_set(&c, KACCEL_CNF_MIN_OFFLOAD_ALGS, "SHA256:0", err, sizeof(err)));
    assert_int_equal(kac_config_min_offload(&c, KAC_SHA2_256), 0);
    assert_int_equal(kac_config_min_offload(&c, KAC_AES_128_CBC), KAC_DEFAULT_MIN_OFFLOAD);
    assert_false(kac_config_set(&c, KACCEL_CNF_MIN_OFFLOAD_ALGS, "AES-128-CBC", err,
                                sizeof(err)));
    assert_string_equal(err, "kaccel-min-offload-algs = \"AES-128-CBC\": \"AES-128-CBC\" is "
                             "not ALGORITHM:BYTES");
    assert_int_equal(kac_config_min_offload(&c, KAC_SHA2_256), 0); /* unchanged */
}

/*
 * kaccel-min-offload-async and kaccel-min-offload-async-algs: the threshold
 * inside an ASYNC job is the per-algorithm async value, else the global async
 * one, else the synchronous threshold; each with its origin.
 */
static void test_min_offload_async(void **state)
{
    struct kac_config c;
    char err[256], o[300];
    int a;

    /* Neither key: exactly the synchronous thresholds and their origins. */
    kac_config_defaults(&c);
    assert_false(c.min_offload_async_set);
    for (a = 0; a < KAC_ALG_COUNT; a++) {
        char so[300];

        assert_int_equal(kac_config_min_offload_async(&c, (enum kac_alg_id)a),
                         kac_config_min_offload(&c, (enum kac_alg_id)a));
        assert_string_equal(kac_config_min_offload_async_origin(&c, (enum kac_alg_id)a, o,
                                                                sizeof(o)),
                            kac_config_min_offload_origin(&c, (enum kac_alg_id)a, so,
                                                          sizeof(so)));
    }
    assert_true(kac_config_set(&c, KACCEL_CNF_MIN_OFFLOAD, "64k", err, sizeof(err)));
    assert_true(kac_config_set(&c, KACCEL_CNF_MIN_OFFLOAD_ALGS, "SHA2-256:1M", err, sizeof(err)));
    assert_int_equal(kac_config_min_offload_async(&c, KAC_AES_128_CBC), 65536);
    assert_int_equal(kac_config_min_offload_async(&c, KAC_SHA2_256), 1048576);
    assert_string_equal(kac_config_min_offload_async_origin(&c, KAC_AES_128_CBC, o,
                                                            sizeof(o)),
                        "kaccel-min-offload");
    assert_string_equal(kac_config_min_offload_async_origin(&c, KAC_SHA2_256, o, sizeof(o)),
                        "kaccel-min-offload-algs");

    /* kaccel-min-offload-async: every algorithm without an async value of its own. */
    assert_true(kac_config_set(&c, KACCEL_CNF_MIN_OFFLOAD_ASYNC, " 2KiB ", err, sizeof(err)));
    assert_string_equal(err, "");
    assert_int_equal(kac_config_min_offload_async(&c, KAC_AES_128_CBC), 2048);
    assert_int_equal(kac_config_min_offload_async(&c, KAC_SHA2_256), 2048);
    assert_string_equal(kac_config_min_offload_async_origin(&c, KAC_SHA2_256, o, sizeof(o)),
                        "kaccel-min-offload-async");
    /* the synchronous thresholds are untouched */
    assert_int_equal(kac_config_min_offload(&c, KAC_AES_128_CBC), 65536);
    assert_int_equal(kac_config_min_offload(&c, KAC_SHA2_256), 1048576);
    assert_int_equal(c.min_offload, 65536);

    /* kaccel-min-offload-async-algs: per algorithm, over both. */
    assert_true(kac_config_set(&c, KACCEL_CNF_MIN_OFFLOAD_ASYNC_ALGS,
                               "aes128:0, CMAC:8k, HMAC-SHA2-256:1024M", err, sizeof(err)));
    assert_int_equal(kac_config_min_offload_async(&c, KAC_AES_128_CBC), 0);
    assert_int_equal(kac_config_min_offload_async(&c, KAC_CMAC_AES_128), 8192);
    assert_int_equal(kac_config_min_offload_async(&c, KAC_HMAC_SHA2_256), 1073741824);
    assert_int_equal(kac_config_min_offload_async(&c, KAC_HMAC_SHA1), 2048);
    assert_string_equal(kac_config_min_offload_async_origin(&c, KAC_AES_128_CBC, o,
                                                            sizeof(o)),
                        "kaccel-min-offload-async-algs");
    assert_int_equal(kac_config_min_offload(&c, KAC_AES_128_CBC), 65536);
    assert_int_equal(kac_config_min_offload(&c, KAC_HMAC_SHA2_256), 65536);
    assert_string_equal(kac_config_min_offload_origin(&c, KAC_AES_128_CBC, o, sizeof(o)),
                        "kaccel-min-offload");

    /* kaccel-tuned: values of both per-algorithm keys come from kaccel tune. */
    assert_true(kac_config_set(&c, KACCEL_CNF_TUNED, "2025-01-02 host dpdk:x async-jobs=16",
                               err, sizeof(err)));
    assert_string_equal(kac_config_min_offload_async_origin(&c, KAC_AES_128_CBC, o,
                                                            sizeof(o)),
                        "kaccel tune 2025-01-02 host dpdk:x async-jobs=16");
    assert_string_equal(kac_config_min_offload_origin(&c, KAC_SHA2_256, o, sizeof(o)),
                        "kaccel tune 2025-01-02 host dpdk:x async-jobs=16");
    /* but not the global keys' */
    assert_string_equal(kac_config_min_offload_async_origin(&c, KAC_SHA2_512, o, sizeof(o)),
                        "kaccel-min-offload-async");

    /* Errors: the key and the value named, nothing changed. */
    assert_false(kac_config_set(&c, KACCEL_CNF_MIN_OFFLOAD_ASYNC, "lots", err, sizeof(err)));
    assert_string_equal(err, "kaccel-min-offload-async = \"lots\": not a byte count (digits "
                             "with optional k, K, KiB, M, MiB)");
    assert_false(kac_config_set(&c, KACCEL_CNF_MIN_OFFLOAD_ASYNC, "", err, sizeof(err)));
    assert_non_null(strstr(err, "kaccel-min-offload-async = \"\": not a byte count"));
    assert_false(kac_config_set(&c, KACCEL_CNF_MIN_OFFLOAD_ASYNC, "-1", err, sizeof(err)));
    assert_int_equal(c.min_offload_async, 2048);
    assert_false(kac_config_set(&c, KACCEL_CNF_MIN_OFFLOAD_ASYNC_ALGS, "AES-128-CBC:4k, NOSUCH:1",
                                err, sizeof(err)));
    assert_string_equal(err, "kaccel-min-offload-async-algs = \"AES-128-CBC:4k, NOSUCH:1\": "
                             "unknown algorithm \"NOSUCH\"");
    assert_false(kac_config_set(&c, KACCEL_CNF_MIN_OFFLOAD_ASYNC_ALGS, "SHA1:lots", err,
                                sizeof(err)));
    assert_string_equal(err, "kaccel-min-offload-async-algs = \"SHA1:lots\": \"lots\" is not "
                             "a byte count");
    assert_false(kac_config_set(&c, KACCEL_CNF_MIN_OFFLOAD_ASYNC_ALGS, "SHA1:1,,SHA2-256:2", err,
                                sizeof(err)));
    assert_non_null(strstr(err, "kaccel-min-offload-async-algs = \"SHA1:1,,SHA2-256:2\": "
                                "empty item"));
    assert_false(kac_config_set(&c, KACCEL_CNF_MIN_OFFLOAD_ASYNC_ALGS, "SHA1", err, sizeof(err)));
    assert_non_null(strstr(err, "is not ALGORITHM:BYTES"));
    assert_int_equal(kac_config_min_offload_async(&c, KAC_AES_128_CBC), 0);
    assert_int_equal(kac_config_min_offload_async(&c, KAC_CMAC_AES_128), 8192);
    assert_int_equal(kac_config_min_offload_async(&c, KAC_SHA1), 2048);

    /* A new list replaces the old one: the others fall back again. */
    assert_true(kac_config_set(&c, KACCEL_CNF_MIN_OFFLOAD_ASYNC_ALGS, "SHA1:3", err, sizeof(err)));
    assert_int_equal(kac_config_min_offload_async(&c, KAC_SHA1), 3);
    assert_int_equal(kac_config_min_offload_async(&c, KAC_AES_128_CBC), 2048);
}

static void test_backends(void **state)
{
    struct kac_config c;
    char err[256], buf[32];

    kac_config_defaults(&c);
    assert_true(kac_config_set(&c, KACCEL_CNF_BACKENDS, " AFALG ", err, sizeof(err)));
    assert_int_equal(c.nbackends, 1);
    assert_true(kac_config_set(&c, KACCEL_CNF_BACKENDS, "none", err, sizeof(err)));
    assert_int_equal(c.nbackends, 0);
    kac_config_backends_str(&c, buf, sizeof(buf));
    assert_string_equal(buf, "none");

    kac_config_defaults(&c);
    assert_false(kac_config_set(&c, KACCEL_CNF_BACKENDS, "nosuch", err, sizeof(err)));
    assert_non_null(strstr(err, "kaccel-backends"));
    assert_non_null(strstr(err, "\"nosuch\""));
    assert_int_equal(c.nbackends, 1);
    assert_false(kac_config_set(&c, KACCEL_CNF_BACKENDS, "afalg,,afalg", err, sizeof(err)));
    assert_non_null(strstr(err, "empty"));
    assert_false(kac_config_set(&c, KACCEL_CNF_BACKENDS, "afalg,afalg", err, sizeof(err)));
    assert_non_null(strstr(err, "twice"));
    assert_false(kac_config_set(&c, KACCEL_CNF_BACKENDS, "", err, sizeof(err)));
    assert_false(kac_config_set(&c, KACCEL_CNF_BACKENDS, "afalg,", err, sizeof(err)));
    if (!kac_backend_built(KAC_BACKEND_DPDK)) {
        assert_false(kac_config_set(&c, KACCEL_CNF_BACKENDS, "dpdk", err, sizeof(err)));
        assert_non_null(strstr(err, "not built"));
    }
}

static void test_unknown_key(void **state)
{
    struct kac_config c;
    char err[256];

    kac_config_defaults(&c);
    assert_false(kac_config_set(&c, "kaccel-nosuch", "1", err, sizeof(err)));
    assert_non_null(strstr(err, "kaccel-nosuch"));
    assert_non_null(strstr(err, "unknown key"));
}

static void test_dpdk_keys(void **state)
{
    struct kac_config c;
    char err[256], big[1100];
    size_t i;

    kac_config_defaults(&c);
    assert_int_equal(c.dpdk_queue_pairs, 0); /* backend default (8) */
    assert_int_equal(c.dpdk_burst, 0);       /* backend default (32) */
    assert_int_equal(c.ndpdk_devices, 0);    /* every cryptodev */
    assert_true(kac_config_check(&c, err, sizeof(err)));

    assert_true(kac_config_set(&c, KACCEL_CNF_DPDK_EAL, " --no-huge \"a b\" 'c'  ", err, sizeof(err)));
    assert_string_equal(c.dpdk_eal, "--no-huge \"a b\" 'c'");
    assert_false(kac_config_set(&c, KACCEL_CNF_DPDK_EAL, "--vdev=\"x", err, sizeof(err)));
    assert_non_null(strstr(err, "kaccel-dpdk-eal = \"--vdev=\"x\": unterminated quote"));
    assert_string_equal(c.dpdk_eal, "--no-huge \"a b\" 'c'"); /* unchanged */
    assert_false(kac_config_set(&c, KACCEL_CNF_DPDK_EAL, "  ", err, sizeof(err)));
    assert_non_null(strstr(err, "empty EAL argument list"));
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_false(kac_config_set(&c, KACCEL_CNF_DPDK_EAL, big, err, sizeof(err)));
    assert_non_null(strstr(err, "too long"));
    for (i = 0; i < 2 * (KAC_MAX_DPDK_EAL_ARGS + 1); i += 2)
        big[i] = 'a', big[i + 1] = ' ';
    big[i] = '\0';                           /* KAC_MAX_DPDK_EAL_ARGS + 1 arguments */
    assert_false(kac_config_set(&c, KACCEL_CNF_DPDK_EAL, big, err, sizeof(err)));
    assert_non_null(strstr(err, "too many EAL arguments"));
    big[i - 2] = '\0';                       /* KAC_MAX_DPDK_EAL_ARGS */
    assert_true(kac_config_set(&c, KACCEL_CNF_DPDK_EAL, big, err, sizeof(err)));

    assert_true(kac_config_set(&c, KACCEL_CNF_DPDK_DEVICES, "crypto_qat, crypto_aesni_mb0", err,
                               sizeof(err)));
    assert_int_equal(c.ndpdk_devices, 2);
    assert_string_equal(c.dpdk_devices[1], "crypto_aesni_mb0");
    assert_true(kac_config_set(&c, KACCEL_CNF_DPDK_DEVICES, "ALL", err, sizeof(err)));
    assert_int_equal(c.ndpdk_devices, 0);
    assert_false(kac_config_set(&c, KACCEL_CNF_DPDK_DEVICES, "a,,b", err, sizeof(err)));
    assert_non_null(strstr(err, "empty item"));

    assert_true(kac_config_set(&c, KACCEL_CNF_DPDK_QUEUE_PAIRS, "64", err, sizeof(err)));
    assert_int_equal(c.dpdk_queue_pairs, 64);
    assert_false(kac_config_set(&c, KACCEL_CNF_DPDK_QUEUE_PAIRS, "65", err, sizeof(err)));
    assert_non_null(strstr(err, "kaccel-dpdk-queue-pairs = \"65\""));
    assert_false(kac_config_set(&c, KACCEL_CNF_DPDK_QUEUE_PAIRS, "0", err, sizeof(err)));
    assert_true(kac_config_set(&c, KACCEL_CNF_DPDK_BURST, "256", err, sizeof(err)));
    assert_false(kac_config_set(&c, KACCEL_CNF_DPDK_BURST, "257", err, sizeof(err)));
    assert_non_null(strstr(err, "kaccel-dpdk-burst = \"257\""));
    assert_int_equal(c.dpdk_burst, 256);
    assert_int_equal(c.dpdk_timeout_ms, 0); /* backend default (5000) */
    assert_true(kac_config_set(&c, KACCEL_CNF_DPDK_TIMEOUT, "250", err, sizeof(err)));
    assert_int_equal(c.dpdk_timeout_ms, 250);
    assert_false(kac_config_set(&c, KACCEL_CNF_DPDK_TIMEOUT, "0", err, sizeof(err)));
    assert_non_null(strstr(err, "kaccel-dpdk-timeout = \"0\": not a time in milliseconds"));
    assert_false(kac_config_set(&c, KACCEL_CNF_DPDK_TIMEOUT, "600001", err, sizeof(err)));
    assert_int_equal(c.dpdk_timeout_ms, 250);

    /* dpdk in kaccel-backends needs kaccel-dpdk-eal. */
    if (kac_backend_built(KAC_BACKEND_DPDK)) {
        kac_config_defaults(&c);
        assert_true(kac_config_set(&c, KACCEL_CNF_BACKENDS, "afalg,dpdk", err, sizeof(err)));
        assert_false(kac_config_check(&c, err, sizeof(err)));
        assert_non_null(strstr(err, "kaccel-backends = \"afalg,dpdk\""));
        assert_non_null(strstr(err, "kaccel-dpdk-eal"));
        assert_true(kac_config_set(&c, KACCEL_CNF_DPDK_EAL, "--no-huge", err, sizeof(err)));
        assert_true(kac_config_check(&c, err, sizeof(err)));
    }
}

static void test_keys_listed(void **state)
{
    size_t i;
    int seen_b = 0, seen_m = 0, seen_a = 0, seen_aa = 0;

    for (i = 0; kac_config_keys[i] != NULL; i++) {
        assert_int_equal(strncmp(kac_config_keys[i], "kaccel-", 7), 0);
        seen_b |= strcmp(kac_config_keys[i], KACCEL_CNF_BACKENDS) == 0;
        seen_m |= strcmp(kac_config_keys[i], KACCEL_CNF_MIN_OFFLOAD) == 0;
        seen_a |= strcmp(kac_config_keys[i], "kaccel-min-offload-async") == 0;
        seen_aa |= strcmp(kac_config_keys[i], "kaccel-min-offload-async-algs") == 0;
    }
    assert_true(seen_b && seen_m && seen_a && seen_aa);
    /* the provider reads at most 16 keys (providers/provider.c, read_config) */
    assert_true(i <= 16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),    cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_min_offload), cmocka_unit_test(test_backends),
        cmocka_unit_test(test_unknown_key), cmocka_unit_test(test_keys_listed),
        cmocka_unit_test(test_dpdk_keys),   cmocka_unit_test(test_min_offload_algs),
        cmocka_unit_test(test_min_offload_async),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
