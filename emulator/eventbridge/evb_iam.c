/*
 * evb_iam.c: the resource ARNs of EventBridge requests, for requests
 * signed with credentials Stratus issued: the event bus of each PutEvents
 * entry, the rule of rule and target operations, the event bus of bus
 * operations, and ResourceARN for tags.
 */
#include "evb_internal.h"

#include <stdio.h>
#include <string.h>

static const char *evb_iam_str(const cJSON *obj, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(m) ? m->valuestring : NULL;
}

/* The name of a bus given by name or ARN; NULL means "default". */
static const char *evb_iam_bus_name(const char *bus)
{
    if (!bus)
        return "default";
    const char *slash = strncmp(bus, "arn:", 4) == 0 ? strrchr(bus, '/') : NULL;
    return slash ? slash + 1 : bus;
}

static void evb_iam_bus_arn(const aws_request *req, const char *bus, char *arn,
                            size_t size)
{
    if (bus && strncmp(bus, "arn:", 4) == 0)
        snprintf(arn, size, "%s", bus);
    else
        snprintf(arn, size, "arn:aws:events:%s:%s:event-bus/%s", req->region,
                 req->account, evb_iam_bus_name(bus));
}

int evb__resource_arn(const aws_request *req, size_t index, char *action,
                      size_t action_size, char *arn, size_t arn_size)
{
    (void)action;
    (void)action_size;
    const char *op = req->operation;
    if (strcmp(op, "PutEvents") == 0) {
        const cJSON *entries =
            cJSON_GetObjectItemCaseSensitive(req->body, "Entries");
        const cJSON *entry = cJSON_GetArrayItem(entries, (int)index);
        if (!entry)
            return index == 0 ? (snprintf(arn, arn_size, "*"), 1) : 0;
        evb_iam_bus_arn(req, evb_iam_str(entry, "EventBusName"), arn, arn_size);
        return 1;
    }
    if (index > 0)
        return 0;

    const char *bus = evb_iam_str(req->body, "EventBusName");
    const char *rule = evb_iam_str(req->body, "Rule");
    const char *name = evb_iam_str(req->body, "Name");
    const char *resource = evb_iam_str(req->body, "ResourceARN");
    int rule_op = strstr(op, "Rule") != NULL && strcmp(op, "ListRules") != 0 &&
                  strcmp(op, "ListRuleNamesByTarget") != 0;
    if (rule || (rule_op && name)) {
        const char *bus_name = evb_iam_bus_name(bus);
        const char *rule_name = rule ? rule : name;
        if (strcmp(bus_name, "default") == 0)
            snprintf(arn, arn_size, "arn:aws:events:%s:%s:rule/%s", req->region,
                     req->account, rule_name);
        else
            snprintf(arn, arn_size, "arn:aws:events:%s:%s:rule/%s/%s",
                     req->region, req->account, bus_name, rule_name);
    } else if (strstr(op, "EventBus") && strcmp(op, "ListEventBuses") != 0) {
        evb_iam_bus_arn(req, name, arn, arn_size);
    } else if (resource) {
        snprintf(arn, arn_size, "%s", resource);
    } else {
        snprintf(arn, arn_size, "*");
    }
    return 1;
}
