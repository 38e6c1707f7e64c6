/*
 * ddb.c: the DynamoDB service: its initialisation (schema migrations and
 * the TTL sweep job) and its operation table, JSON 1.0 with the target
 * prefix DynamoDB_20120810.
 *
 * Every operation of the DynamoDB API is listed. A NULL handler marks an
 * operation Stratus does not implement (PartiQL, backups, global tables,
 * imports and exports, Kinesis streaming, contributor insights, resource
 * policies). Each table is a resource of the request's account and region.
 */
#include "ddb.h"

#include "ddb_internal.h"
#include "jobs.h"

static int ddb_init(stratus *srv, aws_error *err)
{
    if (ddb__store_init(srv, err) != 0)
        return -1;
    jobs_register(srv->jobs, DDB_TTL_JOB_KIND, ddb__ttl_sweep);
    return 0;
}

static const aws_operation ddb_operations[] = {
    {"BatchExecuteStatement", NULL},
    {"BatchGetItem", ddb_op_batch_get_item},
    {"BatchWriteItem", ddb_op_batch_write_item},
    {"CreateBackup", NULL},
    {"CreateGlobalTable", NULL},
    {"CreateTable", ddb_op_create_table},
    {"DeleteBackup", NULL},
    {"DeleteItem", ddb_op_delete_item},
    {"DeleteResourcePolicy", NULL},
    {"DeleteTable", ddb_op_delete_table},
    {"DescribeBackup", NULL},
    {"DescribeContinuousBackups", ddb_op_describe_continuous_backups},
    {"DescribeContributorInsights", NULL},
    {"DescribeEndpoints", ddb_op_describe_endpoints},
    {"DescribeExport", NULL},
    {"DescribeGlobalTable", NULL},
    {"DescribeGlobalTableSettings", NULL},
    {"DescribeImport", NULL},
    {"DescribeKinesisStreamingDestination", NULL},
    {"DescribeLimits", ddb_op_describe_limits},
    {"DescribeTable", ddb_op_describe_table},
    {"DescribeTableReplicaAutoScaling", NULL},
    {"DescribeTimeToLive", ddb_op_describe_time_to_live},
    {"DisableKinesisStreamingDestination", NULL},
    {"EnableKinesisStreamingDestination", NULL},
    {"ExecuteStatement", NULL},
    {"ExecuteTransaction", NULL},
    {"ExportTableToPointInTime", NULL},
    {"GetItem", ddb_op_get_item},
    {"GetResourcePolicy", NULL},
    {"ImportTable", NULL},
    {"ListBackups", NULL},
    {"ListContributorInsights", NULL},
    {"ListExports", NULL},
    {"ListGlobalTables", NULL},
    {"ListImports", NULL},
    {"ListTables", ddb_op_list_tables},
    {"ListTagsOfResource", ddb_op_list_tags_of_resource},
    {"PutItem", ddb_op_put_item},
    {"PutResourcePolicy", NULL},
    {"Query", ddb_op_query},
    {"RestoreTableFromBackup", NULL},
    {"RestoreTableToPointInTime", NULL},
    {"Scan", ddb_op_scan},
    {"TagResource", ddb_op_tag_resource},
    {"TransactGetItems", ddb_op_transact_get_items},
    {"TransactWriteItems", ddb_op_transact_write_items},
    {"UntagResource", ddb_op_untag_resource},
    {"UpdateContinuousBackups", ddb_op_update_continuous_backups},
    {"UpdateContributorInsights", NULL},
    {"UpdateGlobalTable", NULL},
    {"UpdateGlobalTableSettings", NULL},
    {"UpdateItem", ddb_op_update_item},
    {"UpdateKinesisStreamingDestination", NULL},
    {"UpdateTable", ddb_op_update_table},
    {"UpdateTableReplicaAutoScaling", NULL},
    {"UpdateTimeToLive", ddb_op_update_time_to_live},
};

const aws_service ddb_service = {
    .name = "dynamodb",
    .signing_name = "dynamodb",
    .target_prefix = "DynamoDB_20120810",
    .error_prefix = "com.amazonaws.dynamodb.v20120810#",
    .protocol = AWS_PROTO_JSON_1_0,
    .operations = ddb_operations,
    .operation_count = sizeof ddb_operations / sizeof *ddb_operations,
    .init = ddb_init,
    .cleanup = NULL,
    .resource_arn = ddb__resource_arn,
};
