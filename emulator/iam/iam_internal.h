/*
 * iam_internal.h: what the files of the IAM service share: roles as
 * stored, request helpers, the AWS managed policies and the operation
 * handlers.
 */
#ifndef STRATUS_IAM_INTERNAL_H
#define STRATUS_IAM_INTERNAL_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "aws.h"
#include "iam.h"
#include "iam_eval.h"
#include "stratus.h"

#define IAM_NAMESPACE "https://iam.amazonaws.com/doc/2010-05-08/"

/* A role as stored. Documents are the JSON text the caller sent. */
typedef struct iam_role {
    int64_t id;
    char account[13];
    char name[65];
    char path[513];
    char role_id[32];
    char arn[700];
    char *trust_policy;
    char *description; /* NULL when unset */
    long max_session_s;
    int64_t created_ms;
    cJSON *tags; /* [{Key, Value}] */
} iam_role;

/* One policy attached to a role, inline or managed, for evaluation. */
typedef struct iam_role_policy {
    char name[200];   /* inline: the policy name; managed: the ARN */
    const char *type; /* "role" (inline) or "aws-managed" */
    char *document;   /* JSON text */
    cJSON *parsed;
} iam_role_policy;

/* iam.c */
const char *iam__str(const cJSON *obj, const char *name);
int iam__missing(aws_error *err, const char *member);
/* Check a name member against IAM's [\w+=,.@-]+ pattern and length limit. */
int iam__check_name(const char *value, const char *member, size_t max,
                    aws_error *err);
/* Random upper-case letters and digits. */
void iam__random_id(char *out, size_t len);
/* ISO 8601 time as IAM writes it ("2026-01-02T03:04:05Z"). */
void iam__format_time(int64_t ms, char out[32]);
/* Percent-encode a policy document as IAM returns it. The caller frees it. */
char *iam__url_encode(const char *text);

/* iam_role.c */
/* Load a role by name; returns NULL with NoSuchEntity in `err`. */
iam_role *iam__role_load(stratus *srv, const char *account, const char *name,
                         aws_error *err);
void iam__role_free(iam_role *role);
/* The role's inline and attached policies; the caller frees them with
 * iam__role_policies_free. */
iam_role_policy *iam__role_policies(stratus *srv, const iam_role *role,
                                    size_t *count);
void iam__role_policies_free(iam_role_policy *policies, size_t count);
/* Evaluate a role's identity-based policies; `matches` collects the
 * matched statements as SimulatePrincipalPolicy reports them (may be
 * NULL). */
iam_decision iam__role_evaluate(stratus *srv, const iam_role *role,
                                const iam_eval_request *req, cJSON *matches);
cJSON *iam_op_create_role(aws_request *req, aws_error *err);
cJSON *iam_op_get_role(aws_request *req, aws_error *err);
cJSON *iam_op_delete_role(aws_request *req, aws_error *err);
cJSON *iam_op_list_roles(aws_request *req, aws_error *err);
cJSON *iam_op_update_assume_role_policy(aws_request *req, aws_error *err);
cJSON *iam_op_update_role(aws_request *req, aws_error *err);
cJSON *iam_op_put_role_policy(aws_request *req, aws_error *err);
cJSON *iam_op_get_role_policy(aws_request *req, aws_error *err);
cJSON *iam_op_delete_role_policy(aws_request *req, aws_error *err);
cJSON *iam_op_list_role_policies(aws_request *req, aws_error *err);
cJSON *iam_op_attach_role_policy(aws_request *req, aws_error *err);
cJSON *iam_op_detach_role_policy(aws_request *req, aws_error *err);
cJSON *iam_op_list_attached_role_policies(aws_request *req, aws_error *err);
cJSON *iam_op_tag_role(aws_request *req, aws_error *err);
cJSON *iam_op_untag_role(aws_request *req, aws_error *err);
cJSON *iam_op_list_role_tags(aws_request *req, aws_error *err);

/* iam_managed.c: the AWS managed policies Stratus defines. */
typedef struct iam_managed_policy {
    const char *name;
    const char *path;
    const char *policy_id;
    const char *version;
    const char *description;
    const char *created;
    const char *updated;
    const char *document;
} iam_managed_policy;
const iam_managed_policy *iam__managed_find(const char *arn);
cJSON *iam_op_get_policy(aws_request *req, aws_error *err);
cJSON *iam_op_get_policy_version(aws_request *req, aws_error *err);
cJSON *iam_op_list_policies(aws_request *req, aws_error *err);

/* iam_simulate.c */
cJSON *iam_op_simulate_principal_policy(aws_request *req, aws_error *err);
/* Find statement `index` of a policy's JSON text and fill its start line,
 * start column, end line and end column. All are 1-based, and the end is
 * the column after the closing brace. Leaves `span` alone when not found. */
void iam__statement_span(const char *text, size_t index, int span[4]);

#endif
