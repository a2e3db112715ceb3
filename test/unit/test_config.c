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
    int seen_b = 0, seen_m = 0;

    for (i = 0; kac_config_keys[i] != NULL; i++) {
        assert_int_equal(strncmp(kac_config_keys[i], "kaccel-", 7), 0);
        seen_b |= strcmp(kac_config_keys[i], KACCEL_CNF_BACKENDS) == 0;
        seen_m |= strcmp(kac_config_keys[i], KACCEL_CNF_MIN_OFFLOAD) == 0;
    }
    assert_true(seen_b && seen_m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),    cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_min_offload), cmocka_unit_test(test_backends),
        cmocka_unit_test(test_unknown_key), cmocka_unit_test(test_keys_listed),
        cmocka_unit_test(test_dpdk_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
