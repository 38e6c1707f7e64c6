/*
 * iam_cred.c: temporary credentials Stratus issues for role sessions, and
 * the authorization calls built on them: requests signed with an issued
 * key, service roles (a role a customer passed to a service) and
 * resource-based policies.
 *
 * Issued keys are stored in SQLite, so AssumeRole credentials survive a
 * restart. A key Stratus did not issue acts as the account's
 * administrator and is never checked.
 */
#include "iam_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "aws_query.h"
#include "clock.h"
#include "http.h"
#include "log.h"
#include "store.h"
#include "util.h"

int iam_role_arn_parse(const char *arn, char account[13], char *name,
                       size_t name_size)
{
    static const char prefix[] = "arn:aws:iam::";
    if (!arn || strncmp(arn, prefix, sizeof prefix - 1) != 0)
        return 0;
    const char *p = arn + sizeof prefix - 1;
    for (int i = 0; i < 12; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    if (strncmp(p + 12, ":role/", 6) != 0)
        return 0;
    const char *last = strrchr(p + 18, '/');
    const char *role = last ? last + 1 : p + 18;
    if (!*role || strlen(role) >= name_size)
        return 0;
    memcpy(account, p, 12);
    account[12] = '\0';
    snprintf(name, name_size, "%s", role);
    return 1;
}

/* Random text from the base64 alphabet, as AWS secrets and tokens look. */
static void iam_random_text(char *out, size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char bytes[256];
    if (len > sizeof bytes)
        len = sizeof bytes;
    if (getrandom(bytes, len, 0) != (ssize_t)len)
        for (size_t i = 0; i < len; i++)
            bytes[i] = (unsigned char)rand();
    for (size_t i = 0; i < len; i++)
        out[i] = alphabet[bytes[i] % 64];
    out[len] = '\0';
}

static void iam_principal_arn(const char *account, const char *role_arn,
                              const char *session, char *out, size_t size)
{
    const char *slash = strrchr(role_arn, '/');
    snprintf(out, size, "arn:aws:sts::%s:assumed-role/%s/%s", account,
             slash ? slash + 1 : role_arn, session);
}

int iam_credentials_issue(stratus *srv, const char *account,
                          const char *role_arn, const char *session_name,
                          int64_t duration_s, iam_credentials *out,
                          aws_error *err)
{
    char role_name[128], role_account[13];
    memset(out, 0, sizeof *out);
    if (!iam_role_arn_parse(role_arn, role_account, role_name,
                            sizeof role_name))
        return aws_fail(err, AWS_ERR_IAM_VALIDATION_ERROR,
                        "%s is not a valid role ARN", role_arn);

    snprintf(out->access_key, sizeof out->access_key, "ASIA");
    iam__random_id(out->access_key + 4, 16);
    iam_random_text(out->secret_key, 40);
    snprintf(out->session_token, sizeof out->session_token, "%s",
             "IQoJb3JpZ2luX2VjE");
    iam_random_text(out->session_token + 17, 120);
    snprintf(out->account, sizeof out->account, "%s",
             account ? account : role_account);
    snprintf(out->role_arn, sizeof out->role_arn, "%s", role_arn);
    snprintf(out->session_name, sizeof out->session_name, "%s", session_name);
    iam_principal_arn(out->account, role_arn, session_name, out->principal_arn,
                      sizeof out->principal_arn);
    iam_role *role = iam__role_load(srv, role_account, role_name, NULL);
    snprintf(out->role_id, sizeof out->role_id, "%s",
             role ? role->role_id : "AROAUNKNOWNROLE000000");
    if (!role && iam_enforced(srv))
        log_warn("iam",
                 "role %s does not exist, so every request of session %s "
                 "will be denied; create the role (AWS::IAM::Role in the "
                 "stack) or run with --iam off",
                 role_arn, session_name);
    iam__role_free(role);
    out->expires_ms =
        duration_s > 0 ? clock_now_ms(&srv->clock) + duration_s * 1000 : 0;

    if (store_call_begin(srv->store) != SQLITE_OK)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR,
                        "cannot open a store call to issue credentials");
    sqlite3_stmt *s = store_stmt(
        srv->store,
        "INSERT INTO iam_credential (access_key, secret_key, session_token,"
        " account, role_arn, role_id, session_name, expires_ms)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    sqlite3_bind_text(s, 1, out->access_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, out->secret_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, out->session_token, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, out->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, out->role_arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, out->role_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, out->session_name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 8, out->expires_ms);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    store_call_end(srv->store, rc == SQLITE_DONE);
    if (rc != SQLITE_DONE)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR,
                        "cannot store issued credentials: %s",
                        sqlite3_errmsg(store_db(srv->store)));
    log_debug("iam", "issued %s for %s", out->access_key, out->principal_arn);
    return 0;
}

int iam_credentials_for_session(stratus *srv, const char *account,
                                const char *role_arn, const char *session_name,
                                iam_credentials *out, aws_error *err)
{
    sqlite3_stmt *s = store_stmt(
        srv->store, "SELECT access_key FROM iam_credential WHERE account = ?1"
                    " AND role_arn = ?2 AND session_name = ?3"
                    " AND expires_ms = 0");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, role_arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, session_name, -1, SQLITE_STATIC);
    char key[24] = "";
    if (sqlite3_step(s) == SQLITE_ROW)
        snprintf(key, sizeof key, "%s",
                 (const char *)sqlite3_column_text(s, 0));
    sqlite3_reset(s);
    if (key[0] && iam_credentials_find(srv, key, out))
        return 0;
    return iam_credentials_issue(srv, account, role_arn, session_name, 0, out,
                                 err);
}

int iam_credentials_find(stratus *srv, const char *access_key,
                         iam_credentials *out)
{
    /* Only "ASIA..." keys can be issued ones, which spares every other
     * request a lookup. */
    if (!access_key || strncmp(access_key, "ASIA", 4) != 0)
        return 0;
    sqlite3_stmt *s = store_stmt(
        srv->store, "SELECT secret_key, session_token, account, role_arn,"
                    " role_id, session_name, expires_ms FROM iam_credential"
                    " WHERE access_key = ?1");
    sqlite3_bind_text(s, 1, access_key, -1, SQLITE_STATIC);
    int found = sqlite3_step(s) == SQLITE_ROW;
    if (found) {
        memset(out, 0, sizeof *out);
        snprintf(out->access_key, sizeof out->access_key, "%s", access_key);
        snprintf(out->secret_key, sizeof out->secret_key, "%s",
                 (const char *)sqlite3_column_text(s, 0));
        snprintf(out->session_token, sizeof out->session_token, "%s",
                 (const char *)sqlite3_column_text(s, 1));
        snprintf(out->account, sizeof out->account, "%s",
                 (const char *)sqlite3_column_text(s, 2));
        snprintf(out->role_arn, sizeof out->role_arn, "%s",
                 (const char *)sqlite3_column_text(s, 3));
        snprintf(out->role_id, sizeof out->role_id, "%s",
                 (const char *)sqlite3_column_text(s, 4));
        snprintf(out->session_name, sizeof out->session_name, "%s",
                 (const char *)sqlite3_column_text(s, 5));
        out->expires_ms = sqlite3_column_int64(s, 6);
        iam_principal_arn(out->account, out->role_arn, out->session_name,
                          out->principal_arn, sizeof out->principal_arn);
    }
    sqlite3_reset(s);
    return found;
}

/* Evaluate a role's identity-based policies; fills AWS's reason clause
 * when denied. A role that does not exist has no policies. */
static int iam_role_allows(stratus *srv, const char *role_arn,
                           const char *action, const char *resource,
                           char *reason, size_t reason_size)
{
    char account[13], name[128];
    iam_role *role = iam_role_arn_parse(role_arn, account, name, sizeof name)
                         ? iam__role_load(srv, account, name, NULL)
                         : NULL;
    iam_decision decision = IAM_IMPLICIT_DENY;
    if (role) {
        char now_iso[32], now_epoch[24];
        int64_t now_ms = clock_now_ms(&srv->clock);
        clock_format_iso(now_ms, now_iso);
        snprintf(now_iso + 19, sizeof now_iso - 19, "Z");
        snprintf(now_epoch, sizeof now_epoch, "%lld",
                 (long long)(now_ms / 1000));
        iam_context_key context[] = {
            {"aws:PrincipalArn", role->arn},
            {"aws:PrincipalAccount", role->account},
            {"aws:PrincipalType", "AssumedRole"},
            {"aws:CurrentTime", now_iso},
            {"aws:EpochTime", now_epoch},
            /* Clients reach AWS over TLS; Stratus serves plain HTTP on
             * loopback but evaluates as AWS would. */
            {"aws:SecureTransport", "true"},
        };
        iam_eval_request er = {
            .action = action,
            .resource = resource,
            .principal_arn = role->arn,
            .principal_account = role->account,
            .context = context,
            .context_count = sizeof context / sizeof *context,
        };
        decision = iam__role_evaluate(srv, role, &er, NULL);
        iam__role_free(role);
    }
    if (decision == IAM_ALLOW)
        return 1;
    if (decision == IAM_EXPLICIT_DENY)
        snprintf(reason, reason_size, "%s",
                 "with an explicit deny in an identity-based policy");
    else
        snprintf(reason, reason_size,
                 "because no identity-based policy allows the %s action",
                 action);
    return 0;
}

int iam_authorize(stratus *srv, const char *account, const char *role_arn,
                  const char *action, const char *resource, char *reason,
                  size_t reason_size)
{
    (void)account;
    if (!iam_enforced(srv))
        return 1;
    return iam_role_allows(srv, role_arn, action, resource, reason,
                           reason_size);
}

int iam_service_role_allows(stratus *srv, const char *account,
                            const char *role_arn, const char *service_principal,
                            const char *source_arn, const char *action,
                            const char *resource, char *reason,
                            size_t reason_size)
{
    if (!iam_enforced(srv))
        return 1;

    char role_account[13], name[128];
    iam_role *role =
        iam_role_arn_parse(role_arn, role_account, name, sizeof name)
            ? iam__role_load(srv, role_account, name, NULL)
            : NULL;
    cJSON *trust = role ? cJSON_Parse(role->trust_policy) : NULL;
    iam_context_key context[] = {
        {"aws:SourceAccount", account},
        {"aws:SourceArn", source_arn},
    };
    iam_eval_request er = {
        .action = "sts:AssumeRole",
        .resource = role_arn,
        .principal_service = service_principal,
        .context = context,
        .context_count = source_arn ? 2 : 1,
    };
    int trusted = trust && iam_eval_policy(trust, IAM_POLICY_TRUST, &er, NULL,
                                           NULL) == IAM_ALLOW;
    cJSON_Delete(trust);
    iam__role_free(role);
    if (!trusted) {
        /* NOTE: AWS's wording for a service that cannot assume the role
         * differs per service and was not recorded; this names the role
         * and the principal. */
        snprintf(reason, reason_size,
                 "%s is not authorized to perform: sts:AssumeRole on "
                 "resource: %s",
                 service_principal, role_arn);
        return 0;
    }

    char why[256], session[33], principal[400];
    if (iam_role_allows(srv, role_arn, action, resource, why, sizeof why))
        return 1;
    /* The service's session of the role has a random name. */
    iam_random_text(session, 32);
    for (char *c = session; *c; c++)
        if (*c == '+' || *c == '/')
            *c = 'x';
    iam_principal_arn(account, role_arn, session, principal, sizeof principal);
    snprintf(reason, reason_size,
             "User: %s is not authorized to perform: %s on resource: %s %s",
             principal, action, resource, why);
    return 0;
}

int iam_trust_allows_principal(stratus *srv, const char *role_arn,
                               const char *principal_arn,
                               const char *principal_account,
                               long *max_session_s)
{
    char account[13], name[128];
    iam_role *role = iam_role_arn_parse(role_arn, account, name, sizeof name)
                         ? iam__role_load(srv, account, name, NULL)
                         : NULL;
    *max_session_s = role ? role->max_session_s : 3600;
    if (!iam_enforced(srv)) {
        iam__role_free(role);
        return 1;
    }
    cJSON *trust = role ? cJSON_Parse(role->trust_policy) : NULL;
    iam_context_key context[] = {
        {"aws:PrincipalArn", principal_arn},
        {"aws:PrincipalAccount", principal_account},
    };
    iam_eval_request er = {
        .action = "sts:AssumeRole",
        .resource = role_arn,
        .principal_arn = principal_arn,
        .principal_account = principal_account,
        .context = context,
        .context_count = sizeof context / sizeof *context,
    };
    int trusted = trust && iam_eval_policy(trust, IAM_POLICY_TRUST, &er, NULL,
                                           NULL) == IAM_ALLOW;
    cJSON_Delete(trust);
    iam__role_free(role);
    return trusted;
}

int iam_resource_policy_allows(stratus *srv, const char *policy,
                               const char *service_principal,
                               const char *action, const char *resource,
                               const char *source_arn,
                               const char *source_account)
{
    if (!iam_enforced(srv))
        return 1;
    cJSON *parsed = policy && policy[0] ? cJSON_Parse(policy) : NULL;
    if (!parsed)
        return 0;
    iam_context_key context[2];
    size_t n = 0;
    if (source_arn)
        context[n++] = (iam_context_key){"aws:SourceArn", source_arn};
    if (source_account)
        context[n++] = (iam_context_key){"aws:SourceAccount", source_account};
    iam_eval_request er = {
        .action = action,
        .resource = resource,
        .principal_service = service_principal,
        .context = context,
        .context_count = n,
    };
    iam_decision d =
        iam_eval_policy(parsed, IAM_POLICY_RESOURCE, &er, NULL, NULL);
    cJSON_Delete(parsed);
    return d == IAM_ALLOW;
}

/* Whether the request uses the Query protocol. */
static int iam_is_query(const aws_request *req)
{
    const aws_service *svc = req->service;
    return svc->protocol == AWS_PROTO_QUERY ||
           (svc->query && req->http && aws_query_is_request(req->http));
}

/*
 * Fill the AccessDenied error of the request's protocol. Query and
 * REST-XML services return AccessDenied (403). A JSON service that also
 * speaks Query (SQS) keeps that code and adds the x-amzn-query-error
 * header its SDKs read. Other JSON services return AccessDeniedException,
 * with 403 in REST-JSON and 400 in JSON 1.0 and 1.1.
 */
static void iam_access_denied(aws_request *req, const char *message,
                              aws_error *err)
{
    const aws_service *svc = req->service;
    if (iam_is_query(req) || svc->protocol == AWS_PROTO_REST_XML) {
        aws_fail(err, AWS_ERR_ACCESS_DENIED_QUERY, "%s", message);
    } else if (svc->query) {
        aws_fail(err, AWS_ERR_ACCESS_DENIED_QUERY, "%s", message);
        if (req->out)
            http_response_header(req->out, "x-amzn-query-error",
                                 "AccessDenied;Sender");
    } else {
        aws_fail(err, AWS_ERR_ACCESS_DENIED, "%s", message);
        if (svc->protocol == AWS_PROTO_REST_JSON)
            err->status = 403;
    }
}

/* Check one (action, resource) pair for the session `cred`; fills the
 * request's AccessDenied error and returns -1 when denied. */
static int iam_session_check(aws_request *req, const iam_credentials *cred,
                             const char *action_in, const char *arn,
                             aws_error *err)
{
    char action[160], reason[256];
    snprintf(action, sizeof action, "%s", action_in);
    if (iam_role_allows(req->srv, cred->role_arn, action, arn, reason,
                        sizeof reason))
        return 0;
    /* SQS writes the action in lower case in its messages
     * ("sqs:sendmessage"), also inside the reason. */
    if (strcmp(req->service->signing_name, "sqs") == 0) {
        for (char *c = action; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        if (strncmp(reason, "because", 7) == 0)
            snprintf(reason, sizeof reason,
                     "because no identity-based policy allows the %s action",
                     action);
    }
    char message[1024];
    snprintf(message, sizeof message,
             "User: %s is not authorized to perform: %s on resource: %s %s",
             cred->principal_arn, action, arn, reason);
    log_info("iam", "denied %s: %s on %s", cred->principal_arn, action, arn);
    iam_access_denied(req, message, err);
    return -1;
}

/* The issued credentials of a request that must be checked: returns 1 and
 * fills `cred`, 0 when nothing is to check, -1 with ExpiredToken. */
static int iam_request_session(aws_request *req, iam_credentials *cred,
                               aws_error *err)
{
    stratus *srv = req->srv;
    if (!iam_credentials_find(srv, req->access_key, cred))
        return 0;
    if (cred->expires_ms && clock_now_ms(&srv->clock) >= cred->expires_ms)
        return aws_fail(err,
                        iam_is_query(req) ? AWS_ERR_EXPIRED_TOKEN_QUERY
                                          : AWS_ERR_EXPIRED_TOKEN,
                        NULL);
    return iam_enforced(srv) ? 1 : 0;
}

int iam_request_check(aws_request *req, const char *action,
                      const char *resource, aws_error *err)
{
    iam_credentials cred;
    int rc = iam_request_session(req, &cred, err);
    if (rc <= 0)
        return rc;
    return iam_session_check(req, &cred, action, resource, err);
}

int iam_request_authorize(aws_request *req, aws_error *err)
{
    iam_credentials cred;
    int rc = iam_request_session(req, &cred, err);
    if (rc <= 0)
        return rc;
    /* GetCallerIdentity needs no permission, as in AWS. */
    if (strcmp(req->service->signing_name, "sts") == 0 &&
        strcmp(req->operation, "GetCallerIdentity") == 0)
        return 0;

    /* A service that cannot name the resources of its requests is not
     * checked: judging its requests against "*" would deny what a policy
     * grants on specific ARNs. */
    if (!req->service->resource_arn) {
        log_debug("iam", "%s %s is not checked: %s names no resources",
                  cred.principal_arn, req->operation, req->service->name);
        return 0;
    }

    /* A bounded number of pairs: batch operations name one per table. */
    for (size_t index = 0; index < 256; index++) {
        char action[160], arn[1024] = "*";
        snprintf(action, sizeof action, "%s:%s", req->service->signing_name,
                 req->operation);
        if (!req->service->resource_arn(req, index, action, sizeof action, arn,
                                        sizeof arn))
            break;
        if (iam_session_check(req, &cred, action, arn, err) != 0)
            return -1;
    }
    return 0;
}
