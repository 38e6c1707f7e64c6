/*
 * test_s3_iam.c: IAM checks of S3 requests signed with credentials
 * Stratus issued for a role: the IAM action of each operation on its
 * bucket or object ARN, CopyObject's source, DeleteObjects per key, and
 * requests signed with other keys, which pass.
 */
#include <unistd.h>

#include "iam.h"
#include "s3_test.h"
#include "stack.h"

#define ACCOUNT "123456789012"

static stratus *srv;
static iam_credentials cred;

/* A role that may read and write objects under uploads/ of "cards" and
 * list the bucket, and credentials of a function's session of it. */
static void setup(void)
{
    static const char stack[] =
        "Resources:\n"
        "  FnRole:\n"
        "    Type: AWS::IAM::Role\n"
        "    Properties:\n"
        "      RoleName: fn-role\n"
        "      AssumeRolePolicyDocument:\n"
        "        Statement:\n"
        "          - Effect: Allow\n"
        "            Principal: {Service: lambda.amazonaws.com}\n"
        "            Action: sts:AssumeRole\n"
        "      Policies:\n"
        "        - PolicyName: uploads\n"
        "          PolicyDocument:\n"
        "            Statement:\n"
        "              - Effect: Allow\n"
        "                Action: [s3:GetObject, s3:PutObject, "
        "s3:DeleteObject]\n"
        "                Resource: arn:aws:s3:::cards/uploads/*\n"
        "              - Effect: Allow\n"
        "                Action: s3:ListBucket\n"
        "                Resource: arn:aws:s3:::cards\n";
    char path[] = "/tmp/stratus-s3-iam-XXXXXX";
    char errbuf[256];
    aws_error err;

    srv = ts_new_enforcing();
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, stack, sizeof stack - 1),
                 (ssize_t)(sizeof stack - 1));
    close(fd);
    int rc = stack_apply_file(srv, path, errbuf, sizeof errbuf);
    unlink(path);
    cr_assert_eq(rc, 0, "%s", errbuf);

    memset(&err, 0, sizeof err);
    cr_assert_eq(iam_credentials_for_session(
                     srv, ACCOUNT, "arn:aws:iam::" ACCOUNT ":role/fn-role",
                     "cards-upload", &cred, &err),
                 0, "%s", err.message);
    stratus_turn_end(srv);
    cr_assert_eq(s3t_status(srv, "PUT", "/cards", NULL), 200);
    cr_assert_eq(s3t_status(srv, "PUT", "/cards/private/a", "secret"), 200);
}

static void teardown(void)
{
    ts_free(srv);
}

TestSuite(s3_iam, .init = setup, .fini = teardown);

static int status_as_role(const char *method, const char *target,
                          const char *const *headers, const char *body)
{
    http_response r;
    s3t_send_as(srv, cred.access_key, method, target, headers, body,
                body ? strlen(body) : 0, &r);
    int status = r.status;
    http_response_cleanup(&r);
    return status;
}

Test(s3_iam, allowed_object_calls)
{
    cr_assert_eq(status_as_role("PUT", "/cards/uploads/u1/x.jpg", NULL, "img"),
                 200);
    cr_assert_eq(status_as_role("GET", "/cards/uploads/u1/x.jpg", NULL, NULL),
                 200);
    /* HeadObject needs s3:GetObject, ListObjectsV2 s3:ListBucket. */
    cr_assert_eq(status_as_role("HEAD", "/cards/uploads/u1/x.jpg", NULL, NULL),
                 200);
    cr_assert_eq(status_as_role("GET", "/cards?list-type=2&prefix=uploads%2F",
                                NULL, NULL),
                 200);
    cr_assert_eq(
        status_as_role("DELETE", "/cards/uploads/u1/x.jpg", NULL, NULL), 204);
}

Test(s3_iam, denied_object_read)
{
    http_response r;
    s3t_send_as(srv, cred.access_key, "GET", "/cards/private/a", NULL, NULL, 0,
                &r);
    cr_assert_eq(r.status, 403);
    s3t_assert_xml(&r, "Code", "AccessDenied");
    char *message = s3t_xml(&r, "Message");
    cr_assert(strstr(message, "assumed-role/fn-role/cards-upload is not "
                              "authorized to perform: s3:GetObject on "
                              "resource: arn:aws:s3:::cards/private/a"),
              "%s", message);
    free(message);
    http_response_cleanup(&r);

    cr_assert_eq(status_as_role("GET", "/", NULL, NULL), 403,
                 "ListBuckets needs s3:ListAllMyBuckets");
    cr_assert_eq(
        status_as_role("PUT", "/cards?cors", NULL, "<CORSConfiguration/>"),
        403);
}

Test(s3_iam, copy_checks_source)
{
    const char *const from_private[] = {"x-amz-copy-source", "cards/private/a",
                                        NULL};
    cr_assert_eq(
        status_as_role("PUT", "/cards/uploads/copy", from_private, NULL), 403,
        "the source needs s3:GetObject");
    cr_assert_eq(status_as_role("PUT", "/cards/uploads/src", NULL, "x"), 200);
    const char *const from_uploads[] = {"x-amz-copy-source",
                                        "/cards/uploads/src", NULL};
    cr_assert_eq(
        status_as_role("PUT", "/cards/uploads/copy", from_uploads, NULL), 200);
}

Test(s3_iam, delete_objects_per_key)
{
    http_response r;
    static const char body[] =
        "<Delete><Object><Key>uploads/gone</Key></Object>"
        "<Object><Key>private/a</Key></Object></Delete>";
    cr_assert_eq(status_as_role("PUT", "/cards/uploads/gone", NULL, "x"), 200);
    s3t_send_as(srv, cred.access_key, "POST", "/cards?delete", NULL, body,
                sizeof body - 1, &r);
    cr_assert_eq(r.status, 200, "%.*s", (int)r.body_len, r.body);
    cr_assert_eq(s3t_count(&r, "<Deleted>"), 1);
    cr_assert(strstr(r.body, "<Error><Key>private/a</Key><Code>AccessDenied"),
              "%s", r.body);
    http_response_cleanup(&r);
    cr_assert_eq(s3t_status(srv, "GET", "/cards/private/a", NULL), 200,
                 "the denied key is kept");
}

Test(s3_iam, other_keys_pass)
{
    cr_assert_eq(s3t_status(srv, "GET", "/cards/private/a", NULL), 200);
    cr_assert_eq(s3t_status(srv, "GET", "/", NULL), 200);
}
