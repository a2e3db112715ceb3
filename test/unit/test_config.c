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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
