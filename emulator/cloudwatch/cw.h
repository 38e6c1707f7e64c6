/*
 * cw.h: the CloudWatch service (metrics, alarms, dashboards) and the call
 * other services use to publish their metrics in the AWS namespaces.
 *
 * Clients reach it over two protocols: the Query protocol (form-encoded
 * Action=..., XML responses; the AWS CLI 2.9 of Debian 12) and JSON 1.0
 * with X-Amz-Target GraniteServiceVersion20100801.<Operation> (AWS SDK for
 * JavaScript v3 since CloudWatch became "awsQueryCompatible").
 */
#ifndef STRATUS_CW_H
#define STRATUS_CW_H

#include <stddef.h>

#include "aws.h"

struct stratus;

extern const aws_service cw_service;

/* The stack resource types AWS::CloudWatch::Alarm (PutMetricAlarm's
 * members, AlarmName defaulting to the logical id) and
 * AWS::CloudWatch::Dashboard (DashboardName, DashboardBody as JSON text or
 * a mapping). */
int cw_stack_apply_alarm(struct stratus *srv, const char *account,
                         const char *region, const char *logical_id,
                         const cJSON *properties, aws_error *err);
int cw_stack_apply_dashboard(struct stratus *srv, const char *account,
                             const char *region, const char *logical_id,
                             const cJSON *properties, aws_error *err);

/* One dimension of a metric, both strings borrowed. */
typedef struct cw_dimension {
    const char *name, *value;
} cw_dimension;

/*
 * Record one datum of the metric (`ns`, `name`, `dims`) at the instance
 * clock's now, as PutMetricData with a single Value would. `unit` is a
 * CloudWatch unit name ("Count", "Milliseconds") or NULL for "None". The
 * order of `dims` does not matter. A failed write is logged and rolled
 * back alone, so the caller's own work goes on.
 */
void cw_metric_add(struct stratus *srv, const char *account, const char *region,
                   const char *ns, const char *name, const cw_dimension *dims,
                   size_t ndims, double value, const char *unit);

#endif
