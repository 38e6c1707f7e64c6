/*
 * test_iam_api.c: the IAM operations over the Query protocol through the
 * dispatcher: roles, inline and managed policies, AWS's error codes,
 * statuses and messages, the XML shapes clients parse, and
 * SimulatePrincipalPolicy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include <unistd.h>

#include "iam_test.h"
#include "stack.h"

/* {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":
 * {"Service":"events.amazonaws.com"},"Action":"sts:AssumeRole"}]},
 * form-encoded. */
#define TRUST_EVENTS                                                           \
    "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect"  \
    "%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22events."      \
    "amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D"

/* {"Statement":{"Effect":"Allow","Action":"states:StartExecution",
 * "Resource":"arn:aws:states:us-east-1:123456789012:stateMachine:m"}} */
#define POLICY_START                                                           \
    "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A"     \
    "%22states%3AStartExecution%22%2C%22Resource%22%3A%22arn%3Aaws%3Astates"   \
    "%3Aus-east-1%3A123456789012%3AstateMachine%3Am%22%7D%7D"

static void create_role(stratus *srv, const char *name)
{
    char form[1024];
    snprintf(form, sizeof form,
             "Action=CreateRole&Version=2010-05-08&RoleName=%s"
             "&AssumeRolePolicyDocument=%s",
             name, TRUST_EVENTS);
    iam_test_ok(iam_test_iam(srv, form), "CreateRole");
}

Test(iam_api, create_and_get_role)
{
    stratus *srv = ts_new();
    iam_test_response r = iam_test_iam(
        srv, "Action=CreateRole&Version=2010-05-08&RoleName=sfn-role"
             "&Path=%2Fservice%2F&Description=starts+executions"
             "&Tags.member.1.Key=team&Tags.member.1.Value=cards"
             "&AssumeRolePolicyDocument=" TRUST_EVENTS);
    cr_assert_eq(r.status, 200, "%s", r.body);
    char text[256];
    cr_expect(strstr(r.body, "<CreateRoleResponse xmlns=\"https://"
                             "iam.amazonaws.com/doc/2010-05-08/\">") != NULL,
              "%s", r.body);
    cr_expect_str_eq(iam_test_element(r.body, "Arn", text, sizeof text),
                     "arn:aws:iam::123456789012:role/service/sfn-role");
    iam_test_element(r.body, "RoleId", text, sizeof text);
    cr_expect_eq(strlen(text), 21, "RoleId %s", text);
    cr_expect_eq(strncmp(text, "AROA", 4), 0, "RoleId %s", text);
    cr_expect(strstr(r.body, "<Tags><member><Key>team</Key><Value>cards"
                             "</Value></member></Tags>") != NULL,
              "%s", r.body);
    free(r.body);

    r = iam_test_iam(srv, "Action=GetRole&RoleName=sfn-role");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(iam_test_element(r.body, "Path", text, sizeof text),
                     "/service/");
    cr_expect_str_eq(iam_test_element(r.body, "Description", text, sizeof text),
                     "starts executions");
    cr_expect_str_eq(
        iam_test_element(r.body, "MaxSessionDuration", text, sizeof text),
        "3600");
    /* The trust policy comes back URL-encoded, as IAM sends it. */
    iam_test_element(r.body, "AssumeRolePolicyDocument", text, sizeof text);
    cr_expect_eq(strncmp(text, "%7B%22Version%22", 16), 0, "%s", text);
    iam_test_element(r.body, "CreateDate", text, sizeof text);
    cr_expect_eq(strlen(text), 20, "CreateDate %s", text);
    free(r.body);
    ts_free(srv);
}

Test(iam_api, role_errors)
{
    stratus *srv = ts_new();
    create_role(srv, "r1");
    char text[256];

    iam_test_response r = iam_test_iam(srv, "Action=GetRole&RoleName=nope");
    cr_expect_eq(r.status, 404);
    cr_expect_str_eq(iam_test_element(r.body, "Code", text, sizeof text),
                     "NoSuchEntity");
    cr_expect_str_eq(iam_test_element(r.body, "Message", text, sizeof text),
                     "The role with name nope cannot be found.");
    free(r.body);

    r = iam_test_iam(srv, "Action=CreateRole&RoleName=R1"
                          "&AssumeRolePolicyDocument=" TRUST_EVENTS);
    cr_expect_eq(r.status, 409, "names are unique regardless of case");
    cr_expect_str_eq(iam_test_element(r.body, "Code", text, sizeof text),
                     "EntityAlreadyExists");
    cr_expect_str_eq(iam_test_element(r.body, "Message", text, sizeof text),
                     "Role with name R1 already exists.");
    free(r.body);

    r = iam_test_iam(srv, "Action=CreateRole&RoleName=bad"
                          "&AssumeRolePolicyDocument=%7Bnot+json");
    cr_expect_eq(r.status, 400);
    cr_expect_str_eq(iam_test_element(r.body, "Code", text, sizeof text),
                     "MalformedPolicyDocument");
    free(r.body);

    r = iam_test_iam(srv, "Action=CreateRole&RoleName=bad%2Fname"
                          "&AssumeRolePolicyDocument=" TRUST_EVENTS);
    cr_expect_eq(r.status, 400);
    cr_expect_str_eq(iam_test_element(r.body, "Code", text, sizeof text),
                     "ValidationError");
    free(r.body);

    r = iam_test_iam(srv, "Action=CreateRole&RoleName=nodoc");
    cr_expect_eq(r.status, 400);
    cr_expect_str_eq(iam_test_element(r.body, "Code", text, sizeof text),
                     "ValidationError");
    free(r.body);

    r = iam_test_iam(srv, "Action=CreateUser&UserName=u");
    cr_expect_eq(r.status, 400);
    cr_expect_str_eq(iam_test_element(r.body, "Code", text, sizeof text),
                     "NotImplementedException");
    free(r.body);
    ts_free(srv);
}

Test(iam_api, inline_policies)
{
    stratus *srv = ts_new();
    create_role(srv, "r1");
    char text[512];
    iam_test_ok(iam_test_iam(srv,
                             "Action=PutRolePolicy&RoleName=r1"
                             "&PolicyName=start&PolicyDocument=" POLICY_START),
                "PutRolePolicy");

    iam_test_response r =
        iam_test_iam(srv, "Action=GetRolePolicy&RoleName=r1&PolicyName=start");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(
        iam_test_element(r.body, "PolicyDocument", text, sizeof text),
        POLICY_START);
    cr_expect_str_eq(iam_test_element(r.body, "PolicyName", text, sizeof text),
                     "start");
    free(r.body);

    r = iam_test_iam(srv, "Action=ListRolePolicies&RoleName=r1");
    cr_expect(strstr(r.body, "<PolicyNames><member>start</member>"
                             "</PolicyNames>") != NULL,
              "%s", r.body);
    free(r.body);

    r = iam_test_iam(srv, "Action=DeleteRole&RoleName=r1");
    cr_expect_eq(r.status, 409);
    cr_expect_str_eq(iam_test_element(r.body, "Code", text, sizeof text),
                     "DeleteConflict");
    cr_expect_str_eq(iam_test_element(r.body, "Message", text, sizeof text),
                     "Cannot delete entity, must delete policies first.");
    free(r.body);

    r = iam_test_iam(srv, "Action=GetRolePolicy&RoleName=r1&PolicyName=x");
    cr_expect_eq(r.status, 404);
    cr_expect_str_eq(iam_test_element(r.body, "Message", text, sizeof text),
                     "The role policy with name x cannot be found.");
    free(r.body);

    /* A policy naming a principal is not an identity-based policy. */
    r = iam_test_iam(
        srv, "Action=PutRolePolicy&RoleName=r1&PolicyName=p&PolicyDocument="
             "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22"
             "Principal%22%3A%22*%22%2C%22Action%22%3A%22s3%3A*%22%2C%22"
             "Resource%22%3A%22*%22%7D%7D");
    cr_expect_eq(r.status, 400);
    cr_expect_str_eq(iam_test_element(r.body, "Message", text, sizeof text),
                     "Policy document should not specify a principal.");
    free(r.body);

    iam_test_ok(iam_test_iam(srv, "Action=DeleteRolePolicy&RoleName=r1"
                                  "&PolicyName=start"),
                "DeleteRolePolicy");
    iam_test_ok(iam_test_iam(srv, "Action=DeleteRole&RoleName=r1"),
                "DeleteRole");
    r = iam_test_iam(srv, "Action=GetRole&RoleName=r1");
    cr_expect_eq(r.status, 404);
    free(r.body);
    ts_free(srv);
}

Test(iam_api, managed_policies)
{
    stratus *srv = ts_new();
    create_role(srv, "fn");
    char text[1024];
    const char *basic = "arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2Fservice-role%2F"
                        "AWSLambdaBasicExecutionRole";

    char form[512];
    snprintf(form, sizeof form,
             "Action=AttachRolePolicy&RoleName=fn&PolicyArn=%s", basic);
    iam_test_ok(iam_test_iam(srv, form), "AttachRolePolicy");

    iam_test_response r =
        iam_test_iam(srv, "Action=ListAttachedRolePolicies&RoleName=fn");
    cr_expect(strstr(r.body,
                     "<AttachedPolicies><member><PolicyName>"
                     "AWSLambdaBasicExecutionRole</PolicyName>") != NULL,
              "%s", r.body);
    free(r.body);

    snprintf(form, sizeof form, "Action=GetPolicy&PolicyArn=%s", basic);
    r = iam_test_iam(srv, form);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(
        iam_test_element(r.body, "DefaultVersionId", text, sizeof text), "v1");
    cr_expect_str_eq(
        iam_test_element(r.body, "AttachmentCount", text, sizeof text), "1");
    free(r.body);

    snprintf(form, sizeof form,
             "Action=GetPolicyVersion&PolicyArn=%s&VersionId=v1", basic);
    r = iam_test_iam(srv, form);
    cr_assert_eq(r.status, 200, "%s", r.body);
    iam_test_element(r.body, "Document", text, sizeof text);
    cr_expect(strstr(text, "logs%3APutLogEvents") != NULL, "%s", text);
    free(r.body);

    r = iam_test_iam(srv, "Action=ListPolicies&Scope=AWS&OnlyAttached=true");
    cr_expect(strstr(r.body, "AWSLambdaBasicExecutionRole") != NULL, "%s",
              r.body);
    cr_expect(strstr(r.body, "AWSLambdaVPCAccessExecutionRole") == NULL, "%s",
              r.body);
    free(r.body);

    r = iam_test_iam(srv, "Action=AttachRolePolicy&RoleName=fn&PolicyArn="
                          "arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FNoSuchPolicy");
    cr_expect_eq(r.status, 404);
    cr_expect_str_eq(iam_test_element(r.body, "Message", text, sizeof text),
                     "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not "
                     "exist or is not attachable.");
    free(r.body);

    r = iam_test_iam(srv, "Action=DeleteRole&RoleName=fn");
    cr_expect_eq(r.status, 409);
    cr_expect_str_eq(iam_test_element(r.body, "Message", text, sizeof text),
                     "Cannot delete entity, must detach all policies first.");
    free(r.body);

    snprintf(form, sizeof form,
             "Action=DetachRolePolicy&RoleName=fn&PolicyArn=%s", basic);
    iam_test_ok(iam_test_iam(srv, form), "DetachRolePolicy");
    r = iam_test_iam(srv, form);
    cr_expect_eq(r.status, 404, "a second detach finds nothing");
    free(r.body);
    ts_free(srv);
}

Test(iam_api, list_roles)
{
    stratus *srv = ts_new();
    create_role(srv, "b-role");
    create_role(srv, "a-role");
    iam_test_response r = iam_test_iam(srv, "Action=ListRoles");
    cr_assert_eq(r.status, 200, "%s", r.body);
    const char *a = strstr(r.body, "<RoleName>a-role</RoleName>");
    const char *b = strstr(r.body, "<RoleName>b-role</RoleName>");
    cr_expect(a && b && a < b, "roles sorted by name: %s", r.body);
    cr_expect(strstr(r.body, "<IsTruncated>false</IsTruncated>") != NULL);
    free(r.body);

    r = iam_test_iam(srv, "Action=ListRoles&MaxItems=1");
    char text[64];
    cr_expect(strstr(r.body, "<IsTruncated>true</IsTruncated>") != NULL);
    cr_expect_str_eq(iam_test_element(r.body, "Marker", text, sizeof text),
                     "a-role");
    free(r.body);
    r = iam_test_iam(srv, "Action=ListRoles&Marker=a-role");
    cr_expect(strstr(r.body, "a-role") == NULL, "%s", r.body);
    cr_expect(strstr(r.body, "b-role") != NULL, "%s", r.body);
    free(r.body);
    ts_free(srv);
}

Test(iam_api, simulate_principal_policy)
{
    stratus *srv = ts_new();
    create_role(srv, "sfn-role");
    iam_test_ok(iam_test_iam(srv,
                             "Action=PutRolePolicy&RoleName=sfn-role"
                             "&PolicyName=start&PolicyDocument=" POLICY_START),
                "PutRolePolicy");

    iam_test_response r = iam_test_iam(
        srv, "Action=SimulatePrincipalPolicy&PolicySourceArn=arn%3Aaws%3Aiam"
             "%3A%3A123456789012%3Arole%2Fsfn-role"
             "&ActionNames.member.1=states%3AStartExecution"
             "&ActionNames.member.2=states%3AStopExecution"
             "&ResourceArns.member.1=arn%3Aaws%3Astates%3Aus-east-1%3A"
             "123456789012%3AstateMachine%3Am");
    cr_assert_eq(r.status, 200, "%s", r.body);
    const char *first = strstr(r.body, "<EvalActionName>states:StartExecution");
    const char *second = strstr(r.body, "<EvalActionName>states:StopExecution");
    cr_assert(first && second, "%s", r.body);
    cr_expect(strstr(first, "<EvalDecision>allowed</EvalDecision>") < second,
              "%s", r.body);
    cr_expect(strstr(second, "<EvalDecision>implicitDeny</EvalDecision>") !=
                  NULL,
              "%s", r.body);
    cr_expect(strstr(first, "<SourcePolicyId>start</SourcePolicyId>"
                            "<SourcePolicyType>role</SourcePolicyType>"
                            "<StartPosition><Line>1</Line><Column>14</Column>"
                            "</StartPosition>") != NULL,
              "%s", r.body);
    cr_expect(strstr(second, "<MatchedStatements></MatchedStatements>") != NULL,
              "%s", r.body);
    free(r.body);

    /* An input policy that denies wins over the role's allow. */
    r = iam_test_iam(
        srv, "Action=SimulatePrincipalPolicy&PolicySourceArn=arn%3Aaws%3Aiam"
             "%3A%3A123456789012%3Arole%2Fsfn-role"
             "&ActionNames.member.1=states%3AStartExecution"
             "&PolicyInputList.member.1=%7B%22Statement%22%3A%7B%22Effect%22"
             "%3A%22Deny%22%2C%22Action%22%3A%22states%3A*%22%2C%22Resource"
             "%22%3A%22*%22%7D%7D");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.body, "<EvalDecision>explicitDeny</EvalDecision>") !=
                  NULL,
              "%s", r.body);
    cr_expect(strstr(r.body, "PolicyInputList.1") != NULL, "%s", r.body);
    cr_expect(strstr(r.body, "<EvalResourceName>*</EvalResourceName>") != NULL,
              "%s", r.body);
    free(r.body);

    r = iam_test_iam(srv, "Action=SimulatePrincipalPolicy&PolicySourceArn="
                          "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fnone"
                          "&ActionNames.member.1=s3%3AGetObject");
    cr_expect_eq(r.status, 404, "%s", r.body);
    free(r.body);
    ts_free(srv);
}

Test(iam_api, stack_role_and_queue_policy)
{
    stratus *srv = ts_new();
    char errbuf[512];
    char path[] = "/tmp/stratus-iam-stack-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char *yaml =
        "Resources:\n"
        "  Dlq:\n"
        "    Type: AWS::SQS::Queue\n"
        "    Properties: {QueueName: events-dlq}\n"
        "  DlqPolicy:\n"
        "    Type: AWS::SQS::QueuePolicy\n"
        "    Properties:\n"
        "      Queues: [events-dlq]\n"
        "      PolicyDocument:\n"
        "        Version: '2012-10-17'\n"
        "        Statement:\n"
        "          - Effect: Allow\n"
        "            Principal: {Service: events.amazonaws.com}\n"
        "            Action: sqs:SendMessage\n"
        "            Resource: arn:aws:sqs:us-east-1:123456789012:events-dlq\n"
        "  Role:\n"
        "    Type: AWS::IAM::Role\n"
        "    Properties:\n"
        "      RoleName: fn-role\n"
        "      AssumeRolePolicyDocument:\n"
        "        Version: '2012-10-17'\n"
        "        Statement:\n"
        "          - Effect: Allow\n"
        "            Principal: {Service: lambda.amazonaws.com}\n"
        "            Action: sts:AssumeRole\n"
        "      ManagedPolicyArns:\n"
        "        - arn:aws:iam::aws:policy/service-role/"
        "AWSLambdaBasicExecutionRole\n"
        "      Policies:\n"
        "        - PolicyName: table\n"
        "          PolicyDocument:\n"
        "            Version: '2012-10-17'\n"
        "            Statement:\n"
        "              - Effect: Allow\n"
        "                Action: [dynamodb:GetItem]\n"
        "                Resource: '*'\n";
    cr_assert_eq(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    int rc = stack_apply_file(srv, path, errbuf, sizeof errbuf);
    unlink(path);
    cr_assert_eq(rc, 0, "%s", errbuf);
    stratus_turn_end(srv);

    iam_test_response r =
        iam_test_iam(srv, "Action=GetRolePolicy&RoleName=fn-role"
                          "&PolicyName=table");
    cr_expect_eq(r.status, 200, "%s", r.body);
    free(r.body);
    r = iam_test_iam(srv, "Action=ListAttachedRolePolicies&RoleName=fn-role");
    cr_expect(strstr(r.body, "AWSLambdaBasicExecutionRole") != NULL, "%s",
              r.body);
    free(r.body);

    int status = 0;
    cJSON *attrs = ts_call(srv, "AmazonSQS.GetQueueAttributes",
                           "{\"QueueUrl\":\"http://localhost/123456789012/"
                           "events-dlq\",\"AttributeNames\":[\"Policy\"]}",
                           &status);
    cr_assert_eq(status, 200);
    const cJSON *policy = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(attrs, "Attributes"), "Policy");
    cr_assert(cJSON_IsString(policy), "the queue has a Policy attribute");
    cr_expect(strstr(policy->valuestring, "events.amazonaws.com") != NULL);
    cJSON_Delete(attrs);
    ts_free(srv);
}

/* The CollectIQ roles in docs/collectiq-roles.yaml reproduce what the
 * deployment guide checks: the EventBridge role may start the valuation
 * machine, the state machine role has its invoke policy, and cards-create
 * may write but not read the table. */
Test(iam_api, collectiq_roles)
{
    stratus *srv = ts_new();
    char errbuf[512];
    int rc =
        stack_apply_file(srv, STRATUS_SOURCE_DIR "/docs/collectiq-roles.yaml",
                         errbuf, sizeof errbuf);
    cr_assert_eq(rc, 0, "%s", errbuf);
    stratus_turn_end(srv);

    iam_test_response r = iam_test_iam(
        srv,
        "Action=GetRole&RoleName=collectiq-hackathon-eventbridge-sfn-role");
    cr_expect_eq(r.status, 200, "%s", r.body);
    free(r.body);

    r = iam_test_iam(srv, "Action=GetRolePolicy&RoleName=collectiq-hackathon-"
                          "card-valuation-role&PolicyName=collectiq-hackathon-"
                          "card-valuation-invoke-lambda");
    cr_expect_eq(r.status, 200, "%s", r.body);
    free(r.body);

    r = iam_test_iam(
        srv,
        "Action=SimulatePrincipalPolicy&PolicySourceArn=arn%3Aaws%3Aiam"
        "%3A%3A123456789012%3Arole%2Fcollectiq-hackathon-eventbridge-sfn-"
        "role&ActionNames.member.1=states%3AStartExecution"
        "&ResourceArns.member.1=arn%3Aaws%3Astates%3Aus-east-1%3A"
        "123456789012%3AstateMachine%3Acollectiq-hackathon-card-valuation");
    cr_expect(strstr(r.body, "<EvalDecision>allowed</EvalDecision>") != NULL,
              "%s", r.body);
    free(r.body);

    r = iam_test_iam(
        srv, "Action=SimulatePrincipalPolicy&PolicySourceArn=arn%3Aaws%3Aiam"
             "%3A%3A123456789012%3Arole%2Fcollectiq-hackathon-cards-create-role"
             "&ActionNames.member.1=dynamodb%3APutItem"
             "&ActionNames.member.2=dynamodb%3AGetItem"
             "&ResourceArns.member.1=arn%3Aaws%3Adynamodb%3Aus-east-1%3A"
             "123456789012%3Atable%2Fcollectiq-hackathon-cards");
    const char *put = strstr(r.body, "<EvalActionName>dynamodb:PutItem");
    const char *get = strstr(r.body, "<EvalActionName>dynamodb:GetItem");
    cr_assert(put && get, "%s", r.body);
    cr_expect(strstr(put, "<EvalDecision>allowed</EvalDecision>") < get, "%s",
              r.body);
    cr_expect(strstr(get, "<EvalDecision>implicitDeny</EvalDecision>") != NULL,
              "%s", r.body);
    free(r.body);
    ts_free(srv);
}

Test(iam_api, role_tags)
{
    stratus *srv = ts_new();
    create_role(srv, "tagged");
    iam_test_ok(iam_test_iam(srv,
                             "Action=TagRole&RoleName=tagged"
                             "&Tags.member.1.Key=team&Tags.member.1.Value=a"
                             "&Tags.member.2.Key=env&Tags.member.2.Value=dev"),
                "TagRole");
    iam_test_ok(iam_test_iam(srv,
                             "Action=TagRole&RoleName=tagged"
                             "&Tags.member.1.Key=team&Tags.member.1.Value=b"),
                "TagRole again");
    iam_test_ok(iam_test_iam(srv, "Action=UntagRole&RoleName=tagged"
                                  "&TagKeys.member.1=env"),
                "UntagRole");
    iam_test_response r =
        iam_test_iam(srv, "Action=ListRoleTags&RoleName=tagged");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.body, "<Tags><member><Key>team</Key><Value>b</Value>"
                             "</member></Tags>") != NULL,
              "%s", r.body);
    free(r.body);
    ts_free(srv);
}

/* Applying a role again (a redeploy) updates its trust policy and
 * policies in place. */
Test(iam_api, stack_role_redeploy)
{
    stratus *srv = ts_new();
    char errbuf[512];
    char path[] = "/tmp/stratus-iam-redeploy-XXXXXX";
    const char *versions[] = {"lambda.amazonaws.com", "states.amazonaws.com"};
    for (int i = 0; i < 2; i++) {
        int fd = mkstemp(path);
        cr_assert_geq(fd, 0);
        char yaml[1024];
        snprintf(yaml, sizeof yaml,
                 "Resources:\n"
                 "  Role:\n"
                 "    Type: AWS::IAM::Role\n"
                 "    Properties:\n"
                 "      RoleName: redeployed\n"
                 "      AssumeRolePolicyDocument:\n"
                 "        Statement:\n"
                 "          - Effect: Allow\n"
                 "            Principal: {Service: %s}\n"
                 "            Action: sts:AssumeRole\n"
                 "      Policies:\n"
                 "        - PolicyName: p%d\n"
                 "          PolicyDocument:\n"
                 "            Statement:\n"
                 "              - {Effect: Allow, Action: 's3:*', "
                 "Resource: '*'}\n",
                 versions[i], i);
        cr_assert_eq(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
        close(fd);
        int rc = stack_apply_file(srv, path, errbuf, sizeof errbuf);
        unlink(path);
        snprintf(path, sizeof path, "%s", "/tmp/stratus-iam-redeploy-XXXXXX");
        cr_assert_eq(rc, 0, "%s", errbuf);
        stratus_turn_end(srv);
    }
    iam_test_response r =
        iam_test_iam(srv, "Action=GetRole&RoleName=redeployed");
    cr_expect(strstr(r.body, "states.amazonaws.com") != NULL, "%s", r.body);
    cr_expect(strstr(r.body, "lambda.amazonaws.com") == NULL, "%s", r.body);
    free(r.body);
    r = iam_test_iam(srv, "Action=ListRolePolicies&RoleName=redeployed");
    cr_expect(strstr(r.body, "<member>p0</member><member>p1</member>") != NULL,
              "the earlier policy stays: %s", r.body);
    free(r.body);
    ts_free(srv);
}

/* A condition on a key the simulation does not provide is reported in
 * MissingContextValues, and ContextEntries provide it. */
Test(iam_api, simulate_context_entries)
{
    stratus *srv = ts_new();
    create_role(srv, "cond");
    /* Allow s3:GetObject only from the account's own source. */
    iam_test_ok(
        iam_test_iam(srv, "Action=PutRolePolicy&RoleName=cond&PolicyName=p"
                          "&PolicyDocument=%7B%22Statement%22%3A%7B%22Effect"
                          "%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject"
                          "%22%2C%22Resource%22%3A%22*%22%2C%22Condition%22%3A"
                          "%7B%22StringEquals%22%3A%7B%22aws%3ASourceAccount"
                          "%22%3A%22123456789012%22%7D%7D%7D%7D"),
        "PutRolePolicy");
    const char *base =
        "Action=SimulatePrincipalPolicy&PolicySourceArn=arn%3Aaws%3Aiam%3A%3A"
        "123456789012%3Arole%2Fcond&ActionNames.member.1=s3%3AGetObject";

    iam_test_response r = iam_test_iam(srv, base);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.body, "<EvalDecision>implicitDeny</EvalDecision>") !=
                  NULL,
              "%s", r.body);
    cr_expect(strstr(r.body, "<MissingContextValues><member>aws:SourceAccount"
                             "</member></MissingContextValues>") != NULL,
              "%s", r.body);
    free(r.body);

    char form[1024];
    snprintf(form, sizeof form,
             "%s&ContextEntries.member.1.ContextKeyName=aws%%3ASourceAccount"
             "&ContextEntries.member.1.ContextKeyType=string"
             "&ContextEntries.member.1.ContextKeyValues.member.1=123456789012",
             base);
    r = iam_test_iam(srv, form);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.body, "<EvalDecision>allowed</EvalDecision>") != NULL,
              "%s", r.body);
    cr_expect(strstr(r.body, "<MissingContextValues></MissingContextValues>") !=
                  NULL,
              "%s", r.body);
    free(r.body);
    ts_free(srv);
}
