/*
 * test_evb_transform.c: InputTransformer rendering and validation, InputPath
 * and JSONPath, checked against AWS-recorded deliveries (the transformer
 * regression cases and the LocalStack snapshot of transformed messages) and
 * unit cases.
 *
 * The recorded data is read at run time from $STRATUS_SHARED_DIR; tests
 * that need it are skipped with a message when it is absent.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "evb_transform.h"

#define EVENTS_DIR "/conformance/localstack/tests/aws/services/events"

/* Read a whole file; NULL when unreadable. The caller frees it. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    size_t len = 0, cap = 0, n;

    if (!f) {
        return NULL;
    }
    do {
        if (len + 4096 + 1 > cap) {
            cap = (len + 4096 + 1) * 2;
            data = realloc(data, cap);
        }
        n = fread(data + len, 1, 4096, f);
        len += n;
    } while (n > 0);
    fclose(f);
    data[len] = '\0';
    return data;
}

static cJSON *parse(const char *json)
{
    cJSON *v = cJSON_Parse(json);
    cr_assert_not_null(v, "test JSON does not parse: %s", json);
    return v;
}

static const char *shared_dir_or_skip(void)
{
    const char *dir = getenv("STRATUS_SHARED_DIR");
    if (!dir || !*dir) {
        cr_skip_test("STRATUS_SHARED_DIR is not set: the AWS-recorded "
                     "transformer data is unavailable");
    }
    return dir;
}

/* Render `template` with `paths_map` (JSON text) for `event`. */
static char *render(const char *paths_map, const char *template,
                    const cJSON *event, const evb_transform_context *context)
{
    cJSON *transformer = cJSON_CreateObject();
    cJSON_AddItemToObject(transformer, "InputPathsMap", parse(paths_map));
    cJSON_AddStringToObject(transformer, "InputTemplate", template);
    char *out = evb_input_transformer_render(transformer, event, context, NULL);
    cJSON_Delete(transformer);
    return out;
}

/*
 * Check a rendered body against a recorded expectation: a JSON value the
 * body must parse to, a string the body must equal, or NULL when AWS
 * delivered nothing.
 */
static void expect_delivery(const char *label, const char *body,
                            const cJSON *expected_json,
                            const char *expected_text)
{
    int deliverable = evb_transform_output_is_deliverable(body, strlen(body));

    if (!expected_json && !expected_text) {
        cr_expect_eq(deliverable, 0, "%s: AWS delivers nothing, got %s", label,
                     body);
        return;
    }
    cr_expect_eq(deliverable, 1, "%s: body should be delivered: %s", label,
                 body);
    if (expected_text) {
        cr_expect_str_eq(body, expected_text, "%s", label);
        return;
    }
    cJSON *got = cJSON_Parse(body);
    cr_expect_not_null(got, "%s: body is not JSON: %s", label, body);
    if (got) {
        char *want = cJSON_PrintUnformatted(expected_json);
        cr_expect(cJSON_Compare(got, expected_json, 1),
                  "%s:\n  got:  %s\n  want: %s", label, body, want);
        free(want);
    }
    cJSON_Delete(got);
}

/* ---------------------------------------------------------------------- */
/* Regression cases                                                       */

static void run_case(const char *name, const cJSON *doc)
{
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(doc, "input");
    const cJSON *expected = cJSON_GetObjectItemCaseSensitive(doc, "expected");
    const cJSON *event = cJSON_GetObjectItemCaseSensitive(input, "event");
    const cJSON *paths =
        cJSON_GetObjectItemCaseSensitive(input, "InputPathsMap");
    const cJSON *single =
        cJSON_GetObjectItemCaseSensitive(input, "InputTemplate");
    const cJSON *templates =
        cJSON_GetObjectItemCaseSensitive(input, "templates");
    const cJSON *per_template =
        cJSON_GetObjectItemCaseSensitive(expected, "per_template");
    const cJSON *rule = cJSON_GetObjectItemCaseSensitive(input, "rule");
    char *paths_text = cJSON_PrintUnformatted(paths);
    char label[300];

    evb_transform_context context = {
        "arn:aws:events:us-east-1:123456789012:rule/my-bus/my-rule", "my-rule",
        NULL};
    if (rule) {
        context.rule_name =
            cJSON_GetObjectItemCaseSensitive(rule, "name")->valuestring;
    }

    int count = templates ? cJSON_GetArraySize(templates) : 1;
    for (int i = 0; i < count; i++) {
        const char *template =
            templates ? cJSON_GetArrayItem(templates, i)->valuestring
                      : single->valuestring;
        const cJSON *want =
            per_template ? cJSON_GetArrayItem(per_template, i) : expected;
        snprintf(label, sizeof label, "%s template %d", name, i);

        /* Every template passes PutTargets validation first. */
        cJSON *transformer = cJSON_CreateObject();
        cJSON_AddItemToObject(transformer, "InputPathsMap", parse(paths_text));
        cJSON_AddStringToObject(transformer, "InputTemplate", template);
        aws_error err = {0};
        cr_expect_eq(evb_input_transformer_validate(transformer, "t1", &err), 0,
                     "%s: %s", label, err.message);
        aws_error_reset(&err);
        cJSON_Delete(transformer);

        char *body = render(paths_text, template, event, &context);
        const cJSON *json =
            cJSON_GetObjectItemCaseSensitive(want, "target_body_json");
        const cJSON *text =
            cJSON_GetObjectItemCaseSensitive(want, "target_body_text");
        const cJSON *delivered =
            cJSON_GetObjectItemCaseSensitive(want, "delivered");
        const cJSON *shape =
            cJSON_GetObjectItemCaseSensitive(want, "target_body_json_shape");

        if (shape) {
            /* <aws.events.event> drops detail and renames detail-type. */
            cJSON *got = cJSON_Parse(body);
            cr_assert_not_null(got, "%s: body is not JSON: %s", label, body);
            const cJSON *original =
                cJSON_GetObjectItemCaseSensitive(got, "originalEvent");
            const cJSON *keys = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(shape, "originalEvent"),
                "keys_exactly");
            cr_expect_eq(cJSON_GetArraySize(original), cJSON_GetArraySize(keys),
                         "%s: key count", label);
            for (const cJSON *k = keys->child; k; k = k->next) {
                cr_expect_not_null(
                    cJSON_GetObjectItemCaseSensitive(original, k->valuestring),
                    "%s: originalEvent lacks %s", label, k->valuestring);
            }
            cr_expect(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(
                                        got, "originalEventJson"),
                                    event, 1),
                      "%s: originalEventJson differs from the event", label);
            cJSON_Delete(got);

            const cJSON *also = cJSON_GetObjectItemCaseSensitive(want, "also");
            char *text_body =
                render(paths_text,
                       cJSON_GetObjectItemCaseSensitive(also, "text_template")
                           ->valuestring,
                       event, &context);
            expect_delivery(
                label, text_body, NULL,
                cJSON_GetObjectItemCaseSensitive(also, "text_result")
                    ->valuestring);
            free(text_body);
        } else if (cJSON_IsFalse(delivered)) {
            expect_delivery(label, body, NULL, NULL);
        } else {
            expect_delivery(label, body, json, text ? text->valuestring : NULL);
        }
        free(body);
    }
    free(paths_text);
}

Test(evb_transform, regression_cases)
{
    const char *shared = shared_dir_or_skip();
    char dir_path[1024], path[1400];
    snprintf(dir_path, sizeof dir_path, "%s/cases/events", shared);
    DIR *dir = opendir(dir_path);
    if (!dir) {
        cr_skip_test("no regression cases at %s", dir_path);
    }

    size_t ran = 0;
    for (struct dirent *e; (e = readdir(dir));) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".json") != 0) {
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", dir_path, e->d_name);
        char *text = read_file(path);
        cr_assert_not_null(text, "cannot read %s", path);
        cJSON *doc = parse(text);
        free(text);
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");
        if (cJSON_IsString(kind) &&
            strcmp(kind->valuestring, "input-transformer") == 0) {
            run_case(e->d_name, doc);
            ran++;
        }
        cJSON_Delete(doc);
    }
    closedir(dir);
    fprintf(stderr, "evb_transform: %zu transformer regression cases run\n",
            ran);
    cr_expect(ran > 0, "no input-transformer cases in %s", dir_path);
}

/* ---------------------------------------------------------------------- */
/* Snapshot of transformed messages recorded against AWS                  */

/* The event detail and variables of LocalStack's recorded transformer
 * tests; systemstring names a path the event lacks. */
static const char *const recorded_event =
    "{\"version\":\"0\",\"id\":\"1\",\"detail-type\":"
    "\"core.update-account-command\",\"source\":"
    "\"core.update-account-command\",\"account\":\"111111111111\","
    "\"time\":\"date\",\"region\":\"us-east-1\",\"resources\":[],"
    "\"detail\":{\"command\":\"update-account\",\"payload\":{\"acc_id\":"
    "\"0a787ecb-4015\",\"sf_id\":\"baz\"},\"listsingle\":[\"HIGH\"],"
    "\"listmulti\":[\"ACTIVE\",\"INACTIVE\"],\"valid\":true}}";
static const char *const recorded_paths =
    "{\"userId\":\"$.detail.payload.acc_id\",\"payload\":\"$.detail.payload\","
    "\"listsingle\":\"$.detail.listsingle\",\"listmulti\":"
    "\"$.detail.listmulti\",\"systemstring\":\"$.detail.systemstring\","
    "\"valid\":\"$.detail.valid\"}";

Test(evb_transform, snapshot_nested_keys_replacement)
{
    const char *shared = shared_dir_or_skip();
    char path[1024];
    snprintf(path, sizeof path, "%s%s/test_events_inputs.snapshot.json", shared,
             EVENTS_DIR);
    char *text = read_file(path);
    if (!text) {
        cr_skip_test("no input snapshot at %s", path);
    }
    cJSON *snapshot = parse(text);
    free(text);
    cJSON *event = parse(recorded_event);

    const char *marker = "test_input_transformer_nested_keys_replacement[";
    size_t ran = 0, passed = 0;
    for (const cJSON *entry = snapshot->child; entry; entry = entry->next) {
        const char *key = entry->string;
        const char *open = strstr(key, marker);
        if (!open) {
            continue;
        }

        /* The template is the test parameter; "\n" in an id is a newline. */
        open += strlen(marker);
        size_t n = strlen(open) - 1;
        char *template = malloc(n + 1);
        size_t t = 0;
        for (size_t i = 0; i < n; i++) {
            if (open[i] == '\\' && open[i + 1] == 'n') {
                template[t++] = '\n';
                i++;
            } else {
                template[t++] = open[i];
            }
        }
        template[t] = '\0';

        const cJSON *content =
            cJSON_GetObjectItemCaseSensitive(entry, "recorded-content");
        const cJSON *messages = cJSON_GetObjectItemCaseSensitive(
            content, "input-transformed-messages");
        const cJSON *body_want = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetArrayItem(messages, 0), "Body");

        char *body = render(recorded_paths, template, event, NULL);
        int deliverable =
            evb_transform_output_is_deliverable(body, strlen(body));
        int ok;
        if (!body_want) {
            ok = !deliverable;
        } else if (cJSON_IsString(body_want)) {
            ok = deliverable && strcmp(body, body_want->valuestring) == 0;
        } else {
            cJSON *got = cJSON_Parse(body);
            ok = deliverable && got && cJSON_Compare(got, body_want, 1);
            cJSON_Delete(got);
        }
        cr_expect(ok, "template %s rendered %s", template, body);
        passed += ok;
        ran++;
        free(body);
        free(template);
    }
    fprintf(stderr,
            "evb_transform: %zu of %zu recorded template deliveries match\n",
            passed, ran);
    cr_expect(ran > 0, "no nested-keys entries in the snapshot");
    cJSON_Delete(event);
    cJSON_Delete(snapshot);
}

/* ---------------------------------------------------------------------- */
/* Unit cases                                                             */

Test(evb_transform, json_and_text_templates)
{
    cJSON *event = parse(recorded_event);
    struct {
        const char *template;
        const char *want;
    } cases[] = {
        {"{\"a\": <userId>}", "{\"a\": \"0a787ecb-4015\"}"},
        {"{\"a\": \"x-<userId>\"}", "{\"a\": \"x-0a787ecb-4015\"}"},
        {"{\"a\": <valid>, \"b\": <systemstring>}",
         "{\"a\": true, \"b\": \"\"}"},
        {"{\"a\": \"<listmulti>\"}", "{\"a\": \"[\"ACTIVE\",\"INACTIVE\"]\"}"},
        {"<userId> is <valid>", "0a787ecb-4015 is true"},
        {"\"<payload>\"", "\"{acc_id:0a787ecb-4015,sf_id:baz}\""},
        {"a < b and <notaplaceholder", "a < b and <notaplaceholder"},
        {"{\"s\": \"\\\"<userId>\\\"\"}", "{\"s\": \"\\\"0a787ecb-4015\\\"\"}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *body = render(recorded_paths, cases[i].template, event, NULL);
        cr_expect_str_eq(body, cases[i].want, "template %s", cases[i].template);
        free(body);
    }
    cJSON_Delete(event);
}

Test(evb_transform, unescaped_quote_breaks_json)
{
    cJSON *event = parse("{\"detail\":{\"name\":\"a \\\"b\\\"\"}}");
    char *body = render("{\"name\":\"$.detail.name\"}",
                        "{\"name\": \"<name>\"}", event, NULL);
    cr_expect_str_eq(body, "{\"name\": \"a \"b\"\"}");
    cr_expect_eq(evb_transform_output_is_deliverable(body, strlen(body)), 0);
    free(body);
    cJSON_Delete(event);
}

Test(evb_transform, reserved_variables)
{
    cJSON *event = parse(recorded_event);
    evb_transform_context context = {"arn:aws:events:us-east-1:1:rule/r", "r",
                                     "2026-01-01T00:00:00Z"};
    char *body = render("{}",
                        "\"<aws.events.rule-arn> <aws.events.rule-name> "
                        "<aws.events.event.ingestion-time>\"",
                        event, &context);
    cr_expect_str_eq(body, "\"arn:aws:events:us-east-1:1:rule/r r "
                           "2026-01-01T00:00:00Z\"");
    free(body);

    body = render("{}", "{\"e\": <aws.events.event>}", event, &context);
    cJSON *got = parse(body);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(got, "e");
    cr_expect_null(cJSON_GetObjectItemCaseSensitive(e, "detail"));
    cr_expect_str_eq(
        cJSON_GetObjectItemCaseSensitive(e, "detailType")->valuestring,
        "core.update-account-command");
    cr_expect_str_eq(cJSON_GetObjectItemCaseSensitive(e, "time")->valuestring,
                     "2026-01-01T00:00:00Z");
    cJSON_Delete(got);
    free(body);
    cJSON_Delete(event);
}

static const char *validate_message(const char *target_json)
{
    static char message[1024];
    cJSON *target = parse(target_json);
    aws_error err = {0};
    int rc = evb_target_input_validate(target, &err);
    snprintf(message, sizeof message, "%s", rc ? err.message : "");
    if (rc) {
        cr_expect_eq(err.code, AWS_ERR_VALIDATION);
    }
    aws_error_reset(&err);
    cJSON_Delete(target);
    return message;
}

Test(evb_transform, put_targets_validation)
{
    cr_expect_str_eq(
        validate_message(
            "{\"Id\":\"t1\",\"InputTransformer\":{"
            "\"InputPathsMap\":{\"a\":\"$.detail\"},"
            "\"InputTemplate\":\"{\\\"x\\\": <notdefinedkey>}\"}}"),
        "InputTemplate for target t1 contains invalid placeholder "
        "notdefinedkey.");
    cr_expect_str_eq(validate_message("{\"Id\":\"t1\",\"Input\":\"{}\","
                                      "\"InputPath\":\"$.detail\"}"),
                     "Only one of Input, InputPath, or InputTransformer must "
                     "be provided for target t1.");
    cr_expect_str_eq(
        validate_message("{\"Id\":\"t1\",\"InputTransformer\":{"
                         "\"InputTemplate\":\"<aws.events.event.json>\"}}"),
        "");
    cr_expect_str_eq(
        validate_message("{\"Id\":\"t1\",\"InputTransformer\":{"
                         "\"InputPathsMap\":{\"aws.events.rule-arn\":\"$\"},"
                         "\"InputTemplate\":\"x\"}}"),
        "InputPathsMap for target t1 has an invalid key aws.events.rule-arn: "
        "a key is 1 to 256 letters, digits, '_' or '-'.");
    cr_expect_str_eq(
        validate_message("{\"Id\":\"t1\",\"InputPath\":\"detail\"}"),
        "InputPath for target t1 is not a valid JSONPath.");

    /* InputPathsMap accepts at most 100 variables. */
    cJSON *target = parse("{\"Id\":\"t1\",\"InputTransformer\":{"
                          "\"InputTemplate\":\"x\",\"InputPathsMap\":{}}}");
    cJSON *map = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(target, "InputTransformer"),
        "InputPathsMap");
    for (int i = 0; i < 101; i++) {
        char name[16];
        snprintf(name, sizeof name, "v%d", i);
        cJSON_AddStringToObject(map, name, "$.detail");
    }
    aws_error err = {0};
    cr_expect_eq(evb_target_input_validate(target, &err), -1);
    aws_error_reset(&err);
    cJSON_DeleteItemFromObjectCaseSensitive(map, "v100");
    cr_expect_eq(evb_target_input_validate(target, &err), 0, "%s", err.message);
    aws_error_reset(&err);
    cJSON_Delete(target);
}

Test(evb_transform, json_path_and_input_path)
{
    cJSON *event = parse("{\"detail\":{\"a-b\":{\"c/d\":1},\"list\":[{\"x\":1},"
                         "{\"x\":2}]}}");
    char *text = evb_input_path_render("$.detail.a-b.c/d", event, NULL);
    cr_expect_str_eq(text, "1");
    free(text);
    text = evb_input_path_render("$.detail.list[1].x", event, NULL);
    cr_expect_str_eq(text, "2");
    free(text);
    text = evb_input_path_render("$.detail.list[*].x", event, NULL);
    cr_expect_str_eq(text, "[1,2]");
    free(text);
    text = evb_input_path_render("$['detail']['a-b']", event, NULL);
    cr_expect_str_eq(text, "{\"c/d\":1}");
    free(text);
    cr_expect_null(evb_input_path_render("$.detail.missing", event, NULL));
    cr_expect_eq(evb_json_path_is_valid("$"), 1);
    cr_expect_eq(evb_json_path_is_valid("$..x"), 0);
    cr_expect_eq(evb_json_path_is_valid("detail"), 0);
    cJSON_Delete(event);
}

/* The card-valuation rule's transformer: every placeholder sits inside a
 * JSON string, and optional detail members are often absent. */
static const char *const card_paths =
    "{\"cardId\":\"$.detail.cardId\",\"userId\":\"$.detail.userId\","
    "\"frontS3Key\":\"$.detail.frontS3Key\",\"backS3Key\":"
    "\"$.detail.backS3Key\",\"s3Bucket\":\"$.detail.s3Bucket\",\"name\":"
    "\"$.detail.name\",\"set\":\"$.detail.set\",\"number\":"
    "\"$.detail.number\",\"rarity\":\"$.detail.rarity\","
    "\"conditionEstimate\":\"$.detail.conditionEstimate\"}";
static const char *const card_template =
    "{\n  \"userId\": \"<userId>\",\n  \"cardId\": \"<cardId>\",\n"
    "  \"s3Keys\": {\"front\": \"<frontS3Key>\"},\n  \"cardMeta\": {\n"
    "    \"name\": \"<name>\", \"set\": \"<set>\", \"number\": \"<number>\",\n"
    "    \"rarity\": \"<rarity>\", \"conditionEstimate\": "
    "\"<conditionEstimate>\",\n    \"frontS3Key\": \"<frontS3Key>\"\n  },\n"
    "  \"requestId\": \"<cardId>\"\n}";

Test(evb_transform, card_template_with_absent_members)
{
    cJSON *event = parse(
        "{\"version\":\"0\",\"id\":\"e1\",\"detail-type\":\"CardCreated\","
        "\"source\":\"collectiq.cards\",\"detail\":{\"cardId\":\"c-1\","
        "\"userId\":\"u-1\",\"frontS3Key\":\"uploads/u-1/front.jpg\"}}");
    char *body = render(card_paths, card_template, event, NULL);

    cr_assert_eq(evb_transform_output_is_deliverable(body, strlen(body)), 1,
                 "%s", body);
    cJSON *got = parse(body);
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(got, "cardMeta");
    cr_expect_str_eq(
        cJSON_GetObjectItemCaseSensitive(meta, "name")->valuestring, "");
    cr_expect_str_eq(
        cJSON_GetObjectItemCaseSensitive(got, "requestId")->valuestring, "c-1");
    cr_expect_str_eq(
        cJSON_GetObjectItemCaseSensitive(meta, "frontS3Key")->valuestring,
        "uploads/u-1/front.jpg");
    cJSON_Delete(got);
    free(body);
    cJSON_Delete(event);

    /* A quote in a card name is not escaped, so AWS drops the delivery. */
    event = parse("{\"detail\":{\"cardId\":\"c-2\",\"userId\":\"u\","
                  "\"name\":\"Charizard \\\"Holo\\\"\"}}");
    body = render(card_paths, card_template, event, NULL);
    cr_expect_eq(evb_transform_output_is_deliverable(body, strlen(body)), 0,
                 "%s", body);
    free(body);
    cJSON_Delete(event);
}
