/*
 * fixtures.h: the fixture folder that the stand-in services (Rekognition,
 * Bedrock Runtime, the pricing API) read their canned responses from.
 *
 * The folder is STRATUS_FIXTURES_DIR when set, else `fixtures/` of the
 * source tree Stratus was compiled from. Files are read on every request,
 * so an edited fixture takes effect without a restart.
 */
#ifndef STRATUS_FIXTURES_H
#define STRATUS_FIXTURES_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* The fixture folder, without a trailing slash. */
const char *fixtures_dir(void);

/*
 * Read `relpath` (relative to the fixture folder) whole. Returns a new
 * NUL-terminated buffer (the caller frees it) and sets `*len` when `len` is
 * not NULL, or NULL when the file cannot be read.
 */
char *fixtures_read(const char *relpath, size_t *len);

/*
 * Read and parse the JSON file `relpath`. Returns the tree (the caller
 * frees it), or NULL with a message in `errbuf` when the file is missing
 * (`*missing` set to 1 when `missing` is not NULL) or not valid JSON.
 */
cJSON *fixtures_load_json(const char *relpath, int *missing, char *errbuf,
                          size_t errsize);

#endif
