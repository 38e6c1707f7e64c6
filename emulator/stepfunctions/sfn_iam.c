/*
 * sfn_iam.c: the resource ARNs of Step Functions requests, for requests
 * signed with credentials Stratus issued: the state machine or execution
 * a request names, the state machine CreateStateMachine would create, and
 * resourceArn for tags.
 */
#include "sfn_internal.h"

#include <stdio.h>
#include <string.h>

int sfn__resource_arn(const aws_request *req, size_t index, char *action,
                      size_t action_size, char *arn, size_t arn_size)
{
    (void)action;
    (void)action_size;
    if (index > 0)
        return 0;
    static const char *const members[] = {"stateMachineArn", "executionArn",
                                          "resourceArn"};
    for (size_t i = 0; i < sizeof members / sizeof *members; i++) {
        const char *v = sfn__str(req->body, members[i]);
        if (v) {
            snprintf(arn, arn_size, "%s", v);
            return 1;
        }
    }
    const char *name = sfn__str(req->body, "name");
    if (name && strcmp(req->operation, "CreateStateMachine") == 0)
        snprintf(arn, arn_size, "arn:aws:states:%s:%s:stateMachine:%s",
                 req->region, req->account, name);
    else
        snprintf(arn, arn_size, "*");
    return 1;
}
