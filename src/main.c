/*
 * main.c: the `stratus` command: serve, test (the scenario runner, in
 * scn_cli.c), ops and version.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apigw.h"
#include "aws.h"
#include "config.h"
#include "log.h"
#include "scn.h"
#include "stack.h"
#include "stratus.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: stratus <command> [options]\n"
            "\n"
            "commands:\n"
            "  serve     run every emulated AWS API on one port "
            "(stratus serve --help)\n"
            "  test      run YAML scenarios, each in a fresh instance "
            "(stratus test --help)\n"
            "  ops       list every operation and whether it is implemented\n"
            "  token     print a JWT for a local user (stratus token --help)\n"
            "  version   print the version\n");
}

static int mkdir_p(const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static int cmd_serve(int argc, char **argv)
{
    stratus_config cfg;
    char errbuf[512];
    stratus *srv;

    config_defaults(&cfg);
    if (config_from_env(&cfg, errbuf, sizeof errbuf) != 0) {
        fprintf(stderr, "stratus serve: %s\n", errbuf);
        return 2;
    }
    int rc = config_from_args(&cfg, argc, argv, errbuf, sizeof errbuf);
    if (rc == 1)
        return 0;
    if (rc != 0) {
        fprintf(stderr, "stratus serve: %s\n", errbuf);
        return 2;
    }
    log_level_parse(cfg.log_level, &log_threshold);

    int fresh = 1;
    if (!cfg.in_memory) {
        char db[1200];
        if (mkdir_p(cfg.data_dir) != 0) {
            fprintf(stderr,
                    "stratus serve: cannot create data directory %s: "
                    "%s\n",
                    cfg.data_dir, strerror(errno));
            return 1;
        }
        snprintf(db, sizeof db, "%s/stratus.db", cfg.data_dir);
        fresh = access(db, F_OK) != 0;
    }

    if (stratus_create(&srv, &cfg, errbuf, sizeof errbuf) != 0) {
        fprintf(stderr, "stratus serve: %s\n", errbuf);
        return 1;
    }
    log_info("serve", "data %s%s", cfg.in_memory ? "in memory" : cfg.data_dir,
             cfg.in_memory ? "" : (fresh ? " (new)" : " (existing)"));

    if (!cfg.no_stack && (fresh || cfg.redeploy)) {
        int explicit_stack = getenv("STRATUS_STACK") != NULL;
        for (int i = 0; i < argc; i++)
            if (strncmp(argv[i], "--stack", 7) == 0)
                explicit_stack = 1;
        if (access(cfg.stack_file, R_OK) != 0 && !explicit_stack) {
            log_info("stack",
                     "no stack file at %s; starting with no "
                     "resources",
                     cfg.stack_file);
        } else if (stack_apply_file(srv, cfg.stack_file, errbuf,
                                    sizeof errbuf) != 0) {
            fprintf(stderr, "stratus serve: %s\n", errbuf);
            stratus_destroy(srv);
            return 1;
        }
    }

    if (stratus_listen(srv, errbuf, sizeof errbuf) != 0) {
        fprintf(stderr, "stratus serve: %s\n", errbuf);
        stratus_destroy(srv);
        return 1;
    }
    stratus_run(srv);
    stratus_destroy(srv);
    log_info("serve", "stopped");
    return 0;
}

static void token_usage(FILE *out)
{
    fprintf(out,
            "usage: stratus token --user NAME [options]\n"
            "\n"
            "Print an RS256 JWT shaped like an Amazon Cognito token, signed "
            "with the\n"
            "local test key in fixtures/auth (not a secret).\n"
            "\n"
            "  --user NAME           a user of fixtures/auth/users.json "
            "(alice, bob)\n"
            "  --token-use id|access id (default): aud and email; access: "
            "client_id\n"
            "                        and scope\n"
            "  --expires-in SECONDS  lifetime; negative for an expired token "
            "(default 3600)\n"
            "  --issuer URL          iss claim (default %s)\n"
            "  --client-id ID        aud or client_id claim (default %s)\n"
            "  --scope TEXT          scope claim of an access token "
            "(default \"openid email\n"
            "                        profile\")\n",
            APIGW_LOCAL_ISSUER, APIGW_LOCAL_CLIENT_ID);
}

static int cmd_token(int argc, char **argv)
{
    apigw_jwt_options options = {0};
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            token_usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "stratus token: %s needs a value\n", arg);
            return 2;
        }
        const char *value = argv[++i];
        if (strcmp(arg, "--user") == 0)
            options.user = value;
        else if (strcmp(arg, "--token-use") == 0)
            options.token_use = value;
        else if (strcmp(arg, "--issuer") == 0)
            options.issuer = value;
        else if (strcmp(arg, "--client-id") == 0)
            options.client_id = value;
        else if (strcmp(arg, "--scope") == 0)
            options.scope = value;
        else if (strcmp(arg, "--expires-in") == 0) {
            char *end;
            long long seconds = strtoll(value, &end, 10);
            if (!*value || *end) {
                fprintf(stderr,
                        "stratus token: invalid --expires-in \"%s\": expected "
                        "a whole number of seconds\n",
                        value);
                return 2;
            }
            options.expires_in = seconds;
            options.expires_in_set = 1;
        } else {
            fprintf(stderr, "stratus token: unknown option %s\n", arg);
            token_usage(stderr);
            return 2;
        }
    }
    if (!options.user) {
        fprintf(stderr, "stratus token: --user is missing\n");
        token_usage(stderr);
        return 2;
    }
    char errbuf[512];
    char *token = apigw_jwt_mint(&options, errbuf, sizeof errbuf);
    if (!token) {
        fprintf(stderr, "stratus token: %s\n", errbuf);
        return 1;
    }
    printf("%s\n", token);
    free(token);
    return 0;
}

static int cmd_ops(void)
{
    size_t total = 0, done = 0;
    for (size_t i = 0; i < aws_service_count; i++) {
        const aws_service *svc = aws_services[i];
        for (size_t j = 0; j < svc->operation_count; j++) {
            const aws_operation *op = &svc->operations[j];
            printf("%-16s %-36s %s\n", svc->name, op->name,
                   op->handler ? "implemented" : "not implemented");
            total++;
            done += op->handler != NULL;
        }
    }
    printf("%zu of %zu operations implemented\n", done, total);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 2, argv + 2);
    if (strcmp(cmd, "test") == 0)
        return scn_main(argc - 2, argv + 2);
    if (strcmp(cmd, "ops") == 0)
        return cmd_ops();
    if (strcmp(cmd, "token") == 0)
        return cmd_token(argc - 2, argv + 2);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("stratus %s\n", STRATUS_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "stratus: unknown command \"%s\"\n", cmd);
    usage(stderr);
    return 2;
}
