/*
 * test_s3_multipart.c: multipart uploads, the AWS::S3::Bucket stack type
 * and s3_object_read, the call other services read objects with.
 */
#include <unistd.h>

#include "s3.h"
#include "s3_test.h"
#include "stack.h"

static stratus *srv;

static void setup(void)
{
    srv = ts_new();
    cr_assert_eq(s3t_status(srv, "PUT", "/mpu", NULL), 200);
}

static void teardown(void)
{
    ts_free(srv);
}

TestSuite(s3_multipart, .init = setup, .fini = teardown);

/* Start an upload and return its id (malloc'ed). */
static char *upload_start(const char *key)
{
    http_response r;
    char target[256];
    const char *const headers[] = {
        "Content-Type", "video/mp4", "x-amz-meta-k", "v", "x-amz-tagging",
        "kind=clip",    NULL};
    snprintf(target, sizeof target, "/mpu/%s?uploads", key);
    s3t_send(srv, "POST", target, headers, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200, "%.*s", (int)r.body_len, r.body);
    char *id = s3t_xml(&r, "UploadId");
    cr_assert_not_null(id);
    http_response_cleanup(&r);
    return id;
}

/* Upload a part and return its ETag (malloc'ed). */
static char *upload_part(const char *key, const char *id, int number,
                         const char *data, size_t len)
{
    http_response r;
    char target[512];
    snprintf(target, sizeof target, "/mpu/%s?partNumber=%d&uploadId=%s", key,
             number, id);
    s3t_send(srv, "PUT", target, NULL, data, len, 1, &r);
    cr_assert_eq(r.status, 200, "%.*s", (int)r.body_len, r.body);
    char *etag = xstrdup(s3t_header(&r, "ETag"));
    http_response_cleanup(&r);
    return etag;
}

Test(s3_multipart, complete_joins_parts)
{
    http_response r;
    size_t big = 5 * 1024 * 1024;
    char *part1 = xmalloc(big);
    memset(part1, 'a', big);
    char *id = upload_start("video.mp4");
    char *etag1 = upload_part("video.mp4", id, 1, part1, big);
    char *etag2 = upload_part("video.mp4", id, 2, "tail", 4);

    s3t_send(srv, "GET", "/mpu/video.mp4?uploadId=x", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 404);
    s3t_assert_xml(&r, "Code", "NoSuchUpload");
    http_response_cleanup(&r);

    char target[512], body[1024];
    snprintf(target, sizeof target, "/mpu/video.mp4?uploadId=%s", id);
    s3t_send(srv, "GET", target, NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(s3t_count(&r, "<Part>"), 2);
    http_response_cleanup(&r);

    snprintf(body, sizeof body,
             "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
             "<ETag>%s</ETag></Part><Part><PartNumber>2</PartNumber>"
             "<ETag>%s</ETag></Part></CompleteMultipartUpload>",
             etag1, etag2);
    s3t_send(srv, "POST", target, NULL, body, strlen(body), 1, &r);
    cr_assert_eq(r.status, 200, "%.*s", (int)r.body_len, r.body);
    char *etag = s3t_xml(&r, "ETag");
    cr_assert(strstr(etag, "-2&quot;"), "multipart ETag %s", etag);
    free(etag);
    http_response_cleanup(&r);

    s3t_send(srv, "HEAD", "/mpu/video.mp4", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.body_len, big + 4);
    cr_assert_str_eq(s3t_header(&r, "Content-Type"), "video/mp4");
    cr_assert_str_eq(s3t_header(&r, "x-amz-meta-k"), "v");
    cr_assert_str_eq(s3t_header(&r, "x-amz-tagging-count"), "1");
    http_response_cleanup(&r);

    /* The upload is gone once completed. */
    s3t_send(srv, "POST", target, NULL, body, strlen(body), 1, &r);
    cr_assert_eq(r.status, 404);
    s3t_assert_xml(&r, "Code", "NoSuchUpload");
    http_response_cleanup(&r);
    free(part1);
    free(id);
    free(etag1);
    free(etag2);
}

Test(s3_multipart, complete_errors)
{
    http_response r;
    char *id = upload_start("small");
    char *etag1 = upload_part("small", id, 1, "tiny", 4);
    char *etag2 = upload_part("small", id, 2, "tail", 4);
    char target[512], body[1024];
    snprintf(target, sizeof target, "/mpu/small?uploadId=%s", id);

    snprintf(body, sizeof body,
             "<CompleteMultipartUpload><Part><PartNumber>2</PartNumber>"
             "<ETag>%s</ETag></Part><Part><PartNumber>1</PartNumber>"
             "<ETag>%s</ETag></Part></CompleteMultipartUpload>",
             etag2, etag1);
    s3t_send(srv, "POST", target, NULL, body, strlen(body), 1, &r);
    cr_assert_eq(r.status, 400);
    s3t_assert_xml(&r, "Code", "InvalidPartOrder");
    http_response_cleanup(&r);

    snprintf(body, sizeof body,
             "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
             "<ETag>%s</ETag></Part><Part><PartNumber>2</PartNumber>"
             "<ETag>%s</ETag></Part></CompleteMultipartUpload>",
             etag1, etag2);
    s3t_send(srv, "POST", target, NULL, body, strlen(body), 1, &r);
    cr_assert_eq(r.status, 400);
    s3t_assert_xml(&r, "Code", "EntityTooSmall");
    http_response_cleanup(&r);

    snprintf(body, sizeof body,
             "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
             "<ETag>\"bad\"</ETag></Part></CompleteMultipartUpload>");
    s3t_send(srv, "POST", target, NULL, body, strlen(body), 1, &r);
    cr_assert_eq(r.status, 400);
    s3t_assert_xml(&r, "Code", "InvalidPart");
    http_response_cleanup(&r);

    /* A single small part is a valid upload. */
    snprintf(body, sizeof body,
             "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
             "<ETag>%s</ETag></Part></CompleteMultipartUpload>",
             etag1);
    s3t_send(srv, "POST", target, NULL, body, strlen(body), 1, &r);
    cr_assert_eq(r.status, 200, "%.*s", (int)r.body_len, r.body);
    http_response_cleanup(&r);
    free(id);
    free(etag1);
    free(etag2);
}

Test(s3_multipart, upload_part_copy)
{
    http_response r;
    size_t big = 5 * 1024 * 1024;
    char *data = xmalloc(big + 10);
    memset(data, 'b', big);
    memcpy(data + big, "0123456789", 10);
    s3t_send(srv, "PUT", "/mpu/source", NULL, data, big + 10, 1, &r);
    cr_assert_eq(r.status, 200);
    http_response_cleanup(&r);

    char *id = upload_start("joined");
    char target[512], body[1024];
    const char *const first[] = {"x-amz-copy-source", "/mpu/source",
                                 "x-amz-copy-source-range", "bytes=0-5242879",
                                 NULL};
    const char *const second[] = {"x-amz-copy-source", "mpu/source",
                                  "x-amz-copy-source-range",
                                  "bytes=5242882-5242884", NULL};
    const char *const beyond[] = {"x-amz-copy-source", "mpu/source",
                                  "x-amz-copy-source-range", "bytes=0-99999999",
                                  NULL};
    snprintf(target, sizeof target, "/mpu/joined?partNumber=1&uploadId=%s", id);
    s3t_send(srv, "PUT", target, first, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200, "%.*s", (int)r.body_len, r.body);
    cr_assert(strstr(r.body, "<CopyPartResult"));
    char *etag1 = s3t_xml(&r, "ETag");
    http_response_cleanup(&r);

    snprintf(target, sizeof target, "/mpu/joined?partNumber=2&uploadId=%s", id);
    s3t_send(srv, "PUT", target, beyond, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 400);
    s3t_assert_xml(&r, "Code", "InvalidArgument");
    http_response_cleanup(&r);
    s3t_send(srv, "PUT", target, second, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200);
    char *etag2 = s3t_xml(&r, "ETag");
    http_response_cleanup(&r);

    /* The XML ETags are escaped; CompleteMultipartUpload takes them so. */
    snprintf(target, sizeof target, "/mpu/joined?uploadId=%s", id);
    snprintf(body, sizeof body,
             "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
             "<ETag>%s</ETag></Part><Part><PartNumber>2</PartNumber>"
             "<ETag>%s</ETag></Part></CompleteMultipartUpload>",
             etag1, etag2);
    s3t_send(srv, "POST", target, NULL, body, strlen(body), 1, &r);
    cr_assert_eq(r.status, 200, "%.*s", (int)r.body_len, r.body);
    http_response_cleanup(&r);

    const char *const tail[] = {"Range", "bytes=5242880-", NULL};
    s3t_send(srv, "GET", "/mpu/joined", tail, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 206);
    cr_assert_eq(r.body_len, 3);
    cr_assert(memcmp(r.body, "234", 3) == 0);
    http_response_cleanup(&r);
    free(data);
    free(id);
    free(etag1);
    free(etag2);
}

Test(s3_multipart, list_uploads)
{
    http_response r;
    char *first = upload_start("dir/a");
    char *second = upload_start("other");
    s3t_send(srv, "GET", "/mpu?uploads", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(s3t_count(&r, "<Upload>"), 2);
    cr_assert(strstr(r.body, first));
    http_response_cleanup(&r);

    s3t_send(srv, "GET", "/mpu?uploads&prefix=dir%2F", NULL, NULL, 0, 1, &r);
    cr_assert_eq(s3t_count(&r, "<Upload>"), 1);
    s3t_assert_xml(&r, "Key", "dir/a");
    http_response_cleanup(&r);
    free(first);
    free(second);
}

Test(s3_multipart, abort_and_part_number)
{
    http_response r;
    char *id = upload_start("gone");
    char target[512];
    snprintf(target, sizeof target, "/mpu/gone?partNumber=0&uploadId=%s", id);
    s3t_send(srv, "PUT", target, NULL, "x", 1, 1, &r);
    cr_assert_eq(r.status, 400);
    s3t_assert_xml(&r, "Code", "InvalidArgument");
    http_response_cleanup(&r);

    snprintf(target, sizeof target, "/mpu/gone?uploadId=%s", id);
    cr_assert_eq(s3t_status(srv, "DELETE", target, NULL), 204);
    cr_assert_eq(s3t_status(srv, "DELETE", target, NULL), 404);
    free(id);
}

Test(s3_multipart, object_read)
{
    unsigned char *data = NULL;
    size_t len = 0;
    aws_error err;
    memset(&err, 0, sizeof err);
    cr_assert_eq(s3t_status(srv, "PUT", "/mpu/img.jpg", "\xff\xd8\xff"), 200);
    cr_assert_eq(s3_object_read(srv, "123456789012", "mpu", "img.jpg", &data,
                                &len, &err),
                 0);
    cr_assert_eq(len, 3);
    cr_assert(memcmp(data, "\xff\xd8\xff", 3) == 0);
    free(data);

    cr_assert_eq(
        s3_object_read(srv, "123456789012", "mpu", "none", &data, &len, &err),
        -1);
    cr_assert_eq(err.code, AWS_ERR_S3_NO_SUCH_KEY);
    aws_error_reset(&err);
    cr_assert_eq(s3_object_read(srv, "123456789012", "nobucket", "img.jpg",
                                &data, &len, &err),
                 -1);
    cr_assert_eq(err.code, AWS_ERR_S3_NO_SUCH_BUCKET);
    aws_error_reset(&err);
}

Test(s3_multipart, stack_bucket)
{
    http_response r;
    char errbuf[256];
    char path[] = "/tmp/stratus-s3-stack-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    static const char stack[] =
        "Resources:\n"
        "  Uploads:\n"
        "    Type: AWS::S3::Bucket\n"
        "    Properties:\n"
        "      BucketName: collectiq-hackathon-uploads-123456789012\n"
        "      VersioningConfiguration: {Status: Enabled}\n"
        "      CorsConfiguration:\n"
        "        CorsRules:\n"
        "          - AllowedOrigins: ['*']\n"
        "            AllowedMethods: [PUT, POST, GET]\n"
        "            AllowedHeaders: ['*']\n"
        "            ExposedHeaders: [ETag]\n"
        "            MaxAge: 3000\n";
    cr_assert_eq(write(fd, stack, sizeof stack - 1),
                 (ssize_t)(sizeof stack - 1));
    close(fd);
    int rc = stack_apply_file(srv, path, errbuf, sizeof errbuf);
    cr_assert_eq(rc, 0, "%s", errbuf);
    /* Applying again keeps the bucket. */
    rc = stack_apply_file(srv, path, errbuf, sizeof errbuf);
    cr_assert_eq(rc, 0, "%s", errbuf);
    unlink(path);

    s3t_send(srv, "GET", "/collectiq-hackathon-uploads-123456789012?versioning",
             NULL, NULL, 0, 1, &r);
    s3t_assert_xml(&r, "Status", "Enabled");
    http_response_cleanup(&r);
    s3t_send(srv, "GET", "/collectiq-hackathon-uploads-123456789012?cors", NULL,
             NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200);
    s3t_assert_xml(&r, "AllowedOrigin", "*");
    s3t_assert_xml(&r, "ExposeHeader", "ETag");
    s3t_assert_xml(&r, "MaxAgeSeconds", "3000");
    cr_assert_eq(s3t_count(&r, "<AllowedMethod>"), 3);
    http_response_cleanup(&r);
}
