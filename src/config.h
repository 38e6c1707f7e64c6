/*
 * config.h: the settings of `stratus serve`, from flags and STRATUS_*
 * environment variables (a flag wins over its variable).
 */
#ifndef STRATUS_CONFIG_H
#define STRATUS_CONFIG_H

#include <stddef.h>

typedef struct stratus_config {
    char host[256];
    int port;     /* AWS APIs; 0 picks a free port */
    int api_port; /* the stack's HTTP API; -1 disables it */
    char data_dir[1024];
    int in_memory;
    char stack_file[1024];
    int no_stack;
    int redeploy;
    int sync_full;
    int virtual_clock;
    char log_level[16];
    /* IAM enforcement of issued credentials and service roles (default
     * on; `--iam off`). */
    int iam_enforce;
} stratus_config;

/* Defaults: 127.0.0.1:4566, API 4567, data dir ".stratus", stack
 * "pipeline/stack.yaml", log level info, IAM enforcement on. */
void config_defaults(stratus_config *cfg);

/* Read STRATUS_* variables over the current values. Returns 0 or -1. */
int config_from_env(stratus_config *cfg, char *errbuf, size_t errsize);

/*
 * Read `serve` flags over the current values. Returns 0, 1 when --help was
 * given (usage printed), or -1 with a message.
 */
int config_from_args(stratus_config *cfg, int argc, char **argv, char *errbuf,
                     size_t errsize);

/* Print the `serve` usage text to stdout. */
void config_usage(void);

#endif
