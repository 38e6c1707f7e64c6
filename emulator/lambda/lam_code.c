/*
 * lam_code.c: where a function's code lives. A function runs from a
 * directory: either one the request names with the Stratus extension
 * Code.Directory, or the unpacked Code.ZipFile archive under the instance's
 * code root. CodeSha256 and CodeSize follow AWS for ZipFile (SHA-256 and
 * size of the archive); for a directory they cover the names, sizes and
 * modification times of the regular files in it outside node_modules.
 *
 * Clients that cannot send Directory name the directory as S3Key of the
 * bucket "hot-reload". Not supported: other S3 code locations (Stratus has
 * no S3 yet) and ImageUri.
 */
/* FTW_ACTIONRETVAL, to skip node_modules while hashing, is a GNU extension. */
#define _GNU_SOURCE
#include "lam_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "log.h"

extern char **environ;

/* Largest ZipFile archive accepted, in bytes (AWS's direct upload limit). */
#define LAM_MAX_ZIP (50u * 1024u * 1024u)
/* Most files hashed in a code directory. */
#define LAM_MAX_HASHED_FILES 20000
/* How long a code directory's hash is reused, in milliseconds. */
#define LAM_HASH_REUSE_MS 2000

char *lam__base64(const unsigned char *data, size_t len)
{
    char *out = xmalloc(4 * ((len + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

unsigned char *lam__base64_decode(const char *text, size_t *out_len)
{
    size_t len = strlen(text);
    if (len == 0 || len % 4 != 0)
        return NULL;
    unsigned char *out = xmalloc(len / 4 * 3 + 1);
    int n = EVP_DecodeBlock(out, (const unsigned char *)text, (int)len);
    if (n < 0) {
        free(out);
        return NULL;
    }
    size_t pad = 0;
    if (text[len - 1] == '=')
        pad++;
    if (text[len - 2] == '=')
        pad++;
    *out_len = (size_t)n - pad;
    out[*out_len] = '\0';
    return out;
}

static void lam_sha256_b64(const unsigned char *data, size_t len, char out[64])
{
    unsigned char digest[32];
    unsigned int dlen = 0;
    EVP_Digest(data, len, digest, &dlen, EVP_sha256(), NULL);
    EVP_EncodeBlock((unsigned char *)out, digest, (int)dlen);
}

/* State of one directory walk. nftw passes no user pointer, and only the
 * loop thread walks, so one static walk at a time is safe. */
static struct {
    EVP_MD_CTX *ctx;
    int64_t size;
    int files;
} lam_walk;

static int lam_hash_entry(const char *path, const struct stat *sb, int flag,
                          struct FTW *ftw)
{
    /* Installed npm packages are not walked: package-lock.json, hashed
     * with the function's own files, changes when they do. */
    if (flag == FTW_D && strcmp(path + ftw->base, "node_modules") == 0)
        return FTW_SKIP_SUBTREE;
    if (flag != FTW_F || !S_ISREG(sb->st_mode))
        return FTW_CONTINUE;
    if (++lam_walk.files > LAM_MAX_HASHED_FILES)
        return FTW_STOP;
    /* The hash covers each file's name, size and modification time but
     * not its contents, which would take a read of every file. */
    int64_t meta[3] = {(int64_t)sb->st_size, (int64_t)sb->st_mtim.tv_sec,
                       (int64_t)sb->st_mtim.tv_nsec};
    EVP_DigestUpdate(lam_walk.ctx, path, strlen(path) + 1);
    EVP_DigestUpdate(lam_walk.ctx, meta, sizeof meta);
    lam_walk.size += (int64_t)sb->st_size;
    return FTW_CONTINUE;
}

/* The last directory hashed and when, in monotonic milliseconds. Functions
 * of one stack usually share a directory, so a hash younger than
 * LAM_HASH_REUSE_MS is reused instead of walking the tree again. */
static struct {
    char path[PATH_MAX];
    char sha[64];
    int64_t size;
    int64_t at_ms;
} lam_hash_memo;

static int64_t lam_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void lam_hash_directory(const char *dir, char sha[64], int64_t *size)
{
    int64_t now = lam_monotonic_ms();
    if (lam_hash_memo.at_ms > 0 && strcmp(lam_hash_memo.path, dir) == 0 &&
        now - lam_hash_memo.at_ms < LAM_HASH_REUSE_MS) {
        memcpy(sha, lam_hash_memo.sha, 64);
        *size = lam_hash_memo.size;
        return;
    }

    unsigned char digest[32];
    unsigned int dlen = 0;
    lam_walk.ctx = EVP_MD_CTX_new();
    lam_walk.size = 0;
    lam_walk.files = 0;
    EVP_DigestInit_ex(lam_walk.ctx, EVP_sha256(), NULL);
    nftw(dir, lam_hash_entry, 16, FTW_PHYS | FTW_ACTIONRETVAL);
    EVP_DigestFinal_ex(lam_walk.ctx, digest, &dlen);
    EVP_MD_CTX_free(lam_walk.ctx);
    lam_walk.ctx = NULL;
    EVP_EncodeBlock((unsigned char *)sha, digest, (int)dlen);
    *size = lam_walk.size;

    if (strlen(dir) < sizeof lam_hash_memo.path) {
        snprintf(lam_hash_memo.path, sizeof lam_hash_memo.path, "%s", dir);
        memcpy(lam_hash_memo.sha, sha, 64);
        lam_hash_memo.size = *size;
        lam_hash_memo.at_ms = now;
    }
}

static int lam_remove_entry(const char *path, const struct stat *sb, int flag,
                            struct FTW *ftw)
{
    remove(path); /* best effort: a leftover file only costs disk space */
    return 0;
}

static int lam_code_root(lam_state *st, aws_error *err)
{
    if (st->code_root[0])
        return 0;
    if (st->srv->cfg.in_memory) {
        char tmpl[] = "/tmp/stratus-lambda-XXXXXX";
        if (!mkdtemp(tmpl))
            return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR,
                            "cannot create a directory for function code: %s",
                            strerror(errno));
        snprintf(st->code_root, sizeof st->code_root, "%s", tmpl);
        st->code_root_is_temporary = 1;
        return 0;
    }
    snprintf(st->code_root, sizeof st->code_root, "%s/lambda-code",
             st->srv->cfg.data_dir);
    if (mkdir(st->code_root, 0700) != 0 && errno != EEXIST) {
        aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR,
                 "cannot create the function code directory %s: %s",
                 st->code_root, strerror(errno));
        st->code_root[0] = '\0';
        return -1;
    }
    return 0;
}

/* Unpack `zip` into `dir` with the system's unzip (Info-ZIP, which skips
 * "../" path components). Returns its exit status, or -1 when it could
 * not run; its output is discarded, since the caller reports AWS's text. */
static int lam_unzip(const char *zip, const char *dir)
{
    char *argv[] = {"unzip", "-q", "-o", (char *)zip, "-d", (char *)dir, NULL};
    pid_t pid;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawnp(&pid, "unzip", &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        return -1;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int lam_code_from_zip(lam_state *st, const char *text, char **code_dir,
                             char sha[64], int64_t *size, aws_error *err)
{
    size_t len = 0;
    unsigned char *zip = lam__base64_decode(text, &len);
    if (!zip)
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "Could not unzip uploaded file. Please check your "
                        "file, then try to upload again.");
    if (len > LAM_MAX_ZIP) {
        free(zip);
        return aws_fail(err, AWS_ERR_REQUEST_TOO_LARGE, NULL);
    }
    if (lam_code_root(st, err) != 0) {
        free(zip);
        return -1;
    }
    lam_sha256_b64(zip, len, sha);
    *size = (int64_t)len;

    /* The directory is named by the archive's hash, so the same code is
     * unpacked once and a running environment keeps its files. */
    char hex[65];
    unsigned char digest[32];
    unsigned int dlen = 0;
    EVP_Digest(zip, len, digest, &dlen, EVP_sha256(), NULL);
    for (unsigned i = 0; i < dlen; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    char dir[PATH_MAX], zip_path[PATH_MAX + 8];
    snprintf(dir, sizeof dir, "%s/%s", st->code_root, hex);
    snprintf(zip_path, sizeof zip_path, "%s.zip", dir);

    struct stat sb;
    int rc = 0;
    if (stat(dir, &sb) != 0) {
        FILE *f = fopen(zip_path, "wb");
        if (!f || fwrite(zip, 1, len, f) != len) {
            if (f)
                fclose(f);
            free(zip);
            return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR,
                            "cannot write %s: %s", zip_path, strerror(errno));
        }
        fclose(f);
        int status = lam_unzip(zip_path, dir);
        unlink(zip_path);
        if (status != 0) {
            nftw(dir, lam_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
            rc = aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                          "Could not unzip uploaded file. Please check your "
                          "file, then try to upload again.");
        }
    }
    free(zip);
    if (rc == 0)
        *code_dir = xstrdup(dir);
    return rc;
}

int lam__code_resolve(lam_state *st, const cJSON *code, char **code_dir,
                      char sha256_b64[64], int64_t *size, aws_error *err)
{
    const cJSON *dir = cJSON_GetObjectItemCaseSensitive(code, "Directory");
    const cJSON *zip = cJSON_GetObjectItemCaseSensitive(code, "ZipFile");

    *code_dir = NULL;
    /* Clients that validate Code members (the AWS CLI, the SDKs) cannot
     * send Directory, so the magic bucket "hot-reload" with the directory
     * as S3Key means the same, as in LocalStack. */
    const cJSON *bucket = cJSON_GetObjectItemCaseSensitive(code, "S3Bucket");
    if (!dir && cJSON_IsString(bucket) &&
        strcmp(bucket->valuestring, "hot-reload") == 0)
        dir = cJSON_GetObjectItemCaseSensitive(code, "S3Key");
    if (cJSON_IsString(dir)) {
        struct stat sb;
        if (dir->valuestring[0] != '/' || stat(dir->valuestring, &sb) != 0 ||
            !S_ISDIR(sb.st_mode))
            return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                            "Code.Directory must be an absolute path to an "
                            "existing directory, not '%s'",
                            dir->valuestring);
        lam_hash_directory(dir->valuestring, sha256_b64, size);
        *code_dir = xstrdup(dir->valuestring);
        return 0;
    }
    if (cJSON_IsString(zip))
        return lam_code_from_zip(st, zip->valuestring, code_dir, sha256_b64,
                                 size, err);
    if (cJSON_GetObjectItemCaseSensitive(code, "S3Bucket") ||
        cJSON_GetObjectItemCaseSensitive(code, "ImageUri"))
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "Stratus reads function code only from Code.ZipFile, "
                        "Code.Directory (an absolute local path) or the "
                        "S3Bucket \"hot-reload\" with that path as S3Key, "
                        "not from S3 or a container image");
    return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                    "Please provide a source for function code.");
}

void lam__code_cleanup(lam_state *st)
{
    if (st->code_root_is_temporary && st->code_root[0])
        nftw(st->code_root, lam_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    st->code_root[0] = '\0';
}
