/*
 * s3_iam.c: IAM checks of S3 requests. The dispatcher cannot authorize S3,
 * which routes itself, so s3_serve calls iam_request_check with the IAM
 * action of each operation on its bucket or object ARN. Only requests
 * signed with credentials Stratus issued (role sessions) are evaluated,
 * and `--iam off` turns the checks off.
 *
 * IAM names S3 actions differently from operations (HeadObject needs
 * s3:GetObject, ListObjectsV2 s3:ListBucket); the table lists those that
 * differ, every other operation needs "s3:<operation>". CopyObject and
 * UploadPartCopy also need s3:GetObject on their source, and DeleteObjects
 * checks each key as it deletes (s3_object.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iam.h"
#include "s3.h"
#include "s3_internal.h"

static const struct {
    const char *operation;
    const char *action;
} s3_iam_actions[] = {
    {"ListBuckets", "s3:ListAllMyBuckets"},
    {"HeadBucket", "s3:ListBucket"},
    {"ListObjects", "s3:ListBucket"},
    {"ListObjectsV2", "s3:ListBucket"},
    {"ListObjectVersions", "s3:ListBucketVersions"},
    {"ListMultipartUploads", "s3:ListBucketMultipartUploads"},
    {"HeadObject", "s3:GetObject"},
    {"CopyObject", "s3:PutObject"},
    {"CreateMultipartUpload", "s3:PutObject"},
    {"UploadPart", "s3:PutObject"},
    {"UploadPartCopy", "s3:PutObject"},
    {"CompleteMultipartUpload", "s3:PutObject"},
    {"ListParts", "s3:ListMultipartUploadParts"},
    {"DeleteObjects", NULL}, /* checked per key */
    {"GetBucketCors", "s3:GetBucketCORS"},
    {"PutBucketCors", "s3:PutBucketCORS"},
    {"DeleteBucketCors", "s3:PutBucketCORS"},
    {"DeleteBucketTagging", "s3:PutBucketTagging"},
    {"GetBucketEncryption", "s3:GetEncryptionConfiguration"},
    {"PutBucketEncryption", "s3:PutEncryptionConfiguration"},
    {"DeleteBucketEncryption", "s3:PutEncryptionConfiguration"},
    {"GetBucketLifecycleConfiguration", "s3:GetLifecycleConfiguration"},
    {"PutBucketLifecycleConfiguration", "s3:PutLifecycleConfiguration"},
    {"DeleteBucketLifecycle", "s3:PutLifecycleConfiguration"},
    {"GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock"},
    {"PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock"},
    {"DeletePublicAccessBlock", "s3:PutBucketPublicAccessBlock"},
    {"DeleteBucketOwnershipControls", "s3:PutBucketOwnershipControls"},
};

void s3__iam_arn(const char *bucket, const char *key, char *out, size_t size)
{
    if (!bucket)
        snprintf(out, size, "*");
    else if (key)
        snprintf(out, size, "arn:aws:s3:::%s/%s", bucket, key);
    else
        snprintf(out, size, "arn:aws:s3:::%s", bucket);
}

int s3__iam_check(s3_ctx *c, aws_error *err)
{
    char action[128], resource[2200];
    snprintf(action, sizeof action, "s3:%s", c->op);
    for (size_t i = 0; i < sizeof s3_iam_actions / sizeof *s3_iam_actions;
         i++) {
        if (strcmp(s3_iam_actions[i].operation, c->op) != 0)
            continue;
        if (!s3_iam_actions[i].action)
            return 0;
        snprintf(action, sizeof action, "%s", s3_iam_actions[i].action);
        break;
    }
    s3__iam_arn(c->bucket, c->key, resource, sizeof resource);
    if (iam_request_check(&c->req, action, resource, err) != 0)
        return -1;

    if (strcmp(c->op, "CopyObject") == 0 ||
        strcmp(c->op, "UploadPartCopy") == 0) {
        /* The source, "[/]bucket/key[?versionId=...]", URL-encoded. */
        const char *source = s3__header(c, "x-amz-copy-source");
        if (*source == '/')
            source++;
        char *decoded = s3__decode(source, strcspn(source, "?"), 0);
        snprintf(resource, sizeof resource, "arn:aws:s3:::%s", decoded);
        free(decoded);
        return iam_request_check(&c->req, "s3:GetObject", resource, err);
    }
    return 0;
}
