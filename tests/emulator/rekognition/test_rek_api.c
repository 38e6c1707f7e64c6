/*
 * test_rek_api.c: the Rekognition stand-in through the dispatcher:
 * answers chosen by image digest, the default answer, MaxLabels and
 * MinConfidence, and AWS's errors for bad images and parameters. Also
 * checks that the committed fixtures agree with the card images.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>

#include "aws.h"
#include "fixtures.h"
#include "http.h"
#include "rek.h"
#include "ts.h"
#include "util.h"

#define CARDS STRATUS_SOURCE_DIR "/fixtures/cards/"

static stratus *srv;

static void setup(void)
{
    srv = ts_new();
}

static void teardown(void)
{
    ts_free(srv);
    unsetenv("STRATUS_FIXTURES_DIR");
}

TestSuite(rek_api, .init = setup, .fini = teardown);

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    strbuf b;
    strbuf_init(&b);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        strbuf_append(&b, chunk, n);
    fclose(f);
    return strbuf_take(&b, len);
}

static char *base64(const unsigned char *data, size_t len)
{
    char *out = xmalloc(4 * ((len + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

/* A request body {"Image": {"Bytes": <file>}} plus `extra` members. */
static char *bytes_request(const unsigned char *data, size_t len,
                           const char *extra)
{
    char *b64 = base64(data, len);
    strbuf b;
    strbuf_init(&b);
    strbuf_printf(&b, "{\"Image\":{\"Bytes\":\"%s\"}%s%s}", b64,
                  extra ? "," : "", extra ? extra : "");
    free(b64);
    return strbuf_take(&b, NULL);
}

static cJSON *call_with_file(const char *op, const char *file,
                             const char *extra, int *status)
{
    size_t len;
    char target[64];
    char *data = read_file(file, &len);
    char *body = bytes_request((unsigned char *)data, len, extra);
    snprintf(target, sizeof target, "RekognitionService.%s", op);
    cJSON *out = ts_call(srv, target, body, status);
    free(data);
    free(body);
    return out;
}

static const char *str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static const cJSON *find_label(const cJSON *out, const char *name)
{
    const cJSON *label;
    cJSON_ArrayForEach(label, cJSON_GetObjectItemCaseSensitive(out, "Labels"))
    {
        if (strcmp(str(label, "Name"), name) == 0)
            return label;
    }
    return NULL;
}

Test(rek_api, detect_text_from_fixture)
{
    int status;
    cJSON *out = call_with_file("DetectText", CARDS "pikachu-ex-a1-096.jpg",
                                NULL, &status);
    cr_assert_eq(status, 200);
    cr_assert_str_eq(str(out, "TextModelVersion"), "3.0");
    const cJSON *first = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(out, "TextDetections"), 0);
    cr_assert_str_eq(str(first, "DetectedText"), "Pikachu ex");
    cr_assert_str_eq(str(first, "Type"), "LINE");
    const cJSON *box = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(first, "Geometry"), "BoundingBox");
    cr_assert_lt(num(box, "Top"), 0.3);
    cr_assert_gt(num(first, "Confidence"), 90);
    cr_assert_leq(num(first, "Confidence"), 100);
    cJSON_Delete(out);
}

Test(rek_api, detect_text_png_and_words)
{
    int status;
    int words = 0;
    cJSON *out = call_with_file("DetectText", CARDS "charizard-ex-a1-036.png",
                                NULL, &status);
    cr_assert_eq(status, 200);
    const cJSON *d;
    cJSON_ArrayForEach(d,
                       cJSON_GetObjectItemCaseSensitive(out, "TextDetections"))
    {
        if (strcmp(str(d, "Type"), "WORD") == 0) {
            words++;
            cr_assert_geq(num(d, "ParentId"), 0);
        }
    }
    cr_assert_gt(words, 4);
    cJSON_Delete(out);
}

Test(rek_api, detect_labels_filters)
{
    int status;
    cJSON *out =
        call_with_file("DetectLabels", CARDS "charmander-a2b-099.jpg",
                       "\"MaxLabels\":50,\"MinConfidence\":70", &status);
    cr_assert_eq(status, 200);
    cr_assert_not_null(find_label(out, "Shiny"));
    cr_assert_null(find_label(out, "Poster"), "62%% is below MinConfidence");
    cr_assert_str_eq(str(out, "LabelModelVersion"), "3.0");
    double previous = 101;
    const cJSON *label;
    cJSON_ArrayForEach(label, cJSON_GetObjectItemCaseSensitive(out, "Labels"))
    {
        cr_assert_leq(num(label, "Confidence"), previous);
        previous = num(label, "Confidence");
    }
    cJSON_Delete(out);

    out = call_with_file("DetectLabels", CARDS "charmander-a2b-099.jpg",
                         "\"MaxLabels\":2", &status);
    cr_assert_eq(
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "Labels")), 2);
    cJSON_Delete(out);
}

Test(rek_api, detect_labels_default_min_confidence)
{
    int status;
    cJSON *out = call_with_file("DetectLabels", CARDS "pikachu-ex-a1-096.jpg",
                                NULL, &status);
    cr_assert_eq(status, 200);
    cr_assert_not_null(find_label(out, "Poster"), "62%% passes the default 55");
    cr_assert_null(find_label(out, "Shiny"));
    cJSON_Delete(out);
}

Test(rek_api, unknown_image_gets_default)
{
    static const unsigned char png[] = {0x89, 'P',  'N', 'G', '\r', '\n',
                                        0x1A, '\n', 0,   1,   2,    3};
    int status;
    char *body = bytes_request(png, sizeof png, NULL);
    cJSON *out = ts_call(srv, "RekognitionService.DetectText", body, &status);
    cr_assert_eq(status, 200);
    cr_assert_eq(cJSON_GetArraySize(
                     cJSON_GetObjectItemCaseSensitive(out, "TextDetections")),
                 0);
    cJSON_Delete(out);
    out = ts_call(srv, "RekognitionService.DetectLabels", body, &status);
    cr_assert_eq(status, 200);
    cr_assert_not_null(find_label(out, "Paper"));
    cJSON_Delete(out);
    free(body);
}

Test(rek_api, missing_default_gives_empty_answer)
{
    static const unsigned char jpeg[] = {0xFF, 0xD8, 0xFF, 0xE0, 1, 2};
    int status;
    setenv("STRATUS_FIXTURES_DIR", "/nonexistent-stratus-fixtures", 1);
    char *body = bytes_request(jpeg, sizeof jpeg, NULL);
    cJSON *out = ts_call(srv, "RekognitionService.DetectLabels", body, &status);
    cr_assert_eq(status, 200);
    cr_assert_eq(
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "Labels")), 0);
    cJSON_Delete(out);
    free(body);
}

Test(rek_api, text_file_is_invalid_format)
{
    int status;
    cJSON *out =
        call_with_file("DetectText", CARDS "not-an-image.jpg", NULL, &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(str(out, "__type"), "InvalidImageFormatException");
    cr_assert_str_eq(str(out, "message"), "Request has invalid image format");
    cr_assert_str_eq(str(out, "Code"), "InvalidImageFormatException");
    cr_assert_neq(str(out, "Logref")[0], '\0');
    cJSON_Delete(out);
}

Test(rek_api, missing_image_is_validation_error)
{
    int status;
    cJSON *out = ts_call(srv, "RekognitionService.DetectText", "{}", &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(str(out, "__type"), "ValidationException");
    cJSON_Delete(out);
}

Test(rek_api, both_sources_is_invalid_parameter)
{
    int status;
    cJSON *out = ts_call(srv, "RekognitionService.DetectText",
                         "{\"Image\":{\"Bytes\":\"/9j/\",\"S3Object\":"
                         "{\"Bucket\":\"b\",\"Name\":\"k\"}}}",
                         &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(str(out, "__type"), "InvalidParameterException");
    cr_assert_str_eq(str(out, "message"), "Request has invalid parameters");
    cJSON_Delete(out);
}

Test(rek_api, missing_s3_object)
{
    int status;
    cJSON *out = ts_call(srv, "RekognitionService.DetectLabels",
                         "{\"Image\":{\"S3Object\":{\"Bucket\":\"uploads\","
                         "\"Name\":\"missing.jpg\"}},\"MaxLabels\":50}",
                         &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(str(out, "__type"), "InvalidS3ObjectException");
    cr_assert_str_eq(str(out, "message"),
                     "Unable to get object metadata from S3. Check object "
                     "key, region and/or access permissions.");
    cJSON_Delete(out);
}

Test(rek_api, image_too_large)
{
    size_t len = REK_MAX_BYTES_IMAGE + 1;
    unsigned char *data = xcalloc(1, len);
    int status;
    data[0] = 0xFF;
    data[1] = 0xD8;
    data[2] = 0xFF;
    char *body = bytes_request(data, len, NULL);
    cJSON *out = ts_call(srv, "RekognitionService.DetectText", body, &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(str(out, "__type"), "ImageTooLargeException");
    cJSON_Delete(out);
    free(body);
    free(data);
}

Test(rek_api, invalid_base64)
{
    int status;
    cJSON *out = ts_call(srv, "RekognitionService.DetectText",
                         "{\"Image\":{\"Bytes\":\"not base64!\"}}", &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(str(out, "__type"), "SerializationException");
    cJSON_Delete(out);
}

Test(rek_api, parameter_ranges)
{
    int status;
    cJSON *out = call_with_file("DetectLabels", CARDS "pikachu-ex-a1-096.jpg",
                                "\"MaxLabels\":-1", &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(str(out, "__type"), "ValidationException");
    cJSON_Delete(out);
    out = call_with_file("DetectLabels", CARDS "pikachu-ex-a1-096.jpg",
                         "\"MinConfidence\":101", &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(str(out, "__type"), "ValidationException");
    cJSON_Delete(out);
}

Test(rek_api, other_operations_not_implemented)
{
    int status;
    cJSON *out = ts_call(srv, "RekognitionService.DetectFaces",
                         "{\"Image\":{\"Bytes\":\"/9j/\"}}", &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(str(out, "__type"), "NotImplementedException");
    cJSON_Delete(out);
}

/* Send an S3 request with a binary body through the dispatcher; returns
 * the HTTP status. */
static int s3_request(const char *method, const char *path, const char *body,
                      size_t len)
{
    http_header headers[] = {
        {"Host", "127.0.0.1:4566"},
        {"Authorization",
         "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/s3/"
         "aws4_request, SignedHeaders=host, Signature=00"},
    };
    http_request req = {
        .method = method,
        .path = path,
        .query = "",
        .headers = headers,
        .header_count = sizeof headers / sizeof *headers,
        .body = body,
        .body_len = len,
        .remote_addr = "127.0.0.1",
    };
    http_response resp;
    int needs_commit = 0;
    http_response_init(&resp);
    aws_dispatch(srv, &req, &resp, &needs_commit);
    stratus_turn_end(srv);
    int status = resp.status;
    http_response_cleanup(&resp);
    return status;
}

Test(rek_api, s3_object_image)
{
    size_t len;
    int status;
    char *data = read_file(CARDS "charmander-a2b-099.jpg", &len);
    cr_assert_eq(s3_request("PUT", "/uploads", "", 0), 200);
    cr_assert_eq(s3_request("PUT", "/uploads/u1/front.jpg", data, len), 200);
    free(data);

    cJSON *out = ts_call(srv, "RekognitionService.DetectLabels",
                         "{\"Image\":{\"S3Object\":{\"Bucket\":\"uploads\","
                         "\"Name\":\"u1/front.jpg\"}},\"MaxLabels\":50,"
                         "\"MinConfidence\":70}",
                         &status);
    cr_assert_eq(status, 200);
    cr_assert_not_null(find_label(out, "Shiny"));
    cJSON_Delete(out);

    data = read_file(CARDS "not-an-image.jpg", &len);
    cr_assert_eq(s3_request("PUT", "/uploads/u1/text.jpg", data, len), 200);
    free(data);
    out = ts_call(srv, "RekognitionService.DetectText",
                  "{\"Image\":{\"S3Object\":{\"Bucket\":\"uploads\","
                  "\"Name\":\"u1/text.jpg\"}}}",
                  &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(str(out, "__type"), "InvalidImageFormatException");
    cJSON_Delete(out);
}

/* Every card image has a fixture whose name line sits near the top, and
 * one card carries a label with "Shiny" for the holographic path. */
Test(rek_api, fixtures_match_card_images)
{
    cJSON *cards =
        ts_load_json(STRATUS_SOURCE_DIR "/fixtures/cards/cards.json", 0);
    int shiny = 0;
    cr_assert_not_null(cards);
    const cJSON *card;
    cJSON_ArrayForEach(card, cJSON_GetObjectItemCaseSensitive(cards, "cards"))
    {
        char path[512];
        size_t len;
        unsigned char digest[32];
        char hex[65];
        snprintf(path, sizeof path, CARDS "%s", str(card, "file"));
        char *data = read_file(path, &len);
        EVP_Digest(data, len, digest, NULL, EVP_sha256(), NULL);
        free(data);
        for (int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", digest[i]);
        snprintf(path, sizeof path,
                 STRATUS_SOURCE_DIR "/fixtures/rekognition/%s.json", hex);
        cJSON *fixture = ts_load_json(path, 0);
        cr_assert_not_null(fixture, "no fixture %s for %s", path,
                           str(card, "file"));
        const cJSON *first = cJSON_GetArrayItem(
            cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(fixture, "DetectText"),
                "TextDetections"),
            0);
        cr_assert_str_eq(str(first, "DetectedText"), str(card, "name"));
        const cJSON *labels =
            cJSON_GetObjectItemCaseSensitive(fixture, "DetectLabels");
        if (find_label(labels, "Shiny"))
            shiny++;
        cJSON_Delete(fixture);
    }
    cr_assert_eq(shiny, 1);
    cJSON_Delete(cards);
}
