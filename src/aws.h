/*
 * aws.h: the AWS protocol layer shared by every service.
 *
 * It defines the error list, with one X-macro row per AWS error type (wire
 * name, default HTTP status, default message). It also defines the error
 * record a handler fills, the parsed request a handler borrows, and the
 * operation and service tables the dispatcher routes by. Handlers never build
 * error bodies: the protocol layer renders them in the shape of the service's
 * protocol.
 */
#ifndef STRATUS_AWS_H
#define STRATUS_AWS_H

#include <stdarg.h>
#include <stddef.h>

#include <cjson/cJSON.h>

struct stratus;
struct http_request;
struct http_response;

/*
 * Every AWS error Stratus can return. Columns: enum suffix, wire type name,
 * default HTTP status, default message (NULL: no default, the handler
 * supplies one).
 */
#define AWS_ERRORS(X)                                                          \
    X(VALIDATION, "ValidationException", 400, NULL)                            \
    X(SERIALIZATION, "SerializationException", 400, NULL)                      \
    X(UNKNOWN_OPERATION, "UnknownOperationException", 400, NULL)               \
    X(INVALID_ACTION, "InvalidAction", 400, NULL)                              \
    X(NOT_IMPLEMENTED, "NotImplementedException", 400, NULL)                   \
    X(INVALID_SIGNATURE, "InvalidSignatureException", 400, NULL)               \
    X(MISSING_AUTH_TOKEN, "MissingAuthenticationTokenException", 400,          \
      "Request is missing Authentication Token")                               \
    X(ACCESS_DENIED, "AccessDeniedException", 400, NULL)                       \
    X(REQUEST_TOO_LARGE, "RequestEntityTooLarge", 413,                         \
      "Request must be smaller than the maximum request size")                 \
    X(RESOURCE_NOT_FOUND, "ResourceNotFoundException", 400,                    \
      "Requested resource not found")                                          \
    X(RESOURCE_IN_USE, "ResourceInUseException", 400, NULL)                    \
    X(LIMIT_EXCEEDED, "LimitExceededException", 400, NULL)                     \
    X(CONDITIONAL_CHECK_FAILED, "ConditionalCheckFailedException", 400,        \
      "The conditional request failed")                                        \
    X(TRANSACTION_CANCELED, "TransactionCanceledException", 400, NULL)         \
    X(TRANSACTION_CONFLICT, "TransactionConflictException", 400, NULL)         \
    X(IDEMPOTENT_PARAMETER_MISMATCH, "IdempotentParameterMismatchException",   \
      400, NULL)                                                               \
    X(ITEM_COLLECTION_SIZE_LIMIT, "ItemCollectionSizeLimitExceededException",  \
      400, NULL)                                                               \
    X(TABLE_NOT_FOUND, "TableNotFoundException", 400, NULL)                    \
    X(RESOURCE_CONFLICT, "ResourceConflictException", 409, NULL)               \
    X(INVALID_PARAMETER_VALUE, "InvalidParameterValueException", 400, NULL)    \
    X(INVALID_REQUEST_CONTENT, "InvalidRequestContentException", 400, NULL)    \
    X(INVOKE_REQUEST_TOO_LARGE, "RequestTooLargeException", 413, NULL)         \
    X(TOO_MANY_REQUESTS, "TooManyRequestsException", 429, "Rate Exceeded.")    \
    X(PRECONDITION_FAILED, "PreconditionFailedException", 412, NULL)           \
    X(SQS_QUEUE_DOES_NOT_EXIST, "QueueDoesNotExist", 400,                      \
      "The specified queue does not exist.")                                   \
    X(SQS_QUEUE_NAME_EXISTS, "QueueNameExists", 400, NULL)                     \
    X(SQS_INVALID_ATTRIBUTE_NAME, "InvalidAttributeName", 400, NULL)           \
    X(SQS_INVALID_ATTRIBUTE_VALUE, "InvalidAttributeValue", 400, NULL)         \
    X(SQS_INVALID_PARAMETER_VALUE, "InvalidParameterValue", 400, NULL)         \
    X(SQS_MISSING_PARAMETER, "MissingParameter", 400, NULL)                    \
    X(SQS_INVALID_MESSAGE_CONTENTS, "InvalidMessageContents", 400, NULL)       \
    X(SQS_RECEIPT_HANDLE_IS_INVALID, "ReceiptHandleIsInvalid", 404, NULL)      \
    X(SQS_MESSAGE_NOT_INFLIGHT, "MessageNotInflight", 400,                     \
      "Message does not exist or is not available for visibility timeout "     \
      "change.")                                                               \
    X(SQS_PURGE_QUEUE_IN_PROGRESS, "PurgeQueueInProgress", 403, NULL)          \
    X(SQS_EMPTY_BATCH_REQUEST, "EmptyBatchRequest", 400, NULL)                 \
    X(SQS_TOO_MANY_ENTRIES, "TooManyEntriesInBatchRequest", 400, NULL)         \
    X(SQS_BATCH_IDS_NOT_DISTINCT, "BatchEntryIdsNotDistinct", 400, NULL)       \
    X(SQS_INVALID_BATCH_ENTRY_ID, "InvalidBatchEntryId", 400, NULL)            \
    X(SQS_BATCH_REQUEST_TOO_LONG, "BatchRequestTooLong", 400, NULL)            \
    X(RESOURCE_ALREADY_EXISTS, "ResourceAlreadyExistsException", 400, NULL)    \
    X(INVALID_EVENT_PATTERN, "InvalidEventPatternException", 400, NULL)        \
    X(CONCURRENT_MODIFICATION, "ConcurrentModificationException", 400, NULL)   \
    X(SFN_EXECUTION_ALREADY_EXISTS, "ExecutionAlreadyExists", 400, NULL)       \
    X(SFN_EXECUTION_DOES_NOT_EXIST, "ExecutionDoesNotExist", 400, NULL)        \
    X(SFN_STATE_MACHINE_ALREADY_EXISTS, "StateMachineAlreadyExists", 400,      \
      NULL)                                                                    \
    X(SFN_STATE_MACHINE_DOES_NOT_EXIST, "StateMachineDoesNotExist", 400, NULL) \
    X(SFN_STATE_MACHINE_TYPE_NOT_SUPPORTED, "StateMachineTypeNotSupported",    \
      400, NULL)                                                               \
    X(SFN_INVALID_DEFINITION, "InvalidDefinition", 400, NULL)                  \
    X(SFN_INVALID_NAME, "InvalidName", 400, NULL)                              \
    X(SFN_INVALID_ARN, "InvalidArn", 400, NULL)                                \
    X(SFN_INVALID_EXECUTION_INPUT, "InvalidExecutionInput", 400, NULL)         \
    X(SFN_INVALID_TOKEN, "InvalidToken", 400, NULL)                            \
    X(SFN_MISSING_REQUIRED_PARAMETER, "MissingRequiredParameter", 400, NULL)   \
    X(SFN_TASK_DOES_NOT_EXIST, "TaskDoesNotExist", 400, NULL)                  \
    X(SFN_TASK_TIMED_OUT, "TaskTimedOut", 400, NULL)                           \
    X(SFN_INVALID_OUTPUT, "InvalidOutput", 400, NULL)                          \
    X(SFN_RESOURCE_NOT_FOUND, "ResourceNotFound", 400, NULL)                   \
    X(IAM_NO_SUCH_ENTITY, "NoSuchEntity", 404, NULL)                           \
    X(IAM_ENTITY_ALREADY_EXISTS, "EntityAlreadyExists", 409, NULL)             \
    X(IAM_DELETE_CONFLICT, "DeleteConflict", 409, NULL)                        \
    X(IAM_MALFORMED_POLICY_DOCUMENT, "MalformedPolicyDocument", 400, NULL)     \
    X(IAM_VALIDATION_ERROR, "ValidationError", 400, NULL)                      \
    X(IAM_INVALID_INPUT, "InvalidInput", 400, NULL)                            \
    X(IAM_LIMIT_EXCEEDED, "LimitExceeded", 409, NULL)                          \
    X(ACCESS_DENIED_QUERY, "AccessDenied", 403, NULL)                          \
    X(EXPIRED_TOKEN, "ExpiredTokenException", 400,                             \
      "The security token included in the request is expired")                 \
    X(EXPIRED_TOKEN_QUERY, "ExpiredToken", 403,                                \
      "The security token included in the request is expired")                 \
    X(APIGW_NOT_FOUND, "NotFoundException", 404, NULL)                         \
    X(REK_INVALID_PARAMETER, "InvalidParameterException", 400,                 \
      "Request has invalid parameters")                                        \
    X(REK_INVALID_IMAGE_FORMAT, "InvalidImageFormatException", 400,            \
      "Request has invalid image format")                                      \
    X(REK_INVALID_S3_OBJECT, "InvalidS3ObjectException", 400,                  \
      "Unable to get object metadata from S3. Check object key, region "       \
      "and/or access permissions.")                                            \
    X(REK_IMAGE_TOO_LARGE, "ImageTooLargeException", 400, NULL)                \
    X(THROTTLING, "ThrottlingException", 429, NULL)                            \
    X(BEDROCK_MODEL_ERROR, "ModelErrorException", 424, NULL)                   \
    X(BEDROCK_MODEL_TIMEOUT, "ModelTimeoutException", 408, NULL)               \
    X(INTERNAL_SERVER, "InternalServerException", 500, NULL)                   \
    X(SERVICE_UNAVAILABLE, "ServiceUnavailableException", 503, NULL)           \
    X(S3_NO_SUCH_BUCKET, "NoSuchBucket", 404,                                  \
      "The specified bucket does not exist")                                   \
    X(S3_NO_SUCH_KEY, "NoSuchKey", 404, "The specified key does not exist.")   \
    X(S3_NO_SUCH_UPLOAD, "NoSuchUpload", 404,                                  \
      "The specified upload does not exist. The upload ID may be invalid, or " \
      "the upload may have been aborted or completed.")                        \
    X(S3_NO_SUCH_CORS, "NoSuchCORSConfiguration", 404,                         \
      "The CORS configuration does not exist")                                 \
    X(S3_BUCKET_ALREADY_OWNED, "BucketAlreadyOwnedByYou", 409,                 \
      "Your previous request to create the named bucket succeeded and you "    \
      "already own it.")                                                       \
    X(S3_BUCKET_ALREADY_EXISTS, "BucketAlreadyExists", 409,                    \
      "The requested bucket name is not available. The bucket namespace is "   \
      "shared by all users of the system. Please select a different name and " \
      "try again.")                                                            \
    X(S3_BUCKET_NOT_EMPTY, "BucketNotEmpty", 409,                              \
      "The bucket you tried to delete is not empty")                           \
    X(S3_INVALID_BUCKET_NAME, "InvalidBucketName", 400,                        \
      "The specified bucket is not valid.")                                    \
    X(S3_INVALID_RANGE, "InvalidRange", 416,                                   \
      "The requested range is not satisfiable")                                \
    X(S3_PRECONDITION_FAILED, "PreconditionFailed", 412,                       \
      "At least one of the pre-conditions you specified did not hold")         \
    X(S3_MALFORMED_XML, "MalformedXML", 400,                                   \
      "The XML you provided was not well-formed or did not validate against "  \
      "our published schema")                                                  \
    X(S3_INVALID_ARGUMENT, "InvalidArgument", 400, NULL)                       \
    X(S3_INVALID_URI, "InvalidURI", 400, "Couldn't parse the specified URI.")  \
    X(S3_INVALID_REQUEST, "InvalidRequest", 400, NULL)                         \
    X(S3_INVALID_PART, "InvalidPart", 400,                                     \
      "One or more of the specified parts could not be found.  The part may "  \
      "not have been uploaded, or the specified entity tag may not match the " \
      "part's entity tag.")                                                    \
    X(S3_INVALID_PART_ORDER, "InvalidPartOrder", 400,                          \
      "The list of parts was not in ascending order. Parts must be ordered "   \
      "by part number.")                                                       \
    X(S3_ENTITY_TOO_SMALL, "EntityTooSmall", 400,                              \
      "Your proposed upload is smaller than the minimum allowed object size.") \
    X(S3_KEY_TOO_LONG, "KeyTooLongError", 400, "Your key is too long")         \
    X(S3_BAD_DIGEST, "BadDigest", 400, NULL)                                   \
    X(S3_INVALID_DIGEST, "InvalidDigest", 400,                                 \
      "The Content-MD5 you specified was invalid.")                            \
    X(S3_SHA256_MISMATCH, "XAmzContentSHA256Mismatch", 400,                    \
      "The provided 'x-amz-content-sha256' header does not match what was "    \
      "computed.")                                                             \
    X(S3_INCOMPLETE_BODY, "IncompleteBody", 400,                               \
      "The request body terminated unexpectedly")                              \
    X(S3_ACCESS_DENIED, "AccessDenied", 403, "Access Denied")                  \
    X(S3_ACCESS_FORBIDDEN, "AccessForbidden", 403, NULL)                       \
    X(S3_AUTH_QUERY_ERROR, "AuthorizationQueryParametersError", 400, NULL)     \
    X(S3_METHOD_NOT_ALLOWED, "MethodNotAllowed", 405,                          \
      "The specified method is not allowed against this resource.")            \
    X(S3_NOT_IMPLEMENTED, "NotImplemented", 501, NULL)                         \
    X(S3_BAD_REQUEST, "BadRequest", 400, NULL)                                 \
    X(S3_INVALID_TAG, "InvalidTag", 400, NULL)                                 \
    X(S3_NO_SUCH_BUCKET_POLICY, "NoSuchBucketPolicy", 404,                     \
      "The bucket policy does not exist")                                      \
    X(S3_NO_SUCH_TAG_SET, "NoSuchTagSet", 404, "The TagSet does not exist")    \
    X(S3_NO_SUCH_PUBLIC_ACCESS_BLOCK, "NoSuchPublicAccessBlockConfiguration",  \
      404, "The public access block configuration was not found")              \
    X(S3_NO_SUCH_LIFECYCLE, "NoSuchLifecycleConfiguration", 404,               \
      "The lifecycle configuration does not exist")                            \
    X(S3_NO_SUCH_OWNERSHIP_CONTROLS, "OwnershipControlsNotFoundError", 404,    \
      "The bucket ownership controls were not found")                          \
    X(S3_NO_SUCH_WEBSITE, "NoSuchWebsiteConfiguration", 404,                   \
      "The specified bucket does not have a website configuration")            \
    X(S3_MALFORMED_POLICY, "MalformedPolicy", 400, NULL)                       \
    X(SM_RESOURCE_EXISTS, "ResourceExistsException", 400, NULL)                \
    X(SM_INVALID_REQUEST, "InvalidRequestException", 400, NULL)                \
    X(SM_INVALID_PARAMETER, "InvalidParameterException", 400, NULL)            \
    X(CW_MISSING_PARAMETER, "MissingRequiredParameterException", 400, NULL)    \
    X(CW_INVALID_PARAMETER_COMBINATION,                                        \
      "InvalidParameterCombinationException", 400, NULL)                       \
    X(CW_RESOURCE_NOT_FOUND, "ResourceNotFound", 404, NULL)                    \
    X(CW_DASHBOARD_NOT_FOUND, "DashboardNotFoundError", 404, NULL)             \
    X(CW_DASHBOARD_INVALID_INPUT, "DashboardInvalidInputError", 400, NULL)     \
    X(CW_INVALID_NEXT_TOKEN, "InvalidNextToken", 400, NULL)                    \
    X(CW_LIMIT_EXCEEDED, "LimitExceededFault", 400, NULL)                      \
    X(CW_INVALID_FORMAT, "InvalidFormatFault", 400, NULL)                      \
    X(LOGS_INVALID_PARAMETER, "InvalidParameterException", 400, NULL)          \
    X(LOGS_MALFORMED_QUERY, "MalformedQueryException", 400, NULL)              \
    X(INTERNAL_SERVER_ERROR, "InternalServerError", 500,                       \
      "Internal server error")

typedef enum aws_code {
    AWS_OK = 0,
#define AWS__ENUM(sym, name, status, msg) AWS_ERR_##sym,
    AWS_ERRORS(AWS__ENUM)
#undef AWS__ENUM
        AWS_ERR__COUNT
} aws_code;

/* Wire type name, default status and default message of an error code. */
const char *aws_code_name(aws_code code);
int aws_code_status(aws_code code);
const char *aws_code_message(aws_code code);

/*
 * The error a handler reports. `status` overrides the list's default when
 * non-zero (some services send the same type with another status). `extra`
 * contains additional top-level body members such as CancellationReasons or
 * Item; the error record owns it and aws_error_reset frees it.
 */
typedef struct aws_error {
    aws_code code;
    int status;
    char message[1024];
    cJSON *extra;
} aws_error;

/* Fill `err` and return -1, so a handler can write `return aws_fail(...)`. */
int aws_fail(aws_error *err, aws_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int aws_vfail(aws_error *err, aws_code code, const char *fmt, va_list ap);
void aws_error_reset(aws_error *err);

typedef enum aws_protocol {
    AWS_PROTO_JSON_1_0,
    AWS_PROTO_JSON_1_1,
    AWS_PROTO_REST_JSON,
    AWS_PROTO_REST_XML,
    AWS_PROTO_QUERY
} aws_protocol;

/*
 * The request passed to a handler. Everything is borrowed from the dispatcher
 * and valid only during the handler call. `body` is the parsed JSON body of a
 * JSON protocol (an empty object when the body was empty).
 */
typedef struct aws_request {
    struct stratus *srv;
    const struct aws_service *service;
    const char *operation;
    const char *account;
    const char *region;
    const char *access_key;
    const char *request_id;
    cJSON *body;
    const struct http_request *http;
    /* REST protocols: path parameters and decoded query parameters by name,
     * as strings (a path parameter wins over a query parameter). */
    cJSON *params;
    /* Response headers a handler adds (http_response_header), and its
     * success status (default 200). */
    struct http_response *out;
    int status;
    /* When set (malloc'ed, taken by the dispatcher), sent as the body in
     * place of the returned tree, with this content type. */
    char *raw_body;
    size_t raw_len;
    const char *raw_content_type;
    /* Set by a handler that called http_request_defer on `http`: the
     * dispatcher then sends nothing and leaves the response untouched,
     * and the handler's returned tree is only freed. */
    int deferred;
} aws_request;

/*
 * An operation handler: borrow the request, return a new response tree (the
 * caller frees it) or NULL after filling `err`. A handler runs inside the
 * store savepoint of its call, so an error undoes every write it made.
 */
typedef cJSON *(*aws_op_fn)(aws_request *req, aws_error *err);

/*
 * One row of a service's operation table; a NULL handler is a known gap.
 * REST operations also name their HTTP method and path template, where
 * "{Name}" matches one path segment and "{Name+}" the rest of the path.
 */
typedef struct aws_operation {
    const char *name;
    aws_op_fn handler;
    const char *http_method;
    const char *http_path;
} aws_operation;

/*
 * A list or map member of a service's Query protocol. Query flattens it as
 * "<wire>.N" (AWS_QUERY_LIST), "<wire>.N.<Member>..." for a list of
 * structures (AWS_QUERY_STRUCT_LIST), "<wire>.N.<key_name>" and
 * "<wire>.N.<value_name>" (AWS_QUERY_MAP), or with a structure value,
 * "<wire>.N.<value_name>.<Member>" (AWS_QUERY_STRUCT_MAP). XML responses
 * repeat a <wire> element per entry. `json` is the JSON member name. A
 * response array that no member names is written as the Query protocol's
 * default wrapped list, <Name><member>...</member></Name>.
 */
typedef enum aws_query_kind {
    AWS_QUERY_LIST,
    AWS_QUERY_STRUCT_LIST,
    AWS_QUERY_MAP,
    AWS_QUERY_STRUCT_MAP
} aws_query_kind;

typedef struct aws_query_member {
    const char *wire;
    const char *json;
    aws_query_kind kind;
    const char *key_name;   /* maps: "Name" or "Key" */
    const char *value_name; /* maps: "Value" */
    const char *action;     /* only for this operation; NULL: for all */
    /* Set for request members only, which responses then encode as AWS's
     * default wrapped lists (IAM's "Tags.member.N"). */
    int request_only;
} aws_query_member;

/* The Query protocol of a JSON service that also serves older clients. */
typedef struct aws_query_protocol {
    const char *xml_namespace;
    const aws_query_member *members;
    size_t member_count;
    /* The Query error code of an error, or NULL for its type name. */
    const char *(*error_code)(aws_code code);
    /* Set for services whose Query requests use wrapped lists throughout
     * (CloudWatch): members not in the table decode by their dotted names,
     * "Name.member.N" as a list and "Name.Member" as a nested structure. */
    int nested;
} aws_query_protocol;

typedef struct aws_service {
    const char *name;          /* "dynamodb", as in the health report */
    const char *signing_name;  /* SigV4 credential-scope service */
    const char *target_prefix; /* X-Amz-Target prefix before the '.' */
    const char *error_prefix;  /* prepended to __type, may be "" */
    aws_protocol protocol;
    const aws_operation *operations;
    size_t operation_count;
    /* Also served over the Query protocol when not NULL. */
    const aws_query_protocol *query;
    /* Called once per instance after the store opens; may be NULL. */
    int (*init)(struct stratus *srv, aws_error *err);
    /* Called once per instance before the store closes; may be NULL. */
    void (*cleanup)(struct stratus *srv);
    /*
     * IAM authorization of requests signed with credentials Stratus issued
     * (may be NULL: the service's requests are then not checked). Called
     * with index 0, 1, ... until it returns 0, it fills the `index`th
     * (action, resource ARN) pair the request needs. `action` arrives
     * holding the default action, which the hook may replace, as Lambda's
     * Invoke needs lambda:InvokeFunction. Returns 1 when it filled a pair.
     */
    int (*resource_arn)(const aws_request *req, size_t index, char *action,
                        size_t action_size, char *arn, size_t arn_size);
    /* Set by a service that decodes its own wire protocol (S3's REST-XML).
     * Once the dispatcher has chosen the service, it passes the request
     * here whole, and the service writes every response, errors included,
     * and sets `*needs_commit` as the dispatcher would. */
    void (*serve)(aws_request *req, struct http_response *resp,
                  int *needs_commit);
    /* Whether a request without a credential scope (no SigV4 Authorization
     * header, no X-Amz-Credential) belongs to this service; may be NULL. */
    int (*claims_unsigned)(const struct http_request *req);
} aws_service;

/* The services compiled into Stratus, in health-report order. */
extern const aws_service *const aws_services[];
extern const size_t aws_service_count;

const aws_service *aws_service_by_name(const char *name);
const aws_operation *aws_operation_find(const aws_service *svc,
                                        const char *name);

/*
 * Route, decode, run and encode one HTTP request. Every outcome, a client
 * error included, is written into `resp`, unless the handler deferred the
 * response. The handler runs inside a store savepoint, and `*needs_commit`
 * reports whether the response may leave only after the turn's commit.
 */
void aws_dispatch(struct stratus *srv, const struct http_request *req,
                  struct http_response *resp, int *needs_commit);

/*
 * Extract the access key, region and service from a SigV4 Authorization
 * header or X-Amz-Credential query value. Returns 0 when found. Buffers are
 * NUL-terminated and truncated to their size.
 */
int aws_sigv4_scope(const char *credential, char *access_key, size_t ak_size,
                    char *region, size_t region_size, char *service,
                    size_t service_size);

/* The account of an access key: a 12-digit key is that account. */
void aws_account_for_key(const char *access_key, char out[13]);

/*
 * Match a request path against a REST operation's template, adding the
 * percent-decoded path parameters to the object `params`. Returns 1 on a
 * match, 0 otherwise (`params` may then hold partial matches).
 */
int aws_path_match(const char *tmpl, const char *path, cJSON *params);

/* Render an error as the body and headers of `protocol`. */
void aws_error_render(const aws_service *svc, const aws_error *err,
                      const char *request_id, struct http_response *resp);

#endif
