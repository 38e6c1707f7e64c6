/*
 * scn_cli.c: `stratus test [PATHS...]`. It finds the scenario files and
 * checks them, then runs each in its own child process (a fresh in-memory
 * instance with a virtual clock and ephemeral ports), up to --jobs at
 * once. It prints a line per scenario as it ends, a closing "N passed, N
 * failed" line, and JUnit XML on request. The exit code is 0 when no
 * scenario failed.
 *
 * A child writes its result as JSON into a private temporary directory,
 * and its log lines into a file beside it. The parent reads both when the
 * child exits. A child that overruns its time limit by 15 s is killed.
 */
#include "scn_internal.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include "aws.h"
#include "log.h"

/* Margin after its own time limit before a child is killed, in ms. */
#define SCN_KILL_GRACE_MS 15000

typedef struct scn_case {
    char *file;
    char *name;
    char *skip;    /* why it is skipped, or NULL */
    char *invalid; /* why the file is invalid, or NULL */
    int64_t timeout_ms;
    /* Outcome. */
    pid_t pid;
    double started, wall_ms;
    int done, passed;
    cJSON *result;
} scn_case;

typedef struct scn_options {
    int jobs;
    const char *junit;
    const char *filter;
    const char *keep;
    int64_t timeout_ms;
    int verbose;
} scn_options;

static void scn_usage(FILE *out)
{
    fprintf(out,
            "usage: stratus test [PATHS...] [options]\n"
            "\n"
            "Run YAML scenarios (files, or directories of *.yaml; default\n"
            "scenarios/), each in a fresh in-memory instance with a virtual\n"
            "clock. See docs/scenarios.md.\n"
            "\n"
            "options:\n"
            "  --jobs N         scenarios run at once (default: the number\n"
            "                   of online cores)\n"
            "  --filter TEXT    run only scenarios whose name or file\n"
            "                   contains TEXT\n"
            "  --junit FILE     write a JUnit XML report to FILE\n"
            "  --keep DIR       write each failed scenario's state to\n"
            "                   DIR/<scenario name>/\n"
            "  --timeout DUR    wall-time limit of one scenario unless it\n"
            "                   sets its own (default 120s)\n"
            "  --verbose        print every scenario's Stratus log lines\n");
}

static char *scn_read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    strbuf b;
    strbuf_init(&b);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        strbuf_append(&b, chunk, n);
    fclose(f);
    if (!b.data)
        strbuf_puts(&b, "");
    return strbuf_take(&b, len);
}

static int scn_compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add the *.yaml files of `path` (a file, or a directory's own files). */
static int scn_collect(const char *path, char ***files, size_t *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "stratus test: cannot read %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        *files = xrealloc(*files, (*count + 1) * sizeof **files);
        (*files)[(*count)++] = xstrdup(path);
        return 0;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "stratus test: cannot open %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    size_t first = *count;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.' ||
            !((n > 5 && strcmp(e->d_name + n - 5, ".yaml") == 0) ||
              (n > 4 && strcmp(e->d_name + n - 4, ".yml") == 0)))
            continue;
        char full[1200];
        snprintf(full, sizeof full, "%s%s%s", path,
                 path[strlen(path) - 1] == '/' ? "" : "/", e->d_name);
        *files = xrealloc(*files, (*count + 1) * sizeof **files);
        (*files)[(*count)++] = xstrdup(full);
    }
    closedir(d);
    qsort(*files + first, *count - first, sizeof **files, scn_compare_names);
    return 0;
}

/* requires: a list of service names or paths that must exist. */
static char *scn_check_requires(const cJSON *requires)
{
    for (const cJSON *q = requires ? requires->child : NULL; q; q = q->next) {
        if (!cJSON_IsString(q))
            continue;
        const char *need = q->valuestring;
        int present = strchr(need, '/') ? access(need, R_OK) == 0
                                        : aws_service_by_name(need) != NULL;
        if (!present) {
            char why[512];
            snprintf(why, sizeof why, "requires %s %s, which is absent",
                     strchr(need, '/') ? "the file" : "the service", need);
            return xstrdup(why);
        }
    }
    return NULL;
}

static void scn_case_load(scn_case *c, const scn_options *opt)
{
    size_t len;
    char *text = scn_read_text(c->file, &len);
    char errbuf[1024];
    scn_doc doc;

    c->timeout_ms = opt->timeout_ms;
    if (!text) {
        snprintf(errbuf, sizeof errbuf, "cannot read the file: %s",
                 strerror(errno));
        c->invalid = xstrdup(errbuf);
        return;
    }
    if (scn_doc_parse(&doc, text, len, errbuf, sizeof errbuf) != 0 ||
        scn_validate(&doc, errbuf, sizeof errbuf) != 0) {
        c->invalid = xstrdup(errbuf);
        scn_doc_free(&doc);
        free(text);
        return;
    }
    free(text);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(doc.root, "name");
    free(c->name);
    c->name = xstrdup(name->valuestring);
    const cJSON *timeout =
        cJSON_GetObjectItemCaseSensitive(doc.root, "timeout");
    if (timeout)
        scn_duration_value(timeout, &c->timeout_ms);
    c->skip = scn_check_requires(
        cJSON_GetObjectItemCaseSensitive(doc.root, "requires"));
    scn_doc_free(&doc);
}

/* A directory name from a scenario name: letters, digits, '-', '_', '.'. */
static void scn_safe_name(const char *name, char *out, size_t size)
{
    size_t i = 0;
    for (const char *p = name; *p && i + 1 < size; p++)
        out[i++] = (strchr("-_.", *p) || (*p >= '0' && *p <= '9') ||
                    (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
                       ? *p
                       : '-';
    out[i] = '\0';
}

/* ---- the child ---- */

static cJSON *scn_child_run(const scn_case *c, const scn_options *opt)
{
    cJSON *result = cJSON_CreateObject();
    size_t len;
    char *text = scn_read_text(c->file, &len);
    char errbuf[1024];
    scn_doc doc;
    scn_run r;

    memset(&r, 0, sizeof r);
    strbuf_init(&r.message);
    if (!text || scn_doc_parse(&doc, text, len, errbuf, sizeof errbuf) != 0) {
        free(text);
        cJSON_AddBoolToObject(result, "passed", 0);
        cJSON_AddStringToObject(result, "message", "cannot read the file");
        return result;
    }
    free(text);

    stratus_config cfg;
    config_defaults(&cfg);
    cfg.in_memory = 1;
    cfg.virtual_clock = 1;
    cfg.port = 0;
    cfg.api_port = 0;
    snprintf(cfg.host, sizeof cfg.host, "127.0.0.1");
    stratus *srv = NULL;
    if (stratus_create(&srv, &cfg, errbuf, sizeof errbuf) != 0 ||
        stratus_listen(srv, errbuf, sizeof errbuf) != 0) {
        stratus_destroy(srv);
        scn_doc_free(&doc);
        cJSON_AddBoolToObject(result, "passed", 0);
        cJSON_AddStringToObject(result, "step", "instance");
        cJSON_AddStringToObject(result, "message", errbuf);
        return result;
    }

    r.srv = srv;
    r.doc = &doc;
    r.file = c->file;
    snprintf(r.dir, sizeof r.dir, "%s", c->file);
    char *slash = strrchr(r.dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(r.dir, sizeof r.dir, ".");
    snprintf(r.account, sizeof r.account, "123456789012");
    snprintf(r.region, sizeof r.region, "us-east-1");
    r.aws_port = http_listener_port(srv->listeners[0]);
    r.api_port =
        srv->listener_count > 1 ? http_listener_port(srv->listeners[1]) : -1;
    /* Services build URLs (SQS queue URLs) from the configured port, which
     * was 0 to pick a free one. */
    srv->cfg.port = r.aws_port;
    srv->cfg.api_port = r.api_port;
    r.wall_deadline = scn_wall_ms() + (double)c->timeout_ms;
    r.vars = cJSON_CreateObject();
    r.start_ms = clock_now_ms(&srv->clock);

    int rc = scn_execute(&r);
    if (rc != 0 && !r.failed)
        scn_fail(&r, NULL, "the scenario failed without a message");

    cJSON_AddBoolToObject(result, "passed", rc == 0);
    cJSON_AddNumberToObject(result, "virtual_ms",
                            (double)(clock_now_ms(&srv->clock) - r.start_ms));
    if (rc != 0) {
        cJSON_AddStringToObject(result, "step", r.step);
        cJSON_AddNumberToObject(result, "line", r.line);
        cJSON_AddStringToObject(result, "message",
                                r.message.data ? r.message.data : "");
        if (r.state)
            cJSON_AddItemToObject(result, "state", r.state);
        r.state = NULL;
        char pending[160];
        if (scn_pending(&r, pending, sizeof pending))
            cJSON_AddStringToObject(result, "pending", pending);
        if (opt->keep) {
            char dir[1200], safe[256];
            scn_safe_name(c->name, safe, sizeof safe);
            mkdir(opt->keep, 0755);
            snprintf(dir, sizeof dir, "%s/%s", opt->keep, safe);
            scn_keep_state(&r, dir);
            cJSON *failure = cJSON_Duplicate(result, 1);
            char path[1300];
            snprintf(path, sizeof path, "%s/failure.json", dir);
            FILE *f = fopen(path, "w");
            if (f) {
                char *json = cJSON_Print(failure);
                fprintf(f, "%s\n", json);
                free(json);
                fclose(f);
            }
            cJSON_Delete(failure);
            cJSON_AddStringToObject(result, "kept", dir);
        }
    }
    /* NOTE: an invocation still running when the instance stops never
     * calls back, and Step Functions then leaks the memory of its task
     * (LeakSanitizer reports it). Waiting a little avoids that in the
     * common case of a scenario that ends while a handler runs. */
    scn_quiesce(&r, SCN_QUIESCE_MS);
    cJSON_Delete(r.state);
    cJSON_Delete(r.vars);
    strbuf_free(&r.message);
    stratus_destroy(srv);
    scn_doc_free(&doc);
    return result;
}

static void scn_child_main(const scn_case *c, const scn_options *opt,
                           const char *result_path, const char *log_path)
{
    /* Log lines of parallel scenarios would interleave: each child keeps
     * its own file, shown when the scenario fails. */
    if (!opt->verbose) {
        if (freopen(log_path, "w", stderr) == NULL)
            _exit(3);
        log_threshold = LOG_INFO;
    }
    signal(SIGPIPE, SIG_IGN);
    cJSON *result = scn_child_run(c, opt);
    char *text = cJSON_PrintUnformatted(result);
    FILE *f = fopen(result_path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    free(text);
    int passed =
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "passed"));
    cJSON_Delete(result);
#ifdef __SANITIZE_ADDRESS__
    /* _exit skips LeakSanitizer's exit-time check: run it here. A leak
     * ends the process with a non-zero status, which fails the scenario. */
    __lsan_do_leak_check();
#endif
    fflush(stderr);
    /* _exit, not exit: the parent's atexit handlers (a test framework's)
     * must not run twice. */
    _exit(passed ? 0 : 1);
}

/* ---- the parent ---- */

static void scn_print_failure(const scn_case *c, const char *log_path)
{
    const cJSON *res = c->result;
    const cJSON *step = cJSON_GetObjectItemCaseSensitive(res, "step");
    const cJSON *line = cJSON_GetObjectItemCaseSensitive(res, "line");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(res, "message");
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(res, "state");
    const cJSON *pending = cJSON_GetObjectItemCaseSensitive(res, "pending");
    const cJSON *kept = cJSON_GetObjectItemCaseSensitive(res, "kept");

    printf("      %s:%d: %s\n", c->file,
           cJSON_IsNumber(line) ? (int)line->valuedouble : 0,
           cJSON_IsString(step) ? step->valuestring : "(no step)");
    printf("      %s\n",
           cJSON_IsString(message) ? message->valuestring : "(no message)");
    if (state) {
        char *text = cJSON_PrintUnformatted(state);
        if (strlen(text) > 1500)
            printf("      state: %.1500s... (%zu bytes)\n", text, strlen(text));
        else
            printf("      state: %s\n", text);
        free(text);
    }
    if (cJSON_IsString(pending))
        printf("      pending: %s\n", pending->valuestring);
    if (cJSON_IsString(kept))
        printf("      state written to %s/\n", kept->valuestring);
    if (log_path && access(log_path, R_OK) == 0) {
        /* The last log lines often name the handler error. */
        size_t len;
        char *log = scn_read_text(log_path, &len);
        if (log && len) {
            const char *start = log + len;
            int lines = 0;
            while (start > log && lines < 11)
                if (*--start == '\n')
                    lines++;
            if (*start == '\n')
                start++;
            printf("      last log lines:\n");
            for (const char *p = start; *p;) {
                const char *eol = strchr(p, '\n');
                int n = eol ? (int)(eol - p) : (int)strlen(p);
                printf("        %.*s\n", n > 300 ? 300 : n, p);
                p += n + (eol ? 1 : 0);
            }
        }
        free(log);
    }
}

static void scn_xml_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
                fputc(*s, f);
        }
    }
}

static int scn_write_junit(const char *path, scn_case *cases, size_t n,
                           double total_ms)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "stratus test: cannot write %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    int failures = 0, skipped = 0;
    for (size_t i = 0; i < n; i++) {
        failures += cases[i].done && !cases[i].passed && !cases[i].skip;
        skipped += cases[i].skip != NULL;
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f,
            "<testsuites>\n<testsuite name=\"stratus scenarios\" "
            "tests=\"%zu\" failures=\"%d\" skipped=\"%d\" time=\"%.3f\">\n",
            n, failures, skipped, total_ms / 1000);
    for (size_t i = 0; i < n; i++) {
        scn_case *c = &cases[i];
        fprintf(f, "  <testcase classname=\"");
        scn_xml_escape(f, c->file);
        fprintf(f, "\" name=\"");
        scn_xml_escape(f, c->name);
        fprintf(f, "\" time=\"%.3f\">", c->wall_ms / 1000);
        if (c->skip) {
            fprintf(f, "<skipped message=\"");
            scn_xml_escape(f, c->skip);
            fprintf(f, "\"/>");
        } else if (!c->passed) {
            const cJSON *msg =
                cJSON_GetObjectItemCaseSensitive(c->result, "message");
            const cJSON *step =
                cJSON_GetObjectItemCaseSensitive(c->result, "step");
            fprintf(f, "<failure message=\"");
            scn_xml_escape(f,
                           cJSON_IsString(msg) ? msg->valuestring : c->invalid);
            fprintf(f, "\">");
            scn_xml_escape(f, cJSON_IsString(step) ? step->valuestring : "");
            if (c->result) {
                char *text = cJSON_Print(c->result);
                fputc('\n', f);
                scn_xml_escape(f, text);
                free(text);
            }
            fprintf(f, "</failure>");
        }
        fprintf(f, "</testcase>\n");
    }
    fprintf(f, "</testsuite>\n</testsuites>\n");
    fclose(f);
    return 0;
}

static int scn_parse_options(int argc, char **argv, scn_options *opt,
                             char ***paths, size_t *npaths)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    opt->jobs = cores > 0 ? (int)cores : 1;
    opt->timeout_ms = SCN_TIMEOUT_DEFAULT_MS;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            scn_usage(stdout);
            return 1;
        }
        if (strcmp(a, "--verbose") == 0) {
            opt->verbose = 1;
            continue;
        }
        if (a[0] != '-') {
            *paths = xrealloc(*paths, (*npaths + 1) * sizeof **paths);
            (*paths)[(*npaths)++] = (char *)a;
            continue;
        }
        static const char *const with_value[] = {
            "--jobs", "-j", "--junit", "--filter", "--keep", "--timeout"};
        int known = 0;
        for (size_t k = 0; k < sizeof with_value / sizeof *with_value; k++)
            known |= strcmp(a, with_value[k]) == 0;
        if (!known) {
            fprintf(stderr, "stratus test: unknown option %s\n", a);
            scn_usage(stderr);
            return -1;
        }
        if (!value) {
            fprintf(stderr, "stratus test: %s needs a value\n", a);
            return -1;
        }
        i++;
        if (strcmp(a, "--jobs") == 0 || strcmp(a, "-j") == 0) {
            char *end;
            long n = strtol(value, &end, 10);
            if (*end || n < 1 || n > 256) {
                fprintf(stderr,
                        "stratus test: --jobs takes 1 to 256, got \"%s\"\n",
                        value);
                return -1;
            }
            opt->jobs = (int)n;
        } else if (strcmp(a, "--junit") == 0) {
            opt->junit = value;
        } else if (strcmp(a, "--filter") == 0) {
            opt->filter = value;
        } else if (strcmp(a, "--keep") == 0) {
            opt->keep = value;
        } else if (scn_duration_parse(value, &opt->timeout_ms) != 0 ||
                   opt->timeout_ms <= 0) {
            /* --timeout, the last option in with_value. */
            fprintf(stderr,
                    "stratus test: --timeout takes a duration such as "
                    "60s, got \"%s\"\n",
                    value);
            return -1;
        }
    }
    return 0;
}

static void scn_report_line(const scn_case *c)
{
    const cJSON *virt =
        cJSON_GetObjectItemCaseSensitive(c->result, "virtual_ms");
    const char *label = "FAIL";
    if (c->skip)
        label = "SKIP";
    else if (c->passed)
        label = "PASS";
    if (c->skip || c->invalid)
        printf("%s  %s  (%s)\n", label, c->name,
               c->skip ? c->skip : c->invalid);
    else
        printf("%s  %s  (%.2f s, %.1f s virtual)\n", label, c->name,
               c->wall_ms / 1000,
               cJSON_IsNumber(virt) ? virt->valuedouble / 1000 : 0.0);
    fflush(stdout);
}

int scn_main(int argc, char **argv)
{
    scn_options opt;
    char **paths = NULL, **files = NULL;
    size_t npaths = 0, nfiles = 0;
    memset(&opt, 0, sizeof opt);

    int rc = scn_parse_options(argc, argv, &opt, &paths, &npaths);
    if (rc != 0) {
        free(paths);
        return rc > 0 ? 0 : 2;
    }
    if (npaths == 0) {
        static char *defaults[] = {"scenarios"};
        rc = scn_collect(defaults[0], &files, &nfiles);
    }
    for (size_t i = 0; i < npaths && rc == 0; i++)
        rc = scn_collect(paths[i], &files, &nfiles);
    free(paths);
    if (rc != 0) {
        for (size_t i = 0; i < nfiles; i++)
            free(files[i]);
        free(files);
        return 2;
    }

    if (!opt.verbose)
        log_threshold = LOG_WARN;
    scn_case *cases = xcalloc(nfiles ? nfiles : 1, sizeof *cases);
    size_t ncases = 0;
    for (size_t i = 0; i < nfiles; i++) {
        scn_case *c = &cases[ncases];
        c->file = files[i];
        c->name = xstrdup(files[i]);
        scn_case_load(c, &opt);
        if (opt.filter && !strstr(c->name, opt.filter) &&
            !strstr(c->file, opt.filter)) {
            free(c->file);
            free(c->name);
            free(c->skip);
            free(c->invalid);
            memset(c, 0, sizeof *c);
            continue;
        }
        ncases++;
    }
    free(files);

    char tmp[] = "/tmp/stratus-test-XXXXXX";
    if (!mkdtemp(tmp)) {
        fprintf(stderr,
                "stratus test: cannot create a temporary directory: "
                "%s\n",
                strerror(errno));
        return 2;
    }
    fflush(stdout);
    fflush(stderr);

    double begin = scn_wall_ms();
    size_t next = 0, running = 0, finished = 0;
    int passed = 0, failed = 0, skipped = 0;
    /* Each round starts children up to --jobs and reaps the ended ones.
     * Every child ends by itself or is killed past its limit, so the loop
     * ends too. */
    while (finished < ncases) {
        while (running < (size_t)opt.jobs && next < ncases) {
            scn_case *c = &cases[next++];
            if (c->skip || c->invalid) {
                c->done = 1;
                c->passed = c->skip != NULL;
                finished++;
                if (c->skip)
                    skipped++;
                else
                    failed++;
                scn_report_line(c);
                continue;
            }
            char result_path[128], log_path[128];
            snprintf(result_path, sizeof result_path, "%s/%zu.json", tmp,
                     (size_t)(c - cases));
            snprintf(log_path, sizeof log_path, "%s/%zu.log", tmp,
                     (size_t)(c - cases));
            c->started = scn_wall_ms();
            pid_t pid = fork();
            if (pid == 0)
                scn_child_main(c, &opt, result_path, log_path);
            if (pid < 0) {
                c->done = 1;
                c->invalid = xstrdup("fork failed");
                failed++;
                finished++;
                scn_report_line(c);
                continue;
            }
            c->pid = pid;
            running++;
        }
        if (running == 0)
            continue;

        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) {
            /* Kill children past their limit, then wait a little. */
            double now = scn_wall_ms();
            for (size_t i = 0; i < ncases; i++)
                if (cases[i].pid > 0 && !cases[i].done &&
                    now - cases[i].started >
                        (double)(cases[i].timeout_ms + SCN_KILL_GRACE_MS))
                    kill(cases[i].pid, SIGKILL);
            usleep(10000);
            continue;
        }
        scn_case *c = NULL;
        for (size_t i = 0; i < ncases && !c; i++)
            if (cases[i].pid == pid && !cases[i].done)
                c = &cases[i];
        if (!c)
            continue;
        running--;
        finished++;
        c->done = 1;
        c->wall_ms = scn_wall_ms() - c->started;
        char result_path[128], log_path[128];
        snprintf(result_path, sizeof result_path, "%s/%zu.json", tmp,
                 (size_t)(c - cases));
        snprintf(log_path, sizeof log_path, "%s/%zu.log", tmp,
                 (size_t)(c - cases));
        size_t len;
        char *text = scn_read_text(result_path, &len);
        c->result = text ? cJSON_Parse(text) : NULL;
        free(text);
        if (!c->result) {
            c->result = cJSON_CreateObject();
            char msg[128];
            if (WIFSIGNALED(status))
                snprintf(msg, sizeof msg,
                         "the scenario's process ended by signal %d%s",
                         WTERMSIG(status),
                         WTERMSIG(status) == SIGKILL
                             ? " (killed past its time limit)"
                             : "");
            else
                snprintf(msg, sizeof msg,
                         "the scenario's process exited with status %d "
                         "and no result",
                         WEXITSTATUS(status));
            cJSON_AddStringToObject(c->result, "message", msg);
        }
        c->passed =
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->result, "passed"));
        if (c->passed && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            /* A sanitizer report after the steps passed. */
            c->passed = 0;
            cJSON_ReplaceItemInObjectCaseSensitive(c->result, "passed",
                                                   cJSON_CreateFalse());
            cJSON_AddStringToObject(c->result, "step", "process exit");
            cJSON_AddStringToObject(
                c->result, "message",
                "the steps passed but the scenario's process then failed "
                "(a sanitizer report is in its log)");
        }
        if (c->passed)
            passed++;
        else
            failed++;
        scn_report_line(c);
        if (!c->passed) {
            scn_print_failure(c, log_path);
            if (opt.keep) {
                /* The log beside the kept state. */
                char safe[256], dest[1300];
                scn_safe_name(c->name, safe, sizeof safe);
                snprintf(dest, sizeof dest, "%s/%s/stratus.log", opt.keep,
                         safe);
                char *log = scn_read_text(log_path, &len);
                FILE *f = log ? fopen(dest, "w") : NULL;
                if (f) {
                    fwrite(log, 1, len, f);
                    fclose(f);
                }
                free(log);
            }
        }
        remove(result_path);
        remove(log_path);
    }
    double total = scn_wall_ms() - begin;

    if (opt.junit && scn_write_junit(opt.junit, cases, ncases, total) != 0)
        failed++;
    rmdir(tmp);

    printf("%d passed, %d failed", passed, failed);
    if (skipped)
        printf(" (%d skipped)", skipped);
    printf(" in %.2f s\n", total / 1000);

    for (size_t i = 0; i < ncases; i++) {
        free(cases[i].file);
        free(cases[i].name);
        free(cases[i].skip);
        free(cases[i].invalid);
        cJSON_Delete(cases[i].result);
    }
    free(cases);
    return failed ? 1 : 0;
}
