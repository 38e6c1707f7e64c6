/*
 * fixtures.c: locating and reading the stand-in services' fixture files.
 */
#include "fixtures.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

const char *fixtures_dir(void)
{
    static char path[PATH_MAX];
    const char *env = getenv("STRATUS_FIXTURES_DIR");
    if (env && env[0])
        return env;
    /* This file is src/fixtures.c of the source tree. */
    snprintf(path, sizeof path, "%s", __FILE__);
    char *slash = strrchr(path, '/');
    if (slash) {
        *slash = '\0';
        slash = strrchr(path, '/');
    }
    if (slash)
        snprintf(slash + 1, sizeof path - (size_t)(slash + 1 - path),
                 "fixtures");
    else
        snprintf(path, sizeof path, "fixtures");
    return path;
}

char *fixtures_read(const char *relpath, size_t *len)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", fixtures_dir(), relpath);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    strbuf b;
    strbuf_init(&b);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        strbuf_append(&b, chunk, n);
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        strbuf_free(&b);
        return NULL;
    }
    /* strbuf_take returns "" for an empty buffer, never NULL. */
    return strbuf_take(&b, len);
}

cJSON *fixtures_load_json(const char *relpath, int *missing, char *errbuf,
                          size_t errsize)
{
    size_t len = 0;
    if (missing)
        *missing = 0;
    char *text = fixtures_read(relpath, &len);
    if (!text) {
        if (missing)
            *missing = errno == ENOENT;
        snprintf(errbuf, errsize, "cannot read fixture %s/%s: %s",
                 fixtures_dir(), relpath, strerror(errno));
        return NULL;
    }
    cJSON *tree = cJSON_ParseWithLength(text, len);
    free(text);
    if (!tree)
        snprintf(errbuf, errsize, "fixture %s/%s is not valid JSON",
                 fixtures_dir(), relpath);
    return tree;
}
