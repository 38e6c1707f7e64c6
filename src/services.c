/*
 * services.c: the services and stack resource types compiled into Stratus.
 * A new service adds its aws_service and its stack types here.
 */
#include "aws.h"
#include "stack.h"

#include "apigw.h"
#include "bedrock.h"
#include "cw.h"
#include "ddb.h"
#include "evb.h"
#include "iam.h"
#include "lam.h"
#include "logs.h"
#include "rek.h"
#include "s3.h"
#include "sm.h"
#include "sfn.h"
#include "sqs.h"
#include "sts.h"

const aws_service *const aws_services[] = {
    &ddb_service, &evb_service, &lam_service, &sqs_service,     &sfn_service,
    &s3_service,  &sm_service,  &rek_service, &bedrock_service, &apigw_service,
    &iam_service, &sts_service, &cw_service,  &logs_service,
};
const size_t aws_service_count = sizeof aws_services / sizeof *aws_services;

const stack_type stack_types[] = {
    {"AWS::ApiGatewayV2::Api", apigw_stack_apply_api},
    {"AWS::CloudWatch::Alarm", cw_stack_apply_alarm},
    {"AWS::CloudWatch::Dashboard", cw_stack_apply_dashboard},
    {"AWS::DynamoDB::Table", ddb_stack_apply_table},
    {"AWS::Events::EventBus", evb_stack_apply_event_bus},
    {"AWS::Events::Rule", evb_stack_apply_rule},
    {"AWS::IAM::Role", iam_stack_apply_role},
    {"AWS::Lambda::Function", lam_stack_apply_function},
    {"AWS::Lambda::Permission", lam_stack_apply_permission},
    {"AWS::Logs::LogGroup", logs_stack_apply_log_group},
    {"AWS::S3::Bucket", s3_stack_apply_bucket},
    {"AWS::SQS::Queue", sqs_stack_apply_queue},
    {"AWS::SQS::QueuePolicy", iam_stack_apply_queue_policy},
    {"AWS::SecretsManager::Secret", sm_stack_apply_secret},
    {"AWS::StepFunctions::StateMachine", sfn_stack_apply_state_machine},
    {"Stratus::DynamoDB::Items", ddb_stack_apply_items},
};
const size_t stack_type_count = sizeof stack_types / sizeof *stack_types;
