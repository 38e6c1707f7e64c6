/*
 * test_iam_eval.c: policy evaluation as AWS documents it, table-driven.
 * Covers an explicit deny winning, wildcards, NotAction and NotResource,
 * condition operators, principals of resource and trust policies, and the
 * checks of policy documents.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "iam_eval.h"

#define TABLE_ARN "arn:aws:dynamodb:us-east-1:123456789012:table/cards"

typedef struct eval_case {
    const char *name;
    const char *policy;
    const char *action;
    const char *resource;
    iam_decision expected;
} eval_case;

static const eval_case identity_cases[] = {
    {"allow exact",
     "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
     "\"dynamodb:GetItem\",\"Resource\":\"" TABLE_ARN "\"}}",
     "dynamodb:GetItem", TABLE_ARN, IAM_ALLOW},
    {"other action",
     "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
     "\"dynamodb:GetItem\",\"Resource\":\"*\"}}",
     "dynamodb:PutItem", TABLE_ARN, IAM_IMPLICIT_DENY},
    {"deny wins",
     "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
     "\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Action\":"
     "\"dynamodb:*\",\"Resource\":\"" TABLE_ARN "\"}]}",
     "dynamodb:GetItem", TABLE_ARN, IAM_EXPLICIT_DENY},
    {"deny elsewhere",
     "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
     "\"*\",\"Resource\":\"*\"},{\"Effect\":\"Deny\","
     "\"Action\":\"s3:*\",\"Resource\":\"*\"}]}",
     "dynamodb:GetItem", TABLE_ARN, IAM_ALLOW},
    {"action case-insensitive",
     "{\"Statement\":{\"Effect\":\"Allow\","
     "\"Action\":\"DynamoDB:getitem\","
     "\"Resource\":\"*\"}}",
     "dynamodb:GetItem", TABLE_ARN, IAM_ALLOW},
    {"action star suffix",
     "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
     "\"dynamodb:Get*\",\"Resource\":\"*\"}}",
     "dynamodb:GetItem", TABLE_ARN, IAM_ALLOW},
    {"action question mark",
     "{\"Statement\":{\"Effect\":\"Allow\","
     "\"Action\":\"dynamodb:?etItem\","
     "\"Resource\":\"*\"}}",
     "dynamodb:GetItem", TABLE_ARN, IAM_ALLOW},
    {"question mark one char",
     "{\"Statement\":{\"Effect\":\"Allow\","
     "\"Action\":\"dynamodb:?Item\","
     "\"Resource\":\"*\"}}",
     "dynamodb:GetItem", TABLE_ARN, IAM_IMPLICIT_DENY},
    {"resource case-sensitive",
     "{\"Statement\":{\"Effect\":\"Allow\","
     "\"Action\":\"*\",\"Resource\":"
     "\"arn:aws:dynamodb:us-east-1:123456789012:"
     "table/Cards\"}}",
     "dynamodb:GetItem", TABLE_ARN, IAM_IMPLICIT_DENY},
    {"resource wildcard",
     "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
     "\"*\",\"Resource\":\"arn:aws:dynamodb:*:*:"
     "table/card?\"}}",
     "dynamodb:GetItem", TABLE_ARN, IAM_ALLOW},
    {"table does not cover index",
     "{\"Statement\":{\"Effect\":\"Allow\","
     "\"Action\":\"dynamodb:Query\","
     "\"Resource\":\"" TABLE_ARN "\"}}",
     "dynamodb:Query", TABLE_ARN "/index/GSI1", IAM_IMPLICIT_DENY},
    {"resource list",
     "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
     "\"dynamodb:Query\",\"Resource\":[\"" TABLE_ARN "\",\"" TABLE_ARN
     "/index/*\"]}}",
     "dynamodb:Query", TABLE_ARN "/index/GSI1", IAM_ALLOW},
    {"not action allows others",
     "{\"Statement\":{\"Effect\":\"Allow\","
     "\"NotAction\":\"iam:*\","
     "\"Resource\":\"*\"}}",
     "dynamodb:GetItem", TABLE_ARN, IAM_ALLOW},
    {"not action excludes",
     "{\"Statement\":{\"Effect\":\"Allow\","
     "\"NotAction\":[\"iam:*\",\"dynamodb:*\"],"
     "\"Resource\":\"*\"}}",
     "dynamodb:GetItem", TABLE_ARN, IAM_IMPLICIT_DENY},
    {"deny not action",
     "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
     "\"*\",\"Resource\":\"*\"},{\"Effect\":\"Deny\","
     "\"NotAction\":\"dynamodb:GetItem\","
     "\"Resource\":\"*\"}]}",
     "dynamodb:PutItem", TABLE_ARN, IAM_EXPLICIT_DENY},
    {"not resource",
     "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\","
     "\"NotResource\":\"arn:aws:s3:::*\"}}",
     "dynamodb:GetItem", TABLE_ARN, IAM_ALLOW},
    {"not resource excludes",
     "{\"Statement\":{\"Effect\":\"Allow\","
     "\"Action\":\"*\",\"NotResource\":"
     "\"arn:aws:dynamodb:*\"}}",
     "dynamodb:GetItem", TABLE_ARN, IAM_IMPLICIT_DENY},
    {"no statement applies", "{\"Statement\":[]}", "dynamodb:GetItem",
     TABLE_ARN, IAM_IMPLICIT_DENY},
    {"unknown effect ignored",
     "{\"Statement\":{\"Effect\":\"allow\","
     "\"Action\":\"*\",\"Resource\":\"*\"}}",
     "dynamodb:GetItem", TABLE_ARN, IAM_IMPLICIT_DENY},
};

static void check_identity(const eval_case *c);

Test(iam_eval, identity)
{
    for (size_t i = 0; i < sizeof identity_cases / sizeof *identity_cases; i++)
        check_identity(&identity_cases[i]);
}

static void check_identity(const eval_case *c)
{
    cJSON *policy = cJSON_Parse(c->policy);
    cr_assert_not_null(policy, "%s: the test policy is not JSON", c->name);
    iam_eval_request req = {.action = c->action, .resource = c->resource};
    iam_decision d =
        iam_eval_policy(policy, IAM_POLICY_IDENTITY, &req, NULL, NULL);
    cr_expect_eq(d, c->expected, "%s: got %s, expected %s", c->name,
                 iam_decision_name(d), iam_decision_name(c->expected));
    cJSON_Delete(policy);
}

typedef struct condition_case {
    const char *name;
    const char *condition;
    const char *source_arn; /* NULL: the key is absent */
    const char *source_account;
    int applies;
} condition_case;

#define RULE_ARN "arn:aws:events:us-east-1:123456789012:rule/bus/r"
#define EXECUTION_ARN "arn:aws:states:us-east-1:123456789012:execution:m:e1"

static const condition_case condition_cases[] = {
    {"StringEquals match",
     "{\"StringEquals\":{\"aws:SourceAccount\":"
     "\"123456789012\"}}",
     RULE_ARN, "123456789012", 1},
    {"StringEquals other",
     "{\"StringEquals\":{\"aws:SourceAccount\":"
     "\"111111111111\"}}",
     RULE_ARN, "123456789012", 0},
    {"StringEquals any of list",
     "{\"StringEquals\":{\"aws:SourceAccount\":"
     "[\"1\",\"123456789012\"]}}",
     RULE_ARN, "123456789012", 1},
    {"key names ignore case",
     "{\"StringEquals\":{\"AWS:sourceaccount\":"
     "\"123456789012\"}}",
     RULE_ARN, "123456789012", 1},
    {"StringEquals missing key",
     "{\"StringEquals\":{\"aws:SourceArn\":"
     "\"" RULE_ARN "\"}}",
     NULL, "123456789012", 0},
    {"StringNotEquals match",
     "{\"StringNotEquals\":{\"aws:SourceAccount\":"
     "\"123456789012\"}}",
     RULE_ARN, "123456789012", 0},
    {"StringNotEquals missing key",
     "{\"StringNotEquals\":{\"aws:SourceArn\":"
     "\"x\"}}",
     NULL, "123456789012", 1},
    {"StringLike wildcard",
     "{\"StringLike\":{\"aws:SourceArn\":"
     "\"arn:aws:events:*:123456789012:rule/*\"}}",
     RULE_ARN, "123456789012", 1},
    {"StringNotLike wildcard",
     "{\"StringNotLike\":{\"aws:SourceArn\":"
     "\"arn:aws:events:*\"}}",
     RULE_ARN, "123456789012", 0},
    {"ArnEquals exact", "{\"ArnEquals\":{\"aws:SourceArn\":\"" RULE_ARN "\"}}",
     RULE_ARN, "123456789012", 1},
    {"ArnLike wildcard",
     "{\"ArnLike\":{\"aws:SourceArn\":"
     "\"arn:aws:events:us-east-1:*:rule/bus/*\"}}",
     RULE_ARN, "123456789012", 1},
    {"ArnLike other",
     "{\"ArnLike\":{\"aws:SourceArn\":"
     "\"arn:aws:events:us-east-1:*:rule/other/*\"}}",
     RULE_ARN, "123456789012", 0},
    {"ArnNotLike",
     "{\"ArnNotLike\":{\"aws:SourceArn\":"
     "\"arn:aws:events:us-east-1:*:rule/other/*\"}}",
     RULE_ARN, "123456789012", 1},
    {"IfExists missing key",
     "{\"ArnLikeIfExists\":{\"aws:SourceArn\":"
     "\"arn:aws:sns:*\"}}",
     NULL, "123456789012", 1},
    {"IfExists present key",
     "{\"ArnLikeIfExists\":{\"aws:SourceArn\":"
     "\"arn:aws:sns:*\"}}",
     RULE_ARN, "123456789012", 0},
    {"Null true when absent", "{\"Null\":{\"aws:SourceArn\":\"true\"}}", NULL,
     "123456789012", 1},
    {"Null false when present", "{\"Null\":{\"aws:SourceArn\":\"false\"}}",
     RULE_ARN, "123456789012", 1},
    {"two operators both hold",
     "{\"ArnLike\":{\"aws:SourceArn\":\"arn:*\"},"
     "\"StringEquals\":{\"aws:SourceAccount\":"
     "\"123456789012\"}}",
     RULE_ARN, "123456789012", 1},
    {"two operators one fails",
     "{\"ArnLike\":{\"aws:SourceArn\":\"arn:*\"},"
     "\"StringEquals\":{\"aws:SourceAccount\":"
     "\"1\"}}",
     RULE_ARN, "123456789012", 0},
    {"unsupported operator never holds",
     "{\"IpAddress\":{\"aws:SourceAccount\":\"1\"}}", RULE_ARN, "123456789012",
     0},
    {"ArnLike star stays in its field",
     "{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:states:*:execution:m:e1\"}}",
     EXECUTION_ARN, "123456789012", 0},
    {"ArnLike star in resource",
     "{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:events:*:*:rule/*\"}}",
     RULE_ARN, "123456789012", 1},
    {"StringLike star spans colons",
     "{\"StringLike\":{\"aws:SourceArn\":\"arn:aws:states:*:execution:m:e1\"}}",
     EXECUTION_ARN, "123456789012", 1},
    {"NumericEquals",
     "{\"NumericEquals\":{\"aws:SourceAccount\":\"123456789012\"}}", RULE_ARN,
     "123456789012", 1},
    {"NumericLessThan",
     "{\"NumericLessThan\":{\"aws:SourceAccount\":200000000000}}", RULE_ARN,
     "123456789012", 1},
    {"NumericGreaterThan",
     "{\"NumericGreaterThan\":{\"aws:SourceAccount\":\"200000000000\"}}",
     RULE_ARN, "123456789012", 0},
    {"NumericNotEquals",
     "{\"NumericNotEquals\":{\"aws:SourceAccount\":\"123456789012\"}}",
     RULE_ARN, "123456789012", 0},
};

/* Each condition in a queue policy for events.amazonaws.com. */
static void check_conditions(const condition_case *c);

Test(iam_eval, conditions)
{
    for (size_t i = 0; i < sizeof condition_cases / sizeof *condition_cases;
         i++)
        check_conditions(&condition_cases[i]);
}

static void check_conditions(const condition_case *c)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
             "\"events.amazonaws.com\"},\"Action\":\"sqs:SendMessage\","
             "\"Resource\":\"*\",\"Condition\":%s}}",
             c->condition);
    cJSON *policy = cJSON_Parse(text);
    cr_assert_not_null(policy, "%s: the test policy is not JSON", c->name);
    iam_context_key context[2];
    size_t n = 0;
    if (c->source_arn)
        context[n++] = (iam_context_key){"aws:SourceArn", c->source_arn};
    context[n++] = (iam_context_key){"aws:SourceAccount", c->source_account};
    iam_eval_request req = {
        .action = "sqs:SendMessage",
        .resource = "arn:aws:sqs:us-east-1:123456789012:dlq",
        .principal_service = "events.amazonaws.com",
        .context = context,
        .context_count = n,
    };
    iam_decision d =
        iam_eval_policy(policy, IAM_POLICY_RESOURCE, &req, NULL, NULL);
    cr_expect_eq(d == IAM_ALLOW, c->applies, "%s: got %s", c->name,
                 iam_decision_name(d));
    cJSON_Delete(policy);
}

Test(iam_eval, date_conditions)
{
    cJSON *policy = cJSON_Parse(
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":"
        "\"*\",\"Condition\":{\"DateLessThan\":{\"aws:CurrentTime\":"
        "\"2026-06-01T00:00:00Z\"},\"DateGreaterThanEquals\":{"
        "\"aws:EpochTime\":1767225600}}}}");
    cr_assert_not_null(policy);
    iam_context_key inside[] = {{"aws:CurrentTime", "2026-03-01T12:00:00Z"},
                                {"aws:EpochTime", "1767225600"}};
    iam_context_key late[] = {{"aws:CurrentTime", "2026-07-01T00:00:00Z"},
                              {"aws:EpochTime", "1782864000"}};
    iam_context_key early[] = {{"aws:CurrentTime", "2025-12-31T23:59:59Z"},
                               {"aws:EpochTime", "1767225599"}};
    iam_eval_request req = {.action = "s3:GetObject",
                            .resource = "*",
                            .context = inside,
                            .context_count = 2};
    cr_expect_eq(iam_eval_policy(policy, IAM_POLICY_IDENTITY, &req, NULL, NULL),
                 IAM_ALLOW, "inside the window");
    req.context = late;
    cr_expect_eq(iam_eval_policy(policy, IAM_POLICY_IDENTITY, &req, NULL, NULL),
                 IAM_IMPLICIT_DENY, "after the window");
    req.context = early;
    cr_expect_eq(iam_eval_policy(policy, IAM_POLICY_IDENTITY, &req, NULL, NULL),
                 IAM_IMPLICIT_DENY, "before the window");
    cJSON_Delete(policy);
}

Test(iam_eval, bool_condition)
{
    cJSON *policy = cJSON_Parse(
        "{\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":"
        "\"*\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":false}}}}");
    iam_context_key secure = {"aws:SecureTransport", "true"};
    iam_context_key plain = {"aws:SecureTransport", "false"};
    iam_eval_request req = {.action = "s3:GetObject",
                            .resource = "*",
                            .context = &secure,
                            .context_count = 1};
    cr_expect_eq(iam_eval_policy(policy, IAM_POLICY_IDENTITY, &req, NULL, NULL),
                 IAM_IMPLICIT_DENY);
    req.context = &plain;
    cr_expect_eq(iam_eval_policy(policy, IAM_POLICY_IDENTITY, &req, NULL, NULL),
                 IAM_EXPLICIT_DENY);
    cJSON_Delete(policy);
}

typedef struct principal_case {
    const char *name;
    const char *principal;
    const char *service;
    const char *arn;
    int applies;
} principal_case;

#define SESSION_ARN "arn:aws:sts::123456789012:assumed-role/worker/session-1"

static const principal_case principal_cases[] = {
    {"service matches", "{\"Service\":\"events.amazonaws.com\"}",
     "events.amazonaws.com", NULL, 1},
    {"service list",
     "{\"Service\":[\"states.amazonaws.com\","
     "\"events.amazonaws.com\"]}",
     "events.amazonaws.com", NULL, 1},
    {"other service", "{\"Service\":\"lambda.amazonaws.com\"}",
     "events.amazonaws.com", NULL, 0},
    {"star", "\"*\"", "events.amazonaws.com", NULL, 1},
    {"account id", "{\"AWS\":\"123456789012\"}", NULL, SESSION_ARN, 1},
    {"account root", "{\"AWS\":\"arn:aws:iam::123456789012:root\"}", NULL,
     SESSION_ARN, 1},
    {"other account", "{\"AWS\":\"arn:aws:iam::111111111111:root\"}", NULL,
     SESSION_ARN, 0},
    {"role names its sessions",
     "{\"AWS\":\"arn:aws:iam::123456789012:role/"
     "worker\"}",
     NULL, SESSION_ARN, 1},
    {"role with path",
     "{\"AWS\":\"arn:aws:iam::123456789012:role/app/"
     "worker\"}",
     NULL, SESSION_ARN, 1},
    {"other role", "{\"AWS\":\"arn:aws:iam::123456789012:role/work\"}", NULL,
     SESSION_ARN, 0},
    {"AWS principal is not a service", "{\"AWS\":\"*\"}",
     "events.amazonaws.com", NULL, 0},
};

/* NotPrincipal: a Deny for everyone but the named principal. */
Test(iam_eval, not_principal)
{
    cJSON *policy = cJSON_Parse(
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
        "\"Action\":\"sqs:*\",\"Resource\":\"*\"},{\"Effect\":\"Deny\","
        "\"NotPrincipal\":{\"Service\":\"events.amazonaws.com\"},"
        "\"Action\":\"sqs:SendMessage\",\"Resource\":\"*\"}]}");
    cr_assert_not_null(policy);
    iam_eval_request req = {.action = "sqs:SendMessage",
                            .resource = "*",
                            .principal_service = "events.amazonaws.com"};
    cr_expect_eq(iam_eval_policy(policy, IAM_POLICY_RESOURCE, &req, NULL, NULL),
                 IAM_ALLOW, "the named service is exempt from the deny");
    req.principal_service = "sns.amazonaws.com";
    cr_expect_eq(iam_eval_policy(policy, IAM_POLICY_RESOURCE, &req, NULL, NULL),
                 IAM_EXPLICIT_DENY, "any other service is denied");
    cJSON_Delete(policy);
}

static void check_principals(const principal_case *c);

Test(iam_eval, principals)
{
    for (size_t i = 0; i < sizeof principal_cases / sizeof *principal_cases;
         i++)
        check_principals(&principal_cases[i]);
}

static void check_principals(const principal_case *c)
{
    char text[512];
    snprintf(text, sizeof text,
             "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":%s,"
             "\"Action\":\"sts:AssumeRole\"}}",
             c->principal);
    cJSON *policy = cJSON_Parse(text);
    cr_assert_not_null(policy, "%s: the test policy is not JSON", c->name);
    iam_eval_request req = {
        .action = "sts:AssumeRole",
        .resource = "arn:aws:iam::123456789012:role/r",
        .principal_service = c->service,
        .principal_arn = c->arn,
    };
    iam_decision d =
        iam_eval_policy(policy, IAM_POLICY_TRUST, &req, NULL, NULL);
    cr_expect_eq(d == IAM_ALLOW, c->applies, "%s: got %s", c->name,
                 iam_decision_name(d));
    cJSON_Delete(policy);
}

typedef struct parse_case {
    const char *name;
    iam_policy_kind kind;
    const char *text;
    const char *message; /* NULL: valid */
} parse_case;

static const parse_case parse_cases[] = {
    {"valid identity", IAM_POLICY_IDENTITY,
     "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
     "\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}",
     NULL},
    {"not json", IAM_POLICY_IDENTITY,
     "{\"Statement\":", "This policy contains invalid Json"},
    {"bad version", IAM_POLICY_IDENTITY,
     "{\"Version\":\"2020-01-01\",\"Statement\":{\"Effect\":\"Allow\","
     "\"Action\":\"*\",\"Resource\":\"*\"}}",
     "The policy failed legacy parsing"},
    {"no resource", IAM_POLICY_IDENTITY,
     "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\"}}",
     "Policy statement must contain resources."},
    {"principal in identity", IAM_POLICY_IDENTITY,
     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":"
     "\"s3:*\",\"Resource\":\"*\"}}",
     "Policy document should not specify a principal."},
    {"no action", IAM_POLICY_IDENTITY,
     "{\"Statement\":{\"Effect\":\"Allow\",\"Resource\":\"*\"}}",
     "Policy statement must contain actions."},
    {"action without vendor", IAM_POLICY_IDENTITY,
     "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"GetObject\","
     "\"Resource\":\"*\"}}",
     "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, "
     "etc."},
    {"bad effect", IAM_POLICY_IDENTITY,
     "{\"Statement\":{\"Effect\":\"Maybe\",\"Action\":\"s3:*\","
     "\"Resource\":\"*\"}}",
     "Syntax errors in policy."},
    {"unknown member", IAM_POLICY_IDENTITY,
     "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\","
     "\"Resource\":\"*\",\"Extra\":1}}",
     "Syntax errors in policy."},
    {"trust with resource", IAM_POLICY_TRUST,
     "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":"
     "\"sts:AssumeRole\",\"Resource\":\"*\"}}",
     "Has prohibited field Resource"},
    {"trust without principal", IAM_POLICY_TRUST,
     "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\"}}",
     "Missing required field Principal"},
};

static void check_parse(const parse_case *c);

Test(iam_eval, parse)
{
    for (size_t i = 0; i < sizeof parse_cases / sizeof *parse_cases; i++)
        check_parse(&parse_cases[i]);
}

static void check_parse(const parse_case *c)
{
    char message[256] = "";
    cJSON *policy = iam_policy_parse(c->text, c->kind, message, sizeof message);
    if (!c->message) {
        cr_expect_not_null(policy, "%s: rejected with \"%s\"", c->name,
                           message);
    } else {
        cr_expect_null(policy, "%s: accepted", c->name);
        cr_expect_str_eq(message, c->message, "%s", c->name);
    }
    cJSON_Delete(policy);
}

/* Collects the statements that applied. */
static void record_match(void *arg, size_t index, int allows)
{
    int *seen = arg;
    seen[index] = allows ? 1 : -1;
}

Test(iam_eval, matched_statements)
{
    cJSON *policy = cJSON_Parse(
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\","
        "\"Resource\":\"*\"},{\"Effect\":\"Allow\",\"Action\":\"dynamodb:*\","
        "\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Action\":"
        "\"dynamodb:Delete*\",\"Resource\":\"*\"}]}");
    int seen[3] = {0, 0, 0};
    iam_eval_request req = {.action = "dynamodb:DeleteItem", .resource = "*"};
    iam_decision d =
        iam_eval_policy(policy, IAM_POLICY_IDENTITY, &req, record_match, seen);
    cr_expect_eq(d, IAM_EXPLICIT_DENY);
    cr_expect_eq(seen[0], 0, "the s3 statement does not apply");
    cr_expect_eq(seen[1], 1, "the dynamodb statement allows");
    cr_expect_eq(seen[2], -1, "the delete statement denies");
    cJSON_Delete(policy);
}

Test(iam_eval, wildcard_edge_cases)
{
    cr_expect(iam_wildcard_match("*", "", 0));
    cr_expect(iam_wildcard_match("a*b*c", "axxbyyc", 0));
    cr_expect_not(iam_wildcard_match("a*b*c", "axxbyy", 0));
    cr_expect(iam_wildcard_match("**", "anything", 0));
    cr_expect_not(iam_wildcard_match("?", "", 0));
    cr_expect_not(iam_wildcard_match("abc", "ABC", 0));
    cr_expect(iam_wildcard_match("abc", "ABC", 1));
}
