/*
 * rek.c: the Rekognition stand-in: DetectText and DetectLabels.
 *
 * The image comes from Image.Bytes (base64 in JSON) or from
 * Image.S3Object {Bucket, Name}, read from Stratus's own S3. Only JPEG and
 * PNG bytes are accepted, as in AWS. The response is the fixture
 * rekognition/<sha256 of the image>.json, with the members "DetectText" and
 * "DetectLabels" holding each operation's response; an image without a
 * fixture gets rekognition/default.json. DetectLabels applies MaxLabels and
 * MinConfidence to the fixture's labels. Nothing is analysed: the stand-in
 * only replays what the fixtures contain.
 *
 * Not modelled: DetectText Filters, DetectLabels Features and Settings
 * (image properties), S3 object versions, image dimension limits.
 */
#include "rek.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ddb_value.h"
#include "fixtures.h"
#include "log.h"
#include "s3.h"
#include "util.h"

/* AWS's default MinConfidence of DetectLabels, in percent. */
#define REK_DEFAULT_MIN_CONFIDENCE 55.0

/* Put Rekognition's extra error members (Code, Logref) on `err`. */
static void rek_error_members(aws_error *err, const char *request_id)
{
    cJSON_Delete(err->extra);
    err->extra = cJSON_CreateObject();
    cJSON_AddStringToObject(err->extra, "Code", aws_code_name(err->code));
    cJSON_AddStringToObject(err->extra, "Logref", request_id);
}

static int rek_is_jpeg(const unsigned char *data, size_t len)
{
    return len >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;
}

static int rek_is_png(const unsigned char *data, size_t len)
{
    static const unsigned char magic[8] = {0x89, 'P',  'N',  'G',
                                           '\r', '\n', 0x1A, '\n'};
    return len >= sizeof magic && memcmp(data, magic, sizeof magic) == 0;
}

/* Read the S3 object of Image.S3Object into `*data`. */
static int rek_s3_image(aws_request *req, const cJSON *s3, unsigned char **data,
                        size_t *len, aws_error *err)
{
    const cJSON *bucket = cJSON_GetObjectItemCaseSensitive(s3, "Bucket");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(s3, "Name");

    if (!cJSON_IsObject(s3) || !cJSON_IsString(bucket) ||
        !cJSON_IsString(name) || bucket->valuestring[0] == '\0' ||
        name->valuestring[0] == '\0')
        return aws_fail(err, AWS_ERR_REK_INVALID_PARAMETER, NULL);
    aws_error s3_err;
    memset(&s3_err, 0, sizeof s3_err);
    if (s3_object_read(req->srv, req->account, bucket->valuestring,
                       name->valuestring, data, len, &s3_err) != 0) {
        log_at(LOG_INFO, "rekognition", req->request_id,
               "cannot read s3://%s/%s: %s %s", bucket->valuestring,
               name->valuestring, aws_code_name(s3_err.code), s3_err.message);
        aws_error_reset(&s3_err);
        return aws_fail(err, AWS_ERR_REK_INVALID_S3_OBJECT, NULL);
    }
    if (*len > REK_MAX_S3_IMAGE) {
        free(*data);
        *data = NULL;
        return aws_fail(err, AWS_ERR_REK_IMAGE_TOO_LARGE,
                        "Image size is too large: %zu bytes, the limit for "
                        "S3 objects is %u bytes.",
                        *len, REK_MAX_S3_IMAGE);
    }
    return 0;
}

/*
 * Decode the request's Image into `*data` (malloc'ed, the caller frees it)
 * and check that it is a JPEG or PNG image within the size limits.
 */
static int rek_image(aws_request *req, unsigned char **data, size_t *len,
                     aws_error *err)
{
    const cJSON *image = cJSON_GetObjectItemCaseSensitive(req->body, "Image");
    const cJSON *bytes = cJSON_GetObjectItemCaseSensitive(image, "Bytes");
    const cJSON *s3 = cJSON_GetObjectItemCaseSensitive(image, "S3Object");

    *data = NULL;
    *len = 0;
    if (!image || cJSON_IsNull(image))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value null at 'image' "
                        "failed to satisfy constraint: Member must not be "
                        "null");
    if (!cJSON_IsObject(image))
        return aws_fail(err, AWS_ERR_SERIALIZATION,
                        "Start of structure or map found where not expected.");
    /* Exactly one of the two image sources. */
    if ((bytes != NULL) == (s3 != NULL))
        return aws_fail(err, AWS_ERR_REK_INVALID_PARAMETER, NULL);

    if (bytes) {
        if (!cJSON_IsString(bytes))
            return aws_fail(err, AWS_ERR_SERIALIZATION,
                            "Image.Bytes must be a base64 string");
        *data = ddb_base64_decode(bytes->valuestring, len);
        if (!*data)
            return aws_fail(err, AWS_ERR_SERIALIZATION,
                            "Image.Bytes is not valid base64");
        if (*len == 0)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "1 validation error detected: Value at "
                            "'image.bytes' failed to satisfy constraint: "
                            "Member must have length greater than or equal "
                            "to 1");
        if (*len > REK_MAX_BYTES_IMAGE)
            return aws_fail(err, AWS_ERR_REK_IMAGE_TOO_LARGE,
                            "Image size is too large: %zu bytes, the limit "
                            "for Image.Bytes is %u bytes.",
                            *len, REK_MAX_BYTES_IMAGE);
    } else if (rek_s3_image(req, s3, data, len, err) != 0) {
        return -1;
    }

    if (!rek_is_jpeg(*data, *len) && !rek_is_png(*data, *len))
        return aws_fail(err, AWS_ERR_REK_INVALID_IMAGE_FORMAT, NULL);
    return 0;
}

/* The fixture of an image: its digest's file, else default.json, else an
 * response with no text and no labels. */
static cJSON *rek_fixture(aws_request *req, const unsigned char *data,
                          size_t len)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    char relpath[200];
    char errbuf[512];
    int missing = 0;

    EVP_Digest(data, len, digest, &digest_len, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < digest_len; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    snprintf(relpath, sizeof relpath, "rekognition/%s.json", hex);

    cJSON *fixture =
        fixtures_load_json(relpath, &missing, errbuf, sizeof errbuf);
    if (fixture) {
        log_at(LOG_DEBUG, "rekognition", req->request_id,
               "image %s: responding from its fixture", hex);
        return fixture;
    }
    if (!missing)
        log_at(LOG_WARN, "rekognition", req->request_id, "%s", errbuf);
    fixture = fixtures_load_json("rekognition/default.json", &missing, errbuf,
                                 sizeof errbuf);
    if (fixture) {
        log_at(LOG_DEBUG, "rekognition", req->request_id,
               "image %s has no fixture: responding from default.json", hex);
        return fixture;
    }
    log_at(LOG_WARN, "rekognition", req->request_id,
           "%s; responding with no text and no labels", errbuf);
    return cJSON_CreateObject();
}

/* Load the fixture of the request's image and detach the member `op`. */
static cJSON *rek_answer(aws_request *req, const char *op, aws_error *err)
{
    unsigned char *data = NULL;
    size_t len = 0;

    if (rek_image(req, &data, &len, err) != 0) {
        free(data);
        return NULL;
    }
    cJSON *fixture = rek_fixture(req, data, len);
    free(data);
    cJSON *answer = cJSON_DetachItemFromObjectCaseSensitive(fixture, op);
    cJSON_Delete(fixture);
    if (!cJSON_IsObject(answer)) {
        cJSON_Delete(answer);
        answer = cJSON_CreateObject();
    }
    return answer;
}

static cJSON *rek_op_detect_text(aws_request *req, aws_error *err)
{
    cJSON *answer = rek_answer(req, "DetectText", err);
    if (!answer) {
        rek_error_members(err, req->request_id);
        return NULL;
    }
    if (!cJSON_GetObjectItemCaseSensitive(answer, "TextDetections"))
        cJSON_AddArrayToObject(answer, "TextDetections");
    if (!cJSON_GetObjectItemCaseSensitive(answer, "TextModelVersion"))
        cJSON_AddStringToObject(answer, "TextModelVersion", "3.0");
    return answer;
}

static double rek_label_confidence(const cJSON *label)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(label, "Confidence");
    return cJSON_IsNumber(c) ? c->valuedouble : 0.0;
}

/* Order labels by descending confidence, as AWS returns them. */
static int rek_label_compare(const void *a, const void *b)
{
    double ca = rek_label_confidence(*(cJSON *const *)a);
    double cb = rek_label_confidence(*(cJSON *const *)b);
    return (ca < cb) - (ca > cb);
}

/* Keep the labels of at least `min_confidence`, at most `max_labels` of
 * them (negative: no limit), highest confidence first. */
static void rek_labels_filter(cJSON *answer, double min_confidence,
                              long max_labels)
{
    cJSON *labels = cJSON_DetachItemFromObjectCaseSensitive(answer, "Labels");
    cJSON *filtered = cJSON_AddArrayToObject(answer, "Labels");
    size_t count = (size_t)cJSON_GetArraySize(labels);
    cJSON **sorted = xcalloc(count ? count : 1, sizeof *sorted);
    size_t n = 0;

    for (cJSON *label = labels ? labels->child : NULL; label;
         label = label->next)
        if (cJSON_IsObject(label) &&
            rek_label_confidence(label) >= min_confidence)
            sorted[n++] = label;
    qsort(sorted, n, sizeof *sorted, rek_label_compare);
    for (size_t i = 0; i < n && (max_labels < 0 || (long)i < max_labels); i++)
        cJSON_AddItemToArray(filtered, cJSON_Duplicate(sorted[i], 1));
    free(sorted);
    cJSON_Delete(labels);
}

/* Read MaxLabels and MinConfidence into `*max_labels` (-1 when absent)
 * and `*min_confidence`. */
static int rek_label_params(const cJSON *body, long *max_labels,
                            double *min_confidence, aws_error *err)
{
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(body, "MaxLabels");
    const cJSON *min = cJSON_GetObjectItemCaseSensitive(body, "MinConfidence");

    *max_labels = -1;
    *min_confidence = REK_DEFAULT_MIN_CONFIDENCE;
    if (max && !cJSON_IsNull(max)) {
        if (!cJSON_IsNumber(max) ||
            max->valuedouble != (double)(long)max->valuedouble)
            return aws_fail(err, AWS_ERR_SERIALIZATION,
                            "MaxLabels must be an integer");
        if (max->valuedouble < 0)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "1 validation error detected: Value '%ld' at "
                            "'maxLabels' failed to satisfy constraint: "
                            "Member must have value greater than or equal "
                            "to 0",
                            (long)max->valuedouble);
        *max_labels = (long)max->valuedouble;
    }
    if (min && !cJSON_IsNull(min)) {
        if (!cJSON_IsNumber(min))
            return aws_fail(err, AWS_ERR_SERIALIZATION,
                            "MinConfidence must be a number");
        if (min->valuedouble < 0 || min->valuedouble > 100)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "1 validation error detected: Value '%g' at "
                            "'minConfidence' failed to satisfy constraint: "
                            "Member must have value %s",
                            min->valuedouble,
                            min->valuedouble < 0 ? "greater than or equal to 0"
                                                 : "less than or equal to 100");
        *min_confidence = min->valuedouble;
    }
    return 0;
}

static cJSON *rek_op_detect_labels(aws_request *req, aws_error *err)
{
    double min_confidence;
    long max_labels;
    cJSON *answer = NULL;

    /* The parameters are checked before the image is read. */
    if (rek_label_params(req->body, &max_labels, &min_confidence, err) == 0)
        answer = rek_answer(req, "DetectLabels", err);
    if (!answer) {
        rek_error_members(err, req->request_id);
        return NULL;
    }
    rek_labels_filter(answer, min_confidence, max_labels);
    if (!cJSON_GetObjectItemCaseSensitive(answer, "LabelModelVersion"))
        cJSON_AddStringToObject(answer, "LabelModelVersion", "3.0");
    return answer;
}

/* Every operation of the Rekognition API (2016-06-27), in name order. */
static const aws_operation rek_operations[] = {
    {"AssociateFaces", NULL},
    {"CompareFaces", NULL},
    {"CopyProjectVersion", NULL},
    {"CreateCollection", NULL},
    {"CreateDataset", NULL},
    {"CreateFaceLivenessSession", NULL},
    {"CreateProject", NULL},
    {"CreateProjectVersion", NULL},
    {"CreateStreamProcessor", NULL},
    {"CreateUser", NULL},
    {"DeleteCollection", NULL},
    {"DeleteDataset", NULL},
    {"DeleteFaces", NULL},
    {"DeleteProject", NULL},
    {"DeleteProjectPolicy", NULL},
    {"DeleteProjectVersion", NULL},
    {"DeleteStreamProcessor", NULL},
    {"DeleteUser", NULL},
    {"DescribeCollection", NULL},
    {"DescribeDataset", NULL},
    {"DescribeProjectVersions", NULL},
    {"DescribeProjects", NULL},
    {"DescribeStreamProcessor", NULL},
    {"DetectCustomLabels", NULL},
    {"DetectFaces", NULL},
    {"DetectLabels", rek_op_detect_labels},
    {"DetectModerationLabels", NULL},
    {"DetectProtectiveEquipment", NULL},
    {"DetectText", rek_op_detect_text},
    {"DisassociateFaces", NULL},
    {"DistributeDatasetEntries", NULL},
    {"GetCelebrityInfo", NULL},
    {"GetCelebrityRecognition", NULL},
    {"GetContentModeration", NULL},
    {"GetFaceDetection", NULL},
    {"GetFaceLivenessSessionResults", NULL},
    {"GetFaceSearch", NULL},
    {"GetLabelDetection", NULL},
    {"GetMediaAnalysisJob", NULL},
    {"GetPersonTracking", NULL},
    {"GetSegmentDetection", NULL},
    {"GetTextDetection", NULL},
    {"IndexFaces", NULL},
    {"ListCollections", NULL},
    {"ListDatasetEntries", NULL},
    {"ListDatasetLabels", NULL},
    {"ListFaces", NULL},
    {"ListMediaAnalysisJobs", NULL},
    {"ListProjectPolicies", NULL},
    {"ListStreamProcessors", NULL},
    {"ListTagsForResource", NULL},
    {"ListUsers", NULL},
    {"PutProjectPolicy", NULL},
    {"RecognizeCelebrities", NULL},
    {"SearchFaces", NULL},
    {"SearchFacesByImage", NULL},
    {"SearchUsers", NULL},
    {"SearchUsersByImage", NULL},
    {"StartCelebrityRecognition", NULL},
    {"StartContentModeration", NULL},
    {"StartFaceDetection", NULL},
    {"StartFaceSearch", NULL},
    {"StartLabelDetection", NULL},
    {"StartMediaAnalysisJob", NULL},
    {"StartPersonTracking", NULL},
    {"StartProjectVersion", NULL},
    {"StartSegmentDetection", NULL},
    {"StartStreamProcessor", NULL},
    {"StartTextDetection", NULL},
    {"StopProjectVersion", NULL},
    {"StopStreamProcessor", NULL},
    {"TagResource", NULL},
    {"UntagResource", NULL},
    {"UpdateDatasetEntries", NULL},
    {"UpdateStreamProcessor", NULL},
};

/* DetectText and DetectLabels name no resource ARN: their IAM resource is
 * "*", as AWS documents for these actions. */
static int rek_resource_arn(const aws_request *req, size_t index, char *action,
                            size_t action_size, char *arn, size_t arn_size)
{
    (void)req;
    (void)action;
    (void)action_size;
    if (index > 0)
        return 0;
    snprintf(arn, arn_size, "*");
    return 1;
}

const aws_service rek_service = {
    .name = "rekognition",
    .signing_name = "rekognition",
    .target_prefix = "RekognitionService",
    .error_prefix = "",
    .protocol = AWS_PROTO_JSON_1_1,
    .operations = rek_operations,
    .operation_count = sizeof rek_operations / sizeof *rek_operations,
    .resource_arn = rek_resource_arn,
};
