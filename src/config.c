/*
 * config.c: `stratus serve` settings from defaults, STRATUS_* environment
 * variables and flags, in that order of precedence (flags win).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

void config_defaults(stratus_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->host, sizeof cfg->host, "%s", "127.0.0.1");
    cfg->port = 4566;
    cfg->api_port = 4567;
    snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", ".stratus");
    snprintf(cfg->stack_file, sizeof cfg->stack_file, "%s",
             "pipeline/stack.yaml");
    snprintf(cfg->log_level, sizeof cfg->log_level, "%s", "info");
    cfg->iam_enforce = 1;
}

static int config_port(const char *text, int *out, const char *what,
                       char *errbuf, size_t errsize)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (!*text || *end || v < 0 || v > 65535) {
        snprintf(errbuf, errsize,
                 "invalid %s \"%s\": expected a port number from 0 to 65535",
                 what, text);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int config_takes_value(const char *name)
{
    static const char *const names[] = {
        "port", "api-port", "host", "data-dir", "stack", "log-level", "iam"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

static int config_bool(const char *text)
{
    return strcmp(text, "1") == 0 || strcmp(text, "true") == 0 ||
           strcmp(text, "yes") == 0;
}

static int config_set(stratus_config *cfg, const char *name, const char *value,
                      char *errbuf, size_t errsize)
{
    if (strcmp(name, "port") == 0)
        return config_port(value, &cfg->port, "port", errbuf, errsize);
    if (strcmp(name, "api-port") == 0) {
        if (strcmp(value, "off") == 0) {
            cfg->api_port = -1;
            return 0;
        }
        return config_port(value, &cfg->api_port, "API port", errbuf, errsize);
    }
    if (strcmp(name, "host") == 0) {
        snprintf(cfg->host, sizeof cfg->host, "%s", value);
        return 0;
    }
    if (strcmp(name, "data-dir") == 0) {
        snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", value);
        cfg->in_memory = 0;
        return 0;
    }
    if (strcmp(name, "stack") == 0) {
        snprintf(cfg->stack_file, sizeof cfg->stack_file, "%s", value);
        cfg->no_stack = 0;
        return 0;
    }
    if (strcmp(name, "log-level") == 0) {
        log_level level;
        if (log_level_parse(value, &level) != 0) {
            snprintf(errbuf, errsize,
                     "invalid log level \"%s\": expected error, warn, info "
                     "or debug",
                     value);
            return -1;
        }
        snprintf(cfg->log_level, sizeof cfg->log_level, "%s", value);
        return 0;
    }
    if (strcmp(name, "iam") == 0) {
        if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0) {
            snprintf(errbuf, errsize,
                     "invalid --iam value \"%s\": expected on or off", value);
            return -1;
        }
        cfg->iam_enforce = strcmp(value, "on") == 0;
        return 0;
    }
    snprintf(errbuf, errsize, "unknown option --%s (see stratus serve --help)",
             name);
    return -1;
}

static const struct {
    const char *env;
    const char *name; /* flag with a value, or NULL for a boolean */
    size_t flag_offset;
} config_env_table[] = {
    {"STRATUS_PORT", "port", 0},
    {"STRATUS_API_PORT", "api-port", 0},
    {"STRATUS_HOST", "host", 0},
    {"STRATUS_DATA_DIR", "data-dir", 0},
    {"STRATUS_STACK", "stack", 0},
    {"STRATUS_LOG_LEVEL", "log-level", 0},
    {"STRATUS_IAM", "iam", 0},
    {"STRATUS_IN_MEMORY", NULL, offsetof(stratus_config, in_memory)},
    {"STRATUS_NO_STACK", NULL, offsetof(stratus_config, no_stack)},
    {"STRATUS_REDEPLOY", NULL, offsetof(stratus_config, redeploy)},
    {"STRATUS_SYNC_FULL", NULL, offsetof(stratus_config, sync_full)},
};

int config_from_env(stratus_config *cfg, char *errbuf, size_t errsize)
{
    size_t n = sizeof config_env_table / sizeof *config_env_table;
    for (size_t i = 0; i < n; i++) {
        const char *v = getenv(config_env_table[i].env);
        if (!v || !*v)
            continue;
        if (config_env_table[i].name) {
            if (config_set(cfg, config_env_table[i].name, v, errbuf, errsize) !=
                0)
                return -1;
        } else {
            *(int *)((char *)cfg + config_env_table[i].flag_offset) =
                config_bool(v);
        }
    }
    return 0;
}

void config_usage(void)
{
    printf("usage: stratus serve [options]\n"
           "\n"
           "  --port N          port of every AWS API (default 4566, "
           "STRATUS_PORT)\n"
           "  --api-port N      port of the stack's HTTP API, or off "
           "(default 4567, STRATUS_API_PORT)\n"
           "  --host ADDR       address to listen on (default 127.0.0.1, "
           "STRATUS_HOST)\n"
           "  --data-dir DIR    directory of the SQLite database (default "
           ".stratus, STRATUS_DATA_DIR)\n"
           "  --in-memory       keep all state in memory; nothing survives a "
           "restart (STRATUS_IN_MEMORY=1)\n"
           "  --stack FILE      stack file applied to a new data directory "
           "(default pipeline/stack.yaml, STRATUS_STACK)\n"
           "  --no-stack        start with no resources (STRATUS_NO_STACK=1)\n"
           "  --redeploy        apply the stack file even to an existing data "
           "directory (STRATUS_REDEPLOY=1)\n"
           "  --sync-full       fsync every commit, surviving power loss too "
           "(STRATUS_SYNC_FULL=1)\n"
           "  --log-level L     error, warn, info or debug (default info, "
           "STRATUS_LOG_LEVEL)\n"
           "  --iam on|off      check requests signed with credentials Stratus "
           "issued,\n"
           "                    and service roles, against IAM policies "
           "(default on,\n"
           "                    STRATUS_IAM)\n");
}

int config_from_args(stratus_config *cfg, int argc, char **argv, char *errbuf,
                     size_t errsize)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            config_usage();
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0) {
            snprintf(errbuf, errsize,
                     "unexpected argument \"%s\" (see stratus serve --help)",
                     arg);
            return -1;
        }
        const char *name = arg + 2;
        if (strcmp(name, "in-memory") == 0) {
            cfg->in_memory = 1;
            continue;
        }
        if (strcmp(name, "no-stack") == 0) {
            cfg->no_stack = 1;
            continue;
        }
        if (strcmp(name, "redeploy") == 0) {
            cfg->redeploy = 1;
            continue;
        }
        if (strcmp(name, "sync-full") == 0) {
            cfg->sync_full = 1;
            continue;
        }
        char flag[64];
        const char *value = NULL;
        const char *eq = strchr(name, '=');
        if (eq) {
            snprintf(flag, sizeof flag, "%.*s", (int)(eq - name), name);
            value = eq + 1;
        } else {
            snprintf(flag, sizeof flag, "%s", name);
            if (!config_takes_value(flag)) {
                snprintf(errbuf, errsize,
                         "unknown option %s (see stratus serve --help)", arg);
                return -1;
            }
            if (i + 1 >= argc) {
                snprintf(errbuf, errsize, "option %s needs a value", arg);
                return -1;
            }
            value = argv[++i];
        }
        if (config_set(cfg, flag, value, errbuf, errsize) != 0)
            return -1;
    }
    return 0;
}
