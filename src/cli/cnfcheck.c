#include "cnfcheck.h"

#include <string.h>

#include <openssl/conf.h>
#include <openssl/err.h>

#include <kaccel/kaccel.h>

#include "core/config.h"

/* Keys OpenSSL itself consumes in a provider section. */
static const char *const ossl_keys[] = { "module", "activate", "identity", "soft_load" };

const char *kac_cnf_kaccel_section(const CONF *conf)
{
    const char *init = NCONF_get_string(conf, NULL, "openssl_conf");
    const char *provs = init != NULL ? NCONF_get_string(conf, init, "providers") : NULL;
    STACK_OF(CONF_VALUE) *list = provs != NULL ? NCONF_get_section(conf, provs) : NULL;
    int i;

    ERR_clear_error();
    for (i = 0; list != NULL && i < sk_CONF_VALUE_num(list); i++) {
        CONF_VALUE *v = sk_CONF_VALUE_value(list, i);
        const char *id, *mod, *base;

        if (strcmp(v->name, KACCEL_PROVIDER_NAME) == 0)
            return v->value;
        id = NCONF_get_string(conf, v->value, "identity");
        mod = NCONF_get_string(conf, v->value, "module");
        ERR_clear_error();
        if (id != NULL && strcmp(id, KACCEL_PROVIDER_NAME) == 0)
            return v->value;
        if (mod != NULL) {
            base = strrchr(mod, '/');
            base = base != NULL ? base + 1 : mod;
            if (strcmp(base, "kaccel.so") == 0)
                return v->value;
        }
    }
    return NULL;
}

int kac_cnfcheck(const char *file, FILE *out)
{
    char *deffile = NULL;
    CONF *conf = NCONF_new(NULL);
    const char *section = NULL;
    STACK_OF(CONF_VALUE) *keys;
    struct kac_config cfg;
    int i, errors = 0, ret = 2;

    if (file == NULL)
        file = deffile = CONF_get1_default_config_file();
    if (conf == NULL || file == NULL || NCONF_load(conf, file, NULL) <= 0) {
        fprintf(out, "%s: cannot read OpenSSL configuration\n", file ? file : "(none)");
        goto end;
    }
    section = kac_cnf_kaccel_section(conf);
    if (section == NULL || (keys = NCONF_get_section(conf, section)) == NULL) {
        fprintf(out, "%s: no kaccel provider section (see kaccel(7))\n", file);
        goto end;
    }
    kac_config_defaults(&cfg);
    for (i = 0; i < sk_CONF_VALUE_num(keys); i++) {
        CONF_VALUE *v = sk_CONF_VALUE_value(keys, i);
        char err[256];
        size_t k;
        int known = 0;

        for (k = 0; k < sizeof(ossl_keys) / sizeof(ossl_keys[0]); k++)
            known |= strcmp(v->name, ossl_keys[k]) == 0;
        if (known)
            continue;
        if (!kac_config_set(&cfg, v->name, v->value, err, sizeof(err))) {
            fprintf(out, "%s [%s]: %s\n", file, section, err);
            errors++;
        }
    }
    if (errors == 0) {
        char err[256];

        if (!kac_config_check(&cfg, err, sizeof(err))) {
            fprintf(out, "%s [%s]: %s\n", file, section, err);
            errors++;
        }
    }
    if (errors == 0)
        fprintf(out, "%s [%s]: kaccel configuration valid\n", file, section);
    ret = errors ? 1 : 0;
end:
    ERR_clear_error();
    NCONF_free(conf);
    OPENSSL_free(deffile);
    return ret;
}
