/*
 * test_s3_api.c: S3 bucket, object and listing operations through the real
 * dispatcher, with the statuses, XML error documents and headers AWS
 * returns.
 */
#include "s3_test.h"

static stratus *srv;

static void setup(void)
{
    srv = ts_new();
}

static void teardown(void)
{
    ts_free(srv);
}

TestSuite(s3_api, .init = setup, .fini = teardown);

static void put_text(const char *target, const char *text)
{
    int status = s3t_status(srv, "PUT", target, text);
    cr_assert_eq(status, 200, "PUT %s", target);
}

Test(s3_api, bucket_create_twice)
{
    http_response r;
    cr_assert_eq(s3t_status(srv, "PUT", "/photos", NULL), 200);
    s3t_send(srv, "PUT", "/photos", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 409);
    s3t_assert_xml(&r, "Code", "BucketAlreadyOwnedByYou");
    s3t_assert_xml(&r, "BucketName", "photos");
    char *request_id = s3t_xml(&r, "RequestId");
    cr_assert_not_null(request_id);
    cr_assert_str_eq(request_id, s3t_header(&r, "x-amz-request-id"));
    free(request_id);
    http_response_cleanup(&r);
}

Test(s3_api, bucket_name_invalid)
{
    http_response r;
    s3t_send(srv, "PUT", "/Upper_Case", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 400);
    s3t_assert_xml(&r, "Code", "InvalidBucketName");
    http_response_cleanup(&r);
}

Test(s3_api, bucket_head_and_delete)
{
    http_response r;
    cr_assert_eq(s3t_status(srv, "PUT", "/bk1", NULL), 200);
    s3t_send(srv, "HEAD", "/bk1", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(s3t_header(&r, "x-amz-bucket-region"), "us-east-1");
    http_response_cleanup(&r);

    put_text("/bk1/k", "x");
    s3t_send(srv, "DELETE", "/bk1", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 409);
    s3t_assert_xml(&r, "Code", "BucketNotEmpty");
    http_response_cleanup(&r);

    cr_assert_eq(s3t_status(srv, "DELETE", "/bk1/k", NULL), 204);
    cr_assert_eq(s3t_status(srv, "DELETE", "/bk1", NULL), 204);

    s3t_send(srv, "HEAD", "/bk1", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 404);
    cr_assert_eq(r.body_len, 0, "HEAD errors have no body");
    http_response_cleanup(&r);
}

Test(s3_api, bucket_missing_errors)
{
    http_response r;
    s3t_send(srv, "GET", "/nobucket/key", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 404);
    s3t_assert_xml(&r, "Code", "NoSuchBucket");
    s3t_assert_xml(&r, "Message", "The specified bucket does not exist");
    s3t_assert_xml(&r, "BucketName", "nobucket");
    cr_assert_str_eq(s3t_header(&r, "Content-Type"), "application/xml");
    http_response_cleanup(&r);
}

Test(s3_api, list_buckets_and_location)
{
    http_response r;
    cr_assert_eq(s3t_status(srv, "PUT", "/zeta", NULL), 200);
    cr_assert_eq(s3t_status(srv, "PUT", "/alpha", NULL), 200);
    s3t_send(srv, "GET", "/", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(s3t_count(&r, "<Bucket>"), 2);
    s3t_assert_xml(&r, "Name", "alpha");
    http_response_cleanup(&r);

    s3t_send(srv, "GET", "/alpha?location", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "></LocationConstraint>"),
              "us-east-1 is an empty constraint: %s", r.body);
    http_response_cleanup(&r);
}

Test(s3_api, object_put_get_head)
{
    http_response r;
    const char *const headers[] = {"Content-Type",
                                   "text/plain",
                                   "x-amz-meta-Owner",
                                   "alice",
                                   "Cache-Control",
                                   "max-age=60",
                                   "Content-Encoding",
                                   "identity",
                                   NULL};
    cr_assert_eq(s3t_status(srv, "PUT", "/bkt", NULL), 200);
    s3t_send(srv, "PUT", "/bkt/hello.txt", headers, "hello", 5, 1, &r);
    cr_assert_eq(r.status, 200);
    /* MD5 of "hello". */
    cr_assert_str_eq(s3t_header(&r, "ETag"),
                     "\"5d41402abc4b2a76b9719d911017c592\"");
    http_response_cleanup(&r);

    s3t_send(srv, "GET", "/bkt/hello.txt", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.body_len, 5);
    cr_assert(memcmp(r.body, "hello", 5) == 0);
    cr_assert_str_eq(s3t_header(&r, "Content-Type"), "text/plain");
    cr_assert_str_eq(s3t_header(&r, "x-amz-meta-owner"), "alice");
    cr_assert_str_eq(s3t_header(&r, "Cache-Control"), "max-age=60");
    cr_assert_not_null(s3t_header(&r, "Last-Modified"));
    cr_assert(strstr(s3t_header(&r, "Last-Modified"), " GMT"));
    http_response_cleanup(&r);

    s3t_send(srv, "HEAD", "/bkt/hello.txt", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(s3t_header(&r, "ETag"),
                     "\"5d41402abc4b2a76b9719d911017c592\"");
    http_response_cleanup(&r);
}

Test(s3_api, object_default_content_type)
{
    http_response r;
    cr_assert_eq(s3t_status(srv, "PUT", "/bkt", NULL), 200);
    put_text("/bkt/raw", "bytes");
    s3t_send(srv, "GET", "/bkt/raw", NULL, NULL, 0, 1, &r);
    cr_assert_str_eq(s3t_header(&r, "Content-Type"), "binary/octet-stream");
    http_response_cleanup(&r);
}

Test(s3_api, object_missing_key)
{
    http_response r;
    cr_assert_eq(s3t_status(srv, "PUT", "/bkt", NULL), 200);
    s3t_send(srv, "GET", "/bkt/no/such%20key", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 404);
    s3t_assert_xml(&r, "Code", "NoSuchKey");
    s3t_assert_xml(&r, "Message", "The specified key does not exist.");
    s3t_assert_xml(&r, "Key", "no/such key");
    http_response_cleanup(&r);
}

Test(s3_api, object_keys_are_not_paths)
{
    static const char *const keys[][2] = {
        {"/bkt/../../etc/passwd", "../../etc/passwd"},
        {"/bkt/a//b", "a//b"},
        {"/bkt/caf%C3%A9%20%E2%9C%93", "caf\xc3\xa9 \xe2\x9c\x93"},
        {"/bkt/100%25+plus", "100%+plus"},
        {"/bkt/authentic-samples/Pikachu%2520V/1.json",
         "authentic-samples/Pikachu%20V/1.json"},
    };
    cr_assert_eq(s3t_status(srv, "PUT", "/bkt", NULL), 200);
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        put_text(keys[i][0], keys[i][1]);
        unsigned char *data = NULL;
        size_t len = 0;
        aws_error err;
        memset(&err, 0, sizeof err);
        extern int s3_object_read(stratus *, const char *, const char *,
                                  const char *, unsigned char **, size_t *,
                                  aws_error *);
        int rc = s3_object_read(srv, "123456789012", "bkt", keys[i][1], &data,
                                &len, &err);
        cr_assert_eq(rc, 0, "key %s not stored as itself: %s", keys[i][1],
                     err.message);
        cr_assert_eq(len, strlen(keys[i][1]));
        free(data);
    }
}

Test(s3_api, object_range)
{
    http_response r;
    const char *const range[] = {"Range", "bytes=1-3", NULL};
    const char *const suffix[] = {"Range", "bytes=-2", NULL};
    const char *const beyond[] = {"Range", "bytes=100-", NULL};
    cr_assert_eq(s3t_status(srv, "PUT", "/bkt", NULL), 200);
    put_text("/bkt/r", "0123456789");

    s3t_send(srv, "GET", "/bkt/r", range, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 206);
    cr_assert_eq(r.body_len, 3);
    cr_assert(memcmp(r.body, "123", 3) == 0);
    cr_assert_str_eq(s3t_header(&r, "Content-Range"), "bytes 1-3/10");
    http_response_cleanup(&r);

    s3t_send(srv, "GET", "/bkt/r", suffix, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 206);
    cr_assert(memcmp(r.body, "89", 2) == 0);
    http_response_cleanup(&r);

    s3t_send(srv, "GET", "/bkt/r", beyond, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 416);
    s3t_assert_xml(&r, "Code", "InvalidRange");
    s3t_assert_xml(&r, "ActualObjectSize", "10");
    http_response_cleanup(&r);
}

Test(s3_api, object_conditional_get)
{
    http_response r;
    const char *const same[] = {"If-None-Match",
                                "\"5d41402abc4b2a76b9719d911017c592\"", NULL};
    const char *const other[] = {"If-Match", "\"0000\"", NULL};
    cr_assert_eq(s3t_status(srv, "PUT", "/bkt", NULL), 200);
    put_text("/bkt/c", "hello");

    s3t_send(srv, "GET", "/bkt/c", same, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 304);
    cr_assert_eq(r.body_len, 0);
    http_response_cleanup(&r);

    s3t_send(srv, "GET", "/bkt/c", other, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 412);
    s3t_assert_xml(&r, "Code", "PreconditionFailed");
    s3t_assert_xml(&r, "Condition", "If-Match");
    http_response_cleanup(&r);
}

Test(s3_api, object_conditional_put)
{
    http_response r;
    const char *const create_only[] = {"If-None-Match", "*", NULL};
    cr_assert_eq(s3t_status(srv, "PUT", "/bkt", NULL), 200);
    s3t_send(srv, "PUT", "/bkt/once", create_only, "1", 1, 1, &r);
    cr_assert_eq(r.status, 200);
    http_response_cleanup(&r);
    s3t_send(srv, "PUT", "/bkt/once", create_only, "2", 1, 1, &r);
    cr_assert_eq(r.status, 412);
    s3t_assert_xml(&r, "Condition", "If-None-Match");
    http_response_cleanup(&r);
}

Test(s3_api, object_response_overrides)
{
    http_response r;
    cr_assert_eq(s3t_status(srv, "PUT", "/bkt", NULL), 200);
    put_text("/bkt/o", "x");
    s3t_send(srv, "GET",
             "/bkt/o?response-content-type=image%2Fpng&"
             "response-content-disposition=attachment",
             NULL, NULL, 0, 1, &r);
    cr_assert_str_eq(s3t_header(&r, "Content-Type"), "image/png");
    cr_assert_str_eq(s3t_header(&r, "Content-Disposition"), "attachment");
    http_response_cleanup(&r);
}

Test(s3_api, object_delete_missing_is_204)
{
    cr_assert_eq(s3t_status(srv, "PUT", "/bkt", NULL), 200);
    cr_assert_eq(s3t_status(srv, "DELETE", "/bkt/never", NULL), 204);
}

Test(s3_api, delete_objects)
{
    http_response r;
    static const char body[] =
        "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Object><Key>a</Key></Object><Object><Key>b &amp; c</Key></Object>"
        "<Object><Key>missing</Key></Object></Delete>";
    cr_assert_eq(s3t_status(srv, "PUT", "/bkt", NULL), 200);
    put_text("/bkt/a", "1");
    put_text("/bkt/b%20%26%20c", "2");
    put_text("/bkt/keep", "3");
    s3t_send(srv, "POST", "/bkt?delete", NULL, body, sizeof body - 1, 1, &r);
    cr_assert_eq(r.status, 200, "%.*s", (int)r.body_len, r.body);
    cr_assert_eq(s3t_count(&r, "<Deleted>"), 3);
    cr_assert(strstr(r.body, "<Key>b &amp; c</Key>"));
    http_response_cleanup(&r);
    cr_assert_eq(s3t_status(srv, "GET", "/bkt/a", NULL), 404);
    cr_assert_eq(s3t_status(srv, "GET", "/bkt/keep", NULL), 200);

    s3t_send(srv, "POST", "/bkt?delete", NULL, "<Delete>", 8, 1, &r);
    cr_assert_eq(r.status, 400);
    s3t_assert_xml(&r, "Code", "MalformedXML");
    http_response_cleanup(&r);
}

Test(s3_api, copy_object)
{
    http_response r;
    const char *const copy[] = {"x-amz-copy-source", "/bkt/src%20key", NULL};
    const char *const self[] = {"x-amz-copy-source", "bkt/dst", NULL};
    const char *const missing[] = {"x-amz-copy-source", "bkt/none", NULL};
    const char *const meta[] = {"x-amz-meta-a", "1", NULL};
    cr_assert_eq(s3t_status(srv, "PUT", "/bkt", NULL), 200);
    s3t_send(srv, "PUT", "/bkt/src%20key", meta, "data", 4, 1, &r);
    http_response_cleanup(&r);

    s3t_send(srv, "PUT", "/bkt/dst", copy, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200, "%.*s", (int)r.body_len, r.body);
    cr_assert(strstr(r.body, "<CopyObjectResult"));
    s3t_assert_xml(&r, "ETag", "&quot;8d777f385d3dfec8815d20f7496026dc&quot;");
    http_response_cleanup(&r);

    s3t_send(srv, "GET", "/bkt/dst", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.body_len, 4);
    cr_assert_str_eq(s3t_header(&r, "x-amz-meta-a"), "1");
    http_response_cleanup(&r);

    s3t_send(srv, "PUT", "/bkt/dst", self, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 400);
    s3t_assert_xml(&r, "Code", "InvalidRequest");
    http_response_cleanup(&r);

    s3t_send(srv, "PUT", "/bkt/x", missing, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 404);
    s3t_assert_xml(&r, "Code", "NoSuchKey");
    http_response_cleanup(&r);
}

static void fill_listing_bucket(void)
{
    static const char *const keys[] = {"/lst/a.txt",
                                       "/lst/photos/2024/1.jpg",
                                       "/lst/photos/2024/2.jpg",
                                       "/lst/photos/2025/1.jpg",
                                       "/lst/photos/top.jpg",
                                       "/lst/z.txt"};
    cr_assert_eq(s3t_status(srv, "PUT", "/lst", NULL), 200);
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        put_text(keys[i], "x");
}

Test(s3_api, list_v2_prefix_delimiter)
{
    http_response r;
    fill_listing_bucket();
    s3t_send(srv, "GET", "/lst?list-type=2&prefix=photos%2F&delimiter=%2F",
             NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200);
    s3t_assert_xml(&r, "KeyCount", "3");
    s3t_assert_xml(&r, "IsTruncated", "false");
    cr_assert_eq(s3t_count(&r, "<Contents>"), 1);
    s3t_assert_xml(&r, "Key", "photos/top.jpg");
    cr_assert_eq(s3t_count(&r, "<CommonPrefixes>"), 2);
    cr_assert(strstr(r.body, "<Prefix>photos/2024/</Prefix>"));
    cr_assert(strstr(r.body, "<Prefix>photos/2025/</Prefix>"));
    http_response_cleanup(&r);
}

Test(s3_api, list_v2_pages)
{
    http_response r;
    fill_listing_bucket();
    /* Page through with max-keys=1 and a delimiter: a.txt, photos/, z.txt. */
    const char *want[] = {"a.txt", "photos/", "z.txt"};
    char target[512] = "/lst?list-type=2&delimiter=%2F&max-keys=1";
    for (int page = 0; page < 3; page++) {
        s3t_send(srv, "GET", target, NULL, NULL, 0, 1, &r);
        cr_assert_eq(r.status, 200, "page %d: %.*s", page, (int)r.body_len,
                     r.body);
        s3t_assert_xml(&r, "KeyCount", "1");
        cr_assert(strstr(r.body, want[page]), "page %d lacks %s: %s", page,
                  want[page], r.body);
        char *next = s3t_xml(&r, "NextContinuationToken");
        s3t_assert_xml(&r, "IsTruncated", page < 2 ? "true" : "false");
        http_response_cleanup(&r);
        if (page < 2) {
            cr_assert_not_null(next);
            snprintf(target, sizeof target,
                     "/lst?list-type=2&delimiter=%%2F&max-keys=1&"
                     "continuation-token=%s",
                     next);
        } else {
            cr_assert_null(next);
        }
        free(next);
    }
}

Test(s3_api, list_v2_start_after_and_url)
{
    http_response r;
    fill_listing_bucket();
    put_text("/lst/with%20space", "x");
    s3t_send(srv, "GET", "/lst?list-type=2&start-after=photos%2Ftop.jpg", NULL,
             NULL, 0, 1, &r);
    s3t_assert_xml(&r, "KeyCount", "2");
    s3t_assert_xml(&r, "StartAfter", "photos/top.jpg");
    http_response_cleanup(&r);

    s3t_send(srv, "GET", "/lst?list-type=2&prefix=with&encoding-type=url", NULL,
             NULL, 0, 1, &r);
    s3t_assert_xml(&r, "Key", "with+space");
    s3t_assert_xml(&r, "EncodingType", "url");
    http_response_cleanup(&r);

    s3t_send(srv, "GET", "/lst?list-type=2&continuation-token=%21%21", NULL,
             NULL, 0, 1, &r);
    cr_assert_eq(r.status, 400);
    s3t_assert_xml(&r, "Code", "InvalidArgument");
    http_response_cleanup(&r);
}

Test(s3_api, list_v1_marker)
{
    http_response r;
    fill_listing_bucket();
    s3t_send(srv, "GET", "/lst", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(s3t_count(&r, "<Contents>"), 6, "%s", r.body);
    s3t_assert_xml(&r, "IsTruncated", "false");
    http_response_cleanup(&r);

    s3t_send(srv, "GET", "/lst?marker=photos%2F2025%2F1.jpg&max-keys=1", NULL,
             NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200);
    s3t_assert_xml(&r, "Key", "photos/top.jpg");
    s3t_assert_xml(&r, "IsTruncated", "true");
    s3t_assert_xml(&r, "Marker", "photos/2025/1.jpg");
    cr_assert(strstr(r.body, "<Owner>"));
    http_response_cleanup(&r);
}

Test(s3_api, versioning_flag)
{
    http_response r;
    static const char enable[] =
        "<VersioningConfiguration><Status>Enabled</Status>"
        "</VersioningConfiguration>";
    cr_assert_eq(s3t_status(srv, "PUT", "/ver", NULL), 200);
    s3t_send(srv, "GET", "/ver?versioning", NULL, NULL, 0, 1, &r);
    cr_assert_null(s3t_xml(&r, "Status"));
    http_response_cleanup(&r);

    cr_assert_eq(s3t_status(srv, "PUT", "/ver?versioning", enable), 200);
    s3t_send(srv, "GET", "/ver?versioning", NULL, NULL, 0, 1, &r);
    s3t_assert_xml(&r, "Status", "Enabled");
    http_response_cleanup(&r);

    s3t_send(srv, "PUT", "/ver/k", NULL, "1", 1, 1, &r);
    cr_assert_not_null(s3t_header(&r, "x-amz-version-id"));
    http_response_cleanup(&r);
    s3t_send(srv, "DELETE", "/ver/k", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 204);
    cr_assert_str_eq(s3t_header(&r, "x-amz-delete-marker"), "true");
    http_response_cleanup(&r);
}

Test(s3_api, list_object_versions)
{
    http_response r;
    static const char enable[] =
        "<VersioningConfiguration><Status>Enabled</Status>"
        "</VersioningConfiguration>";
    cr_assert_eq(s3t_status(srv, "PUT", "/ver", NULL), 200);
    put_text("/ver/plain", "1");
    cr_assert_eq(s3t_status(srv, "PUT", "/ver?versioning", enable), 200);
    s3t_send(srv, "PUT", "/ver/versioned", NULL, "2", 1, 1, &r);
    char *version = xstrdup(s3t_header(&r, "x-amz-version-id"));
    http_response_cleanup(&r);

    s3t_send(srv, "GET", "/ver?versions", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200, "%.*s", (int)r.body_len, r.body);
    cr_assert(strstr(r.body, "<ListVersionsResult"));
    cr_assert_eq(s3t_count(&r, "<Version>"), 2, "%s", r.body);
    cr_assert(strstr(r.body, "<Key>plain</Key><VersionId>null</VersionId>"
                             "<IsLatest>true</IsLatest>"),
              "%s", r.body);
    cr_assert(strstr(r.body, version), "version id %s listed", version);
    http_response_cleanup(&r);

    s3t_send(srv, "GET", "/ver?versions&max-keys=1", NULL, NULL, 0, 1, &r);
    s3t_assert_xml(&r, "IsTruncated", "true");
    s3t_assert_xml(&r, "NextKeyMarker", "plain");
    http_response_cleanup(&r);
    free(version);
}

Test(s3_api, object_tagging)
{
    http_response r;
    const char *const tagged[] = {"x-amz-tagging",
                                  "team=cards&stage=raw%20scan", NULL};
    const char *const too_many[] = {
        "x-amz-tagging", "a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11", NULL};
    static const char set[] = "<Tagging><TagSet><Tag><Key>only</Key>"
                              "<Value>one</Value></Tag></TagSet></Tagging>";
    cr_assert_eq(s3t_status(srv, "PUT", "/bkt", NULL), 200);
    s3t_send(srv, "PUT", "/bkt/t", tagged, "x", 1, 1, &r);
    cr_assert_eq(r.status, 200);
    http_response_cleanup(&r);

    s3t_send(srv, "HEAD", "/bkt/t", NULL, NULL, 0, 1, &r);
    cr_assert_str_eq(s3t_header(&r, "x-amz-tagging-count"), "2");
    http_response_cleanup(&r);
    s3t_send(srv, "GET", "/bkt/t?tagging", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(s3t_count(&r, "<Tag>"), 2);
    cr_assert(strstr(r.body, "<Key>stage</Key><Value>raw scan</Value>"), "%s",
              r.body);
    http_response_cleanup(&r);

    cr_assert_eq(s3t_status(srv, "PUT", "/bkt/t?tagging", set), 200);
    s3t_send(srv, "GET", "/bkt/t?tagging", NULL, NULL, 0, 1, &r);
    cr_assert_eq(s3t_count(&r, "<Tag>"), 1);
    s3t_assert_xml(&r, "Value", "one");
    http_response_cleanup(&r);

    cr_assert_eq(s3t_status(srv, "DELETE", "/bkt/t?tagging", NULL), 204);
    s3t_send(srv, "HEAD", "/bkt/t", NULL, NULL, 0, 1, &r);
    cr_assert_null(s3t_header(&r, "x-amz-tagging-count"));
    http_response_cleanup(&r);

    s3t_send(srv, "PUT", "/bkt/many", too_many, "x", 1, 1, &r);
    cr_assert_eq(r.status, 400);
    s3t_assert_xml(&r, "Code", "InvalidTag");
    http_response_cleanup(&r);
    cr_assert_eq(s3t_status(srv, "GET", "/bkt/missing?tagging", NULL), 404);

    /* CopyObject copies the tags unless the directive is REPLACE. */
    const char *const copy[] = {"x-amz-copy-source", "bkt/tagged", NULL};
    const char *const replace[] = {"x-amz-copy-source", "bkt/tagged",
                                   "x-amz-tagging-directive", "REPLACE", NULL};
    s3t_send(srv, "PUT", "/bkt/tagged", tagged, "x", 1, 1, &r);
    http_response_cleanup(&r);
    s3t_send(srv, "PUT", "/bkt/copied", copy, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200);
    http_response_cleanup(&r);
    s3t_send(srv, "HEAD", "/bkt/copied", NULL, NULL, 0, 1, &r);
    cr_assert_str_eq(s3t_header(&r, "x-amz-tagging-count"), "2");
    http_response_cleanup(&r);
    s3t_send(srv, "PUT", "/bkt/replaced", replace, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200);
    http_response_cleanup(&r);
    s3t_send(srv, "HEAD", "/bkt/replaced", NULL, NULL, 0, 1, &r);
    cr_assert_null(s3t_header(&r, "x-amz-tagging-count"));
    http_response_cleanup(&r);
}

Test(s3_api, bucket_configurations)
{
    http_response r;
    static const char policy[] =
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\","
        "\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":"
        "\"arn:aws:s3:::bkt/*\",\"Condition\":{\"Bool\":{"
        "\"aws:SecureTransport\":\"false\"}}}]}";
    static const char block[] =
        "<PublicAccessBlockConfiguration><BlockPublicAcls>true"
        "</BlockPublicAcls></PublicAccessBlockConfiguration>";
    cr_assert_eq(s3t_status(srv, "PUT", "/bkt", NULL), 200);

    s3t_send(srv, "GET", "/bkt?policy", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 404);
    s3t_assert_xml(&r, "Code", "NoSuchBucketPolicy");
    s3t_assert_xml(&r, "Message", "The bucket policy does not exist");
    http_response_cleanup(&r);
    cr_assert_eq(s3t_status(srv, "PUT", "/bkt?policy", policy), 204);
    s3t_send(srv, "GET", "/bkt?policy", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.body_len, sizeof policy - 1);
    cr_assert(memcmp(r.body, policy, r.body_len) == 0);
    cr_assert_str_eq(s3t_header(&r, "Content-Type"), "application/json");
    http_response_cleanup(&r);
    s3t_send(srv, "PUT", "/bkt?policy", NULL, "not json", 8, 1, &r);
    cr_assert_eq(r.status, 400);
    s3t_assert_xml(&r, "Code", "MalformedPolicy");
    http_response_cleanup(&r);
    cr_assert_eq(s3t_status(srv, "DELETE", "/bkt?policy", NULL), 204);
    cr_assert_eq(s3t_status(srv, "GET", "/bkt?policy", NULL), 404);

    cr_assert_eq(s3t_status(srv, "GET", "/bkt?publicAccessBlock", NULL), 404);
    cr_assert_eq(s3t_status(srv, "PUT", "/bkt?publicAccessBlock", block), 200);
    s3t_send(srv, "GET", "/bkt?publicAccessBlock", NULL, NULL, 0, 1, &r);
    s3t_assert_xml(&r, "BlockPublicAcls", "true");
    http_response_cleanup(&r);
    s3t_send(srv, "PUT", "/bkt?publicAccessBlock", NULL, "<Other/>", 8, 1, &r);
    cr_assert_eq(r.status, 400);
    s3t_assert_xml(&r, "Code", "MalformedXML");
    http_response_cleanup(&r);

    /* Default encryption exists before any PutBucketEncryption. */
    s3t_send(srv, "GET", "/bkt?encryption", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200);
    s3t_assert_xml(&r, "SSEAlgorithm", "AES256");
    http_response_cleanup(&r);

    s3t_send(srv, "GET", "/bkt?tagging", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 404);
    s3t_assert_xml(&r, "Code", "NoSuchTagSet");
    http_response_cleanup(&r);

    s3t_send(srv, "GET", "/bkt?acl", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200);
    s3t_assert_xml(&r, "Permission", "FULL_CONTROL");
    http_response_cleanup(&r);
}

Test(s3_api, unimplemented_operation)
{
    http_response r;
    cr_assert_eq(s3t_status(srv, "PUT", "/bkt", NULL), 200);
    s3t_send(srv, "GET", "/bkt?replication", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 501);
    s3t_assert_xml(&r, "Code", "NotImplemented");
    http_response_cleanup(&r);

    s3t_send(srv, "POST", "/", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 405);
    s3t_assert_xml(&r, "Code", "MethodNotAllowed");
    http_response_cleanup(&r);
}

/* The message of the first TaskFailed cause in a recorded execution
 * history, cut before " (Service: S3". NULL when absent. */
static char *recorded_cause(const cJSON *snapshot, const char *test)
{
    const cJSON *entry = cJSON_GetObjectItemCaseSensitive(snapshot, test);
    const cJSON *content =
        cJSON_GetObjectItemCaseSensitive(entry, "recorded-content");
    const cJSON *history =
        cJSON_GetObjectItemCaseSensitive(content, "get_execution_history");
    const cJSON *event;
    cJSON_ArrayForEach(event,
                       cJSON_GetObjectItemCaseSensitive(history, "events"))
    {
        const cJSON *details =
            cJSON_GetObjectItemCaseSensitive(event, "taskFailedEventDetails");
        const char *cause = cJSON_GetStringValue(
            cJSON_GetObjectItemCaseSensitive(details, "cause"));
        const char *cut = cause ? strstr(cause, " (Service: S3") : NULL;
        if (cut)
            return xstrndup(cause, (size_t)(cut - cause));
    }
    return NULL;
}

/* AWS's messages as recorded by LocalStack through Step Functions' S3
 * integration (GetObject on a missing bucket and a missing key). */
Test(s3_api, messages_match_recorded_aws)
{
    const char *shared = ts_shared_dir();
    if (!shared)
        cr_skip_test("no shared folder (STRATUS_SHARED_DIR): recorded AWS "
                     "responses not available");
    char path[1024];
    snprintf(path, sizeof path,
             "%s/conformance/localstack/tests/aws/services/stepfunctions/v2/"
             "error_handling/test_aws_sdk.snapshot.json",
             shared);
    cJSON *snapshot = ts_load_json(path, 0);
    if (!snapshot)
        cr_skip_test("cannot read %s", path);
    const char *prefix = "tests/aws/services/stepfunctions/v2/error_handling/"
                         "test_aws_sdk.py::TestAwsSdk::";
    char test[256];

    snprintf(test, sizeof test, "%stest_no_such_bucket", prefix);
    char *bucket_cause = recorded_cause(snapshot, test);
    snprintf(test, sizeof test, "%stest_s3_no_such_key", prefix);
    char *key_cause = recorded_cause(snapshot, test);
    cJSON_Delete(snapshot);
    cr_assert_not_null(bucket_cause, "no NoSuchBucket cause recorded");
    cr_assert_not_null(key_cause, "no NoSuchKey cause recorded");

    http_response r;
    s3t_send(srv, "GET", "/bucket-name/no_such_key.json", NULL, NULL, 0, 1, &r);
    s3t_assert_xml(&r, "Message", bucket_cause);
    http_response_cleanup(&r);
    cr_assert_eq(s3t_status(srv, "PUT", "/bucket-name", NULL), 200);
    s3t_send(srv, "GET", "/bucket-name/no_such_key.json", NULL, NULL, 0, 1, &r);
    s3t_assert_xml(&r, "Message", key_cause);
    http_response_cleanup(&r);
    free(bucket_cause);
    free(key_cause);
}

/* A NUL byte would end the stored key early and overwrite another object,
 * and keys must be UTF-8: both are rejected. */
Test(s3_api, key_with_nul_or_bad_utf8_rejected)
{
    http_response r;
    cr_assert_eq(s3t_status(srv, "PUT", "/photos", NULL), 200);
    put_text("/photos/victim", "original");

    s3t_send(srv, "PUT", "/photos/victim%00evil", NULL, "overwritten", 11, 1,
             &r);
    cr_assert_eq(r.status, 400);
    s3t_assert_xml(&r, "Code", "InvalidURI");
    s3t_assert_xml(&r, "Message", "Couldn't parse the specified URI.");
    http_response_cleanup(&r);

    s3t_send(srv, "PUT", "/photos/k%ff%fe", NULL, "x", 1, 1, &r);
    cr_assert_eq(r.status, 400);
    s3t_assert_xml(&r, "Code", "InvalidURI");
    http_response_cleanup(&r);

    s3t_send(srv, "GET", "/photos/victim", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.body_len, 8);
    cr_assert_eq(memcmp(r.body, "original", 8), 0);
    http_response_cleanup(&r);

    cr_assert_eq(s3t_status(srv, "PUT", "/photos/caf%C3%A9", "x"), 200);
}
