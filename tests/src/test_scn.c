/*
 * test_scn.c: the scenario runner's pieces (YAML loading with line
 * numbers, validation, durations, `${...}` substitution, paths and
 * matchers) and whole runs of small scenarios through scn_main.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "scn.h"
#include "scn_query.h"
#include "ts.h"

static int parse(scn_doc *doc, const char *text, char *errbuf, size_t size)
{
    return scn_doc_parse(doc, text, strlen(text), errbuf, size);
}

/* ---- YAML loading ---- */

Test(scn_doc, syntax_error_names_line)
{
    scn_doc doc;
    char err[256];
    cr_assert_eq(
        parse(&doc, "name: x\nsteps:\n  - a: b\n c: d\n", err, sizeof err), -1);
    cr_assert_str_eq(err, "line 4: invalid YAML: did not find expected key");
    scn_doc_free(&doc);
    cr_assert_eq(parse(&doc, "name: x\n\tsteps: 1\n", err, sizeof err), -1);
    cr_assert(strncmp(err, "line 2: invalid YAML: found a tab", 33) == 0,
              "got: %s", err);
    scn_doc_free(&doc);
}

Test(scn_doc, duplicate_key_names_line)
{
    scn_doc doc;
    char err[256];
    cr_assert_eq(parse(&doc, "name: x\nsteps: []\nname: y\n", err, sizeof err),
                 -1);
    cr_assert_str_eq(err, "line 3: duplicate key \"name\"");
    scn_doc_free(&doc);
}

Test(scn_doc, alias_rejected)
{
    scn_doc doc;
    char err[256];
    cr_assert_eq(parse(&doc, "a: &x 1\nb: *x\n", err, sizeof err), -1);
    cr_assert(strstr(err, "line 2:") && strstr(err, "aliases"), "got: %s", err);
    scn_doc_free(&doc);
}

Test(scn_doc, lines_of_nodes)
{
    scn_doc doc;
    char err[256];
    cr_assert_eq(
        parse(&doc, "name: x\nsteps:\n  - advance: 30s\n", err, sizeof err), 0,
        "%s", err);
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(doc.root, "steps");
    const cJSON *advance =
        cJSON_GetObjectItemCaseSensitive(steps->child, "advance");
    cr_assert_eq(scn_doc_line(&doc, advance), 3);
    cr_assert_eq(scn_doc_line(&doc, steps->child), 3);
    cr_assert_eq(scn_doc_line(&doc, NULL), 0);
    scn_doc_free(&doc);
}

Test(scn_doc, json_tag_and_scalars)
{
    scn_doc doc;
    char err[256];
    cr_assert_eq(parse(&doc,
                       "input: !json {a: 1, b: [x, true]}\nn: 5\ns: \"5\"\n"
                       "t: true\nz: ~\n",
                       err, sizeof err),
                 0, "%s", err);
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(doc.root, "input");
    cr_assert(cJSON_IsString(input));
    cr_assert_str_eq(input->valuestring, "{\"a\":1,\"b\":[\"x\",true]}");
    cr_assert_eq(scn_doc_line(&doc, input), 1);
    cr_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(doc.root, "n")));
    cr_assert(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(doc.root, "s")));
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc.root, "t")));
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(doc.root, "z")));
    scn_doc_free(&doc);
}

Test(scn_doc, empty_file)
{
    scn_doc doc;
    char err[256];
    cr_assert_eq(parse(&doc, "", err, sizeof err), -1);
    cr_assert_str_eq(err, "line 1: the file is empty");
    scn_doc_free(&doc);
}

/* ---- validation ---- */

static void expect_invalid(const char *text, const char *message)
{
    scn_doc doc;
    char err[512];
    cr_assert_eq(parse(&doc, text, err, sizeof err), 0, "%s", err);
    cr_assert_eq(scn_validate(&doc, err, sizeof err), -1, "accepted: %s", text);
    cr_assert(strncmp(err, message, strlen(message)) == 0,
              "expected \"%s...\", got \"%s\"", message, err);
    scn_doc_free(&doc);
}

Test(scn_validate, unknown_top_key)
{
    expect_invalid("name: x\nsteps: []\nstep: []\n",
                   "line 3: unknown key \"step\"");
}

Test(scn_validate, missing_name)
{
    expect_invalid("steps: []\n", "line 1: the scenario needs a name");
}

Test(scn_validate, step_without_kind)
{
    expect_invalid("name: x\nsteps:\n  - settle: 1m\n  - name: lonely\n",
                   "line 4: the step has no kind");
}

Test(scn_validate, step_with_two_kinds)
{
    expect_invalid("name: x\nsteps:\n  - advance: 1s\n    settle: true\n",
                   "line 4: a step has one kind, this one has advance and "
                   "settle");
}

Test(scn_validate, bad_advance_duration)
{
    expect_invalid("name: x\nsteps:\n  - settle: true\n  - advance: soon\n",
                   "line 4: advance takes a duration such as 30s, got soon");
}

Test(scn_validate, unknown_setup_key)
{
    expect_invalid("name: x\nsetup:\n  env: {}\n  fault: {}\nsteps: []\n",
                   "line 4: unknown setup key \"fault\"");
}

Test(scn_validate, aws_step_needs_operation)
{
    expect_invalid("name: x\nsteps:\n  - aws: {service: sqs}\n",
                   "line 3: an aws step needs service and operation");
}

Test(scn_validate, accepts_valid)
{
    scn_doc doc;
    char err[512];
    cr_assert_eq(parse(&doc,
                       "name: ok\nstack: none\nsteps:\n"
                       "  - aws: {service: sqs, operation: ListQueues}\n"
                       "    expect: {status: 200}\n    save: q\n"
                       "  - advance: 30s\n  - settle: {max: 2m}\n"
                       "  - elapsed: 30s\n",
                       err, sizeof err),
                 0, "%s", err);
    cr_assert_eq(scn_validate(&doc, err, sizeof err), 0, "%s", err);
    scn_doc_free(&doc);
}

/* ---- durations ---- */

Test(scn_duration, units)
{
    int64_t ms;
    cr_assert_eq(scn_duration_parse("30s", &ms), 0);
    cr_assert_eq(ms, 30000);
    cr_assert_eq(scn_duration_parse("250ms", &ms), 0);
    cr_assert_eq(ms, 250);
    cr_assert_eq(scn_duration_parse("1.5m", &ms), 0);
    cr_assert_eq(ms, 90000);
    cr_assert_eq(scn_duration_parse("24h", &ms), 0);
    cr_assert_eq(ms, 86400000);
    cr_assert_eq(scn_duration_parse("2d", &ms), 0);
    cr_assert_eq(ms, 172800000);
    cr_assert_eq(scn_duration_parse("14", &ms), 0);
    cr_assert_eq(ms, 14000);
}

Test(scn_duration, invalid)
{
    int64_t ms = 7;
    cr_assert_eq(scn_duration_parse("", &ms), -1);
    cr_assert_eq(scn_duration_parse("soon", &ms), -1);
    cr_assert_eq(scn_duration_parse("5 weeks", &ms), -1);
    cr_assert_eq(scn_duration_parse("-3s", &ms), -1);
    cr_assert_eq(ms, 7);
}

Test(scn_duration, out_of_range)
{
    int64_t ms = 7;
    cr_assert_eq(scn_duration_parse("1e308s", &ms), -1);
    cr_assert_eq(scn_duration_parse("99999999999999999999d", &ms), -1);
    cJSON *huge = cJSON_CreateNumber(1e300);
    cr_assert_eq(scn_duration_value(huge, &ms), -1);
    cJSON_Delete(huge);
    cr_assert_eq(ms, 7);
    cr_assert_eq(scn_duration_parse("36500d", &ms), 0);
    cr_assert_eq(ms, 36500LL * 86400000);
}

Test(scn_duration, yaml_values)
{
    int64_t ms;
    cJSON *n = cJSON_CreateNumber(2.5);
    cr_assert_eq(scn_duration_value(n, &ms), 0);
    cr_assert_eq(ms, 2500);
    cJSON_Delete(n);
    cJSON *b = cJSON_CreateTrue();
    cr_assert_eq(scn_duration_value(b, &ms), -1);
    cJSON_Delete(b);
}

/* ---- substitution ---- */

static cJSON *vars(void)
{
    return cJSON_Parse("{\"start\":{\"executionArn\":\"arn:x\",\"n\":3,"
                       "\"list\":[{\"id\":\"a\"},{\"id\":\"b\"}]},"
                       "\"region\":\"us-east-1\"}");
}

Test(scn_substitute, whole_reference_keeps_type)
{
    cJSON *v = vars();
    cJSON *in = cJSON_Parse("{\"a\":\"${start.n}\",\"b\":\"${start.list}\"}");
    char err[256];
    cJSON *out = scn_substitute(in, v, err, sizeof err);
    cr_assert_not_null(out, "%s", err);
    cr_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(out, "a")));
    cr_assert(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(out, "b")));
    cJSON_Delete(out);
    cJSON_Delete(in);
    cJSON_Delete(v);
}

Test(scn_substitute, embedded_references)
{
    cJSON *v = vars();
    cJSON *in = cJSON_CreateString(
        "arn:aws:states:${region}:x/${start.list[1].id}/${start.n}");
    char err[256];
    cJSON *out = scn_substitute(in, v, err, sizeof err);
    cr_assert_not_null(out, "%s", err);
    cr_assert_str_eq(out->valuestring, "arn:aws:states:us-east-1:x/b/3");
    cJSON_Delete(out);
    cJSON_Delete(in);
    cJSON_Delete(v);
}

Test(scn_substitute, unknown_name)
{
    cJSON *v = vars();
    cJSON *in = cJSON_Parse("[\"ok\", {\"k\": \"${card.cardId}\"}]");
    char err[256];
    cr_assert_null(scn_substitute(in, v, err, sizeof err));
    cr_assert_str_eq(err, "${card.cardId} refers to \"card\", which no "
                          "earlier step saved");
    cJSON_Delete(in);
    cJSON_Delete(v);
}

Test(scn_substitute, missing_path)
{
    cJSON *v = vars();
    cJSON *in = cJSON_CreateString("${start.nope}");
    char err[256];
    cr_assert_null(scn_substitute(in, v, err, sizeof err));
    cr_assert(strstr(err, "does not exist"), "got: %s", err);
    cJSON_Delete(in);
    cJSON_Delete(v);
}

Test(scn_substitute, unclosed_reference)
{
    cJSON *v = vars();
    cJSON *in = cJSON_CreateString("x ${region");
    char err[256];
    cr_assert_null(scn_substitute(in, v, err, sizeof err));
    cr_assert_str_eq(err, "unclosed ${ in \"x ${region\"");
    cJSON_Delete(in);
    cJSON_Delete(v);
}

/* ---- paths ---- */

static void expect_path(const cJSON *root, const char *path, const char *json)
{
    char err[256];
    cJSON *got = scn_path_get(root, path, err, sizeof err);
    cr_assert_not_null(got, "%s: %s", path, err);
    cJSON *want = cJSON_Parse(json);
    cr_assert(scn_json_equal(got, want), "%s: got %s", path,
              cJSON_PrintUnformatted(got));
    cJSON_Delete(got);
    cJSON_Delete(want);
}

Test(scn_path, members_and_indexes)
{
    cJSON *root = cJSON_Parse(
        "{\"executions\":[{\"status\":\"RUNNING\"},{\"status\":\"FAILED\"}],"
        "\"a.b\":{\"c\":1},\"output\":\"{\\\"x\\\":{\\\"y\\\":[7]}}\"}");
    expect_path(root, "executions[0].status", "\"RUNNING\"");
    expect_path(root, "$.executions[-1].status", "\"FAILED\"");
    expect_path(root, "['a.b'].c", "1");
    expect_path(root, "output.x.y[0]", "7");
    cJSON_Delete(root);
}

Test(scn_path, root_and_missing)
{
    cJSON *root = cJSON_Parse("{\"a\":[1,2]}");
    char err[256];
    cJSON *whole = scn_path_get(root, "$", err, sizeof err);
    cr_assert(scn_json_equal(whole, root));
    cJSON_Delete(whole);
    cr_assert_null(scn_path_get(root, "a[2]", err, sizeof err));
    cr_assert_str_eq(err, "path \"a[2]\" does not exist");
    cr_assert_null(scn_path_get(root, "a[x]", err, sizeof err));
    cr_assert_str_eq(err, "invalid path \"a[x]\"");
    cr_assert_null(scn_path_get(root, "a.b", err, sizeof err));
    cJSON_Delete(root);
}

/* ---- matchers ---- */

static int match(const char *actual, const char *matcher, char *why)
{
    cJSON *a = actual ? cJSON_Parse(actual) : NULL;
    cJSON *m = cJSON_Parse(matcher);
    int rc = scn_match(a, m, why, 512);
    cJSON_Delete(a);
    cJSON_Delete(m);
    return rc;
}

Test(scn_match, equals)
{
    char why[512];
    cr_assert_eq(match("200", "200.0", why), 1);
    cr_assert_eq(match("{\"a\":1,\"b\":[1]}", "{\"b\":[1],\"a\":1}", why), 1);
    cr_assert_eq(match("\"FAILED\"", "\"SUCCEEDED\"", why), 0);
    cr_assert_str_eq(why, "expected \"SUCCEEDED\", got \"FAILED\"");
    cr_assert_eq(match("\"1\"", "1", why), 0);
    cr_assert_eq(match(NULL, "1", why), 0);
    cr_assert_str_eq(why, "expected 1, got (absent)");
}

Test(scn_match, contains)
{
    char why[512];
    cr_assert_eq(match("\"could not be found in the input\"",
                       "{\"contains\":\"not be found\"}", why),
                 1);
    cr_assert_eq(match("[\"A\",\"B\"]", "{\"contains\":\"B\"}", why), 1);
    cr_assert_eq(match("{\"a\":1,\"b\":2}", "{\"contains\":{\"b\":2}}", why),
                 1);
    cr_assert_eq(match("[\"A\"]", "{\"contains\":\"C\"}", why), 0);
    cr_assert_str_eq(why, "expected [\"A\"] to contain \"C\"");
}

Test(scn_match, matches_regex)
{
    char why[512];
    cr_assert_eq(match("\"c1-3f2a\"", "{\"matches\":\"^c1-[0-9a-f]+$\"}", why),
                 1);
    cr_assert_eq(match("\"x\"", "{\"matches\":\"^y\"}", why), 0);
    cr_assert_eq(match("\"x\"", "{\"matches\":\"(\"}", why), -1);
}

Test(scn_match, exists_and_count)
{
    char why[512];
    cr_assert_eq(match(NULL, "{\"exists\":false}", why), 1);
    cr_assert_eq(match("null", "{\"exists\":true}", why), 1);
    cr_assert_eq(match(NULL, "{\"exists\":true}", why), 0);
    cr_assert_eq(match("[1,2,3]", "{\"count\":3}", why), 1);
    cr_assert_eq(match("[1,2]", "{\"count\":3}", why), 0);
    cr_assert_str_eq(why, "expected 3 elements, got 2: [1,2]");
    cr_assert_eq(match("[]", "{\"count\":\"x\"}", why), -1);
}

Test(scn_match, min_max_one_of)
{
    char why[512];
    cr_assert_eq(match("14", "{\"min\":14,\"max\":15}", why), 1);
    cr_assert_eq(match("16", "{\"min\":14,\"max\":15}", why), 0);
    cr_assert_str_eq(why, "expected a number <= 15, got 16");
    cr_assert_eq(match("\"B\"", "{\"one_of\":[\"A\",\"B\"]}", why), 1);
    cr_assert_eq(match("\"C\"", "{\"one_of\":[\"A\",\"B\"]}", why), 0);
}

Test(scn_match, plain_object_is_equality)
{
    char why[512];
    /* A mapping with keys that are not matcher names compares whole. */
    cr_assert_eq(match("{\"status\":1}", "{\"status\":1}", why), 1);
    cr_assert_eq(match("{\"status\":1,\"x\":2}", "{\"status\":1}", why), 0);
}

/* ---- Query protocol ---- */

Test(scn_query, encode_without_table)
{
    cJSON *params = cJSON_Parse(
        "{\"RoleName\":\"r 1\",\"Tags\":[{\"Key\":\"a\",\"Value\":\"b\"}],"
        "\"Policy\":{\"Max\":2},\"Force\":true}");
    char *form = scn_query_encode(NULL, "TagRole", params);
    cr_assert_str_eq(form, "Action=TagRole&RoleName=r%201&Tags.member.1.Key=a"
                           "&Tags.member.1.Value=b&Policy.Max=2&Force=true");
    free(form);
    cJSON_Delete(params);
}

Test(scn_query, decode_member_lists)
{
    static const char xml[] =
        "<?xml version=\"1.0\"?><ListRolesResponse xmlns=\"x\">"
        "<ListRolesResult><Roles><member><RoleName>a&amp;b</RoleName>"
        "</member></Roles><IsTruncated>false</IsTruncated>"
        "</ListRolesResult><ResponseMetadata><RequestId>1</RequestId>"
        "</ResponseMetadata></ListRolesResponse>";
    char *code = NULL;
    cJSON *body =
        scn_query_decode_xml(NULL, "ListRoles", xml, strlen(xml), &code);
    cr_assert_not_null(body);
    cr_assert_null(code);
    cJSON *want = cJSON_Parse(
        "{\"Roles\":[{\"RoleName\":\"a&b\"}],\"IsTruncated\":\"false\"}");
    cr_assert(scn_json_equal(body, want), "%s", cJSON_PrintUnformatted(body));
    cJSON_Delete(want);
    cJSON_Delete(body);
}

Test(scn_query, decode_error_response)
{
    static const char xml[] =
        "<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code>"
        "<Message>The role with name r cannot be found.</Message></Error>"
        "<RequestId>1</RequestId></ErrorResponse>";
    char *code = NULL;
    cJSON *body =
        scn_query_decode_xml(NULL, "GetRole", xml, strlen(xml), &code);
    cr_assert_str_eq(code, "NoSuchEntity");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(body, "Message");
    cr_assert_str_eq(message->valuestring,
                     "The role with name r cannot be found.");
    free(code);
    cJSON_Delete(body);
}

Test(scn_query, rest_xml_document)
{
    static const char xml[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Name>b</Name><KeyCount>2</KeyCount>"
        "<Contents><Key>a</Key></Contents><Contents><Key>b&#x26;c</Key>"
        "</Contents><!-- a comment --></ListBucketResult>";
    char *root = NULL;
    cJSON *doc = scn_xml_document(xml, strlen(xml), &root);
    cr_assert_str_eq(root, "ListBucketResult");
    cJSON *want = cJSON_Parse("{\"Name\":\"b\",\"KeyCount\":\"2\","
                              "\"Contents\":[{\"Key\":\"a\"},"
                              "{\"Key\":\"b&c\"}]}");
    cr_assert(scn_json_equal(doc, want), "%s", cJSON_PrintUnformatted(doc));
    cJSON_Delete(want);
    cJSON_Delete(doc);
    free(root);
}

Test(scn_query, decode_malformed)
{
    char *code = NULL;
    cr_assert_null(scn_query_decode_xml(NULL, "X", "<a><b>", 6, &code));
    cr_assert_null(scn_query_decode_xml(NULL, "X", "text", 4, &code));
}

/* ---- whole runs ---- */

static char dir[64];

static void run_setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/stratus-scn-test-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void run_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

static void write_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static int run_main_keep(const char *extra, const char *keep)
{
    char junit[256];
    snprintf(junit, sizeof junit, "%s/junit.xml", dir);
    char *argv[10];
    int argc = 0;
    argv[argc++] = dir;
    argv[argc++] = "--junit";
    argv[argc++] = junit;
    argv[argc++] = "--jobs";
    argv[argc++] = "2";
    if (extra) {
        argv[argc++] = "--filter";
        argv[argc++] = (char *)extra;
    }
    if (keep) {
        argv[argc++] = "--keep";
        argv[argc++] = (char *)keep;
    }
    fflush(stdout);
    return scn_main(argc, argv);
}

static int run_main(const char *extra)
{
    return run_main_keep(extra, NULL);
}

/* An SQS queue, a delayed message, virtual time and the dlq check. */
static const char sqs_scenario[] =
    "name: sqs-delay\n"
    "stack: none\n"
    "steps:\n"
    "  - aws:\n"
    "      service: sqs\n"
    "      operation: CreateQueue\n"
    "      params: {QueueName: dlq}\n"
    "    expect:\n"
    "      body:\n"
    "        QueueUrl: {matches: "
    "\"^http://127.0.0.1:[1-9][0-9]*/[0-9]{12}/dlq$\"}\n"
    "    save: {url: QueueUrl}\n"
    "  - aws:\n"
    "      service: sqs\n"
    "      operation: SendMessage\n"
    "      params: {QueueUrl: \"${url}\", MessageBody: !json {card: c1},\n"
    "               DelaySeconds: 30}\n"
    "    expect:\n"
    "      status: 200\n"
    "      body: {MessageId: {matches: \"^[0-9a-f-]{36}$\"}}\n"
    "  - dlq: {queue: dlq, count: 0}\n"
    "  - advance: 31s\n"
    "  - elapsed: 31s\n"
    "  - dlq:\n"
    "      queue: dlq\n"
    "      count: 1\n"
    "      messages: {\"[0].body.card\": c1}\n"
    "  - aws:\n"
    "      service: events\n"
    "      operation: DisableRule\n"
    "      params: {Name: absent}\n"
    "    expect: {status: 400, error: ResourceNotFoundException}\n";

Test(scn_run, passing_scenario, .init = run_setup, .fini = run_teardown,
     .timeout = 60)
{
    write_file("a.yaml", sqs_scenario);
    cr_assert_eq(run_main(NULL), 0);
    char path[256];
    snprintf(path, sizeof path, "%s/junit.xml", dir);
    char *xml = ts_read_file(path);
    cr_assert_not_null(xml);
    cr_assert(strstr(xml, "tests=\"1\" failures=\"0\""), "%s", xml);
    cr_assert(strstr(xml, "name=\"sqs-delay\""), "%s", xml);
    free(xml);
}

Test(scn_run, failing_scenario, .init = run_setup, .fini = run_teardown,
     .timeout = 60)
{
    write_file("a.yaml", sqs_scenario);
    write_file("b.yaml", "name: wrong-count\nstack: none\nsteps:\n"
                         "  - aws: {service: sqs, operation: CreateQueue,\n"
                         "          params: {QueueName: q}}\n"
                         "  - dlq: {queue: q, count: 2}\n");
    cr_assert_eq(run_main(NULL), 1);
    char path[256];
    snprintf(path, sizeof path, "%s/junit.xml", dir);
    char *xml = ts_read_file(path);
    cr_assert(strstr(xml, "tests=\"2\" failures=\"1\""), "%s", xml);
    cr_assert(strstr(xml, "dlq messages count: expected 2, got 0"), "%s", xml);
    free(xml);
}

Test(scn_run, filter_and_invalid_file, .init = run_setup, .fini = run_teardown,
     .timeout = 60)
{
    write_file("a.yaml", sqs_scenario);
    write_file("b.yaml", "name: broken\nsteps:\n  - advance: later\n");
    /* The filter leaves out the broken file. */
    cr_assert_eq(run_main("sqs"), 0);
    cr_assert_eq(run_main(NULL), 1);
}

Test(scn_run, settle_moves_clock, .init = run_setup, .fini = run_teardown,
     .timeout = 60)
{
    /* A Wait state of 30 s ends in virtual time. */
    write_file("w.yaml",
               "name: wait\nstack: none\nsteps:\n"
               "  - aws:\n"
               "      service: stepfunctions\n"
               "      operation: CreateStateMachine\n"
               "      params:\n"
               "        name: w\n"
               "        roleArn: arn:aws:iam::123456789012:role/r\n"
               "        definition: !json {StartAt: W, States: {W: {Type: "
               "Wait, Seconds: 30, End: true}}}\n"
               "    save: m\n"
               "  - aws:\n"
               "      service: stepfunctions\n"
               "      operation: StartExecution\n"
               "      params: {stateMachineArn: \"${m.stateMachineArn}\", "
               "input: \"{}\"}\n"
               "  - settle: 1m\n"
               "  - executions: {state_machine: w, status: SUCCEEDED, "
               "count: 1, history: {WaitStateExited: 1}}\n"
               "  - elapsed: 30s\n");
    cr_assert_eq(run_main(NULL), 0);
}

Test(scn_run, settle_bound, .init = run_setup, .fini = run_teardown,
     .timeout = 60)
{
    write_file("w.yaml",
               "name: too-long\nstack: none\nsteps:\n"
               "  - aws:\n"
               "      service: stepfunctions\n"
               "      operation: CreateStateMachine\n"
               "      params:\n"
               "        name: w\n"
               "        roleArn: arn:aws:iam::123456789012:role/r\n"
               "        definition: !json {StartAt: W, States: {W: {Type: "
               "Wait, Seconds: 3600, End: true}}}\n"
               "    save: m\n"
               "  - aws:\n"
               "      service: stepfunctions\n"
               "      operation: StartExecution\n"
               "      params: {stateMachineArn: \"${m.stateMachineArn}\", "
               "input: \"{}\"}\n"
               "  - settle: 1m\n");
    cr_assert_eq(run_main(NULL), 1);
}

Test(scn_run, invalid_fault_count, .init = run_setup, .fini = run_teardown,
     .timeout = 60)
{
    write_file("f.yaml", "name: bad-fault\nstack: none\nsetup:\n"
                         "  faults:\n    fn: {error: 0}\nsteps:\n"
                         "  - elapsed: 0s\n");
    cr_assert_eq(run_main(NULL), 1);
    char path[256];
    snprintf(path, sizeof path, "%s/junit.xml", dir);
    char *xml = ts_read_file(path);
    cr_assert(strstr(xml, "a fault count is a positive integer or all"), "%s",
              xml);
    free(xml);
}

Test(scn_run, fault_on_absent_function, .init = run_setup, .fini = run_teardown,
     .timeout = 60)
{
    /* Faults may name a function the stack creates later. */
    write_file("f.yaml", "name: early-fault\nstack: none\nsetup:\n"
                         "  faults:\n    later: {delay: 2s}\nsteps:\n"
                         "  - elapsed: 0s\n");
    cr_assert_eq(run_main(NULL), 0);
}

Test(scn_run, query_protocol_steps, .init = run_setup, .fini = run_teardown,
     .timeout = 60)
{
    /* SQS also speaks Query: maps, structure maps and lists are
     * flattened, and the XML result is read back into JSON. A list with
     * one element (Message) keeps its wire name and a single value. */
    write_file("q.yaml",
               "name: sqs-over-query\nstack: none\nsteps:\n"
               "  - aws:\n"
               "      service: sqs\n"
               "      operation: CreateQueue\n"
               "      protocol: query\n"
               "      params: {QueueName: q1, Attributes: "
               "{VisibilityTimeout: \"45\"}}\n"
               "    expect: {body: {QueueUrl: {matches: \"/q1$\"}}}\n"
               "    save: {url: QueueUrl}\n"
               "  - aws:\n"
               "      service: sqs\n"
               "      operation: GetQueueAttributes\n"
               "      protocol: query\n"
               "      params: {QueueUrl: \"${url}\", AttributeNames: "
               "[VisibilityTimeout, DelaySeconds]}\n"
               "    expect:\n"
               "      body:\n"
               "        Attributes.VisibilityTimeout: \"45\"\n"
               "        Attributes.DelaySeconds: \"0\"\n"
               "  - aws:\n"
               "      service: sqs\n"
               "      operation: SendMessage\n"
               "      protocol: query\n"
               "      params:\n"
               "        QueueUrl: \"${url}\"\n"
               "        MessageBody: \"a & b <c>\"\n"
               "        MessageAttributes:\n"
               "          RequestId: {DataType: String, StringValue: r-1}\n"
               "  - aws:\n"
               "      service: sqs\n"
               "      operation: ReceiveMessage\n"
               "      protocol: query\n"
               "      params: {QueueUrl: \"${url}\", MessageAttributeNames: "
               "[All]}\n"
               "    expect:\n"
               "      body:\n"
               "        Message.Body: \"a & b <c>\"\n"
               "        Message.MessageAttributes.RequestId.StringValue: r-1\n"
               "  - aws:\n"
               "      service: sqs\n"
               "      operation: GetQueueUrl\n"
               "      protocol: query\n"
               "      params: {QueueName: absent}\n"
               "    expect:\n"
               "      status: 400\n"
               "      error: AWS.SimpleQueueService.NonExistentQueue\n"
               "      message: {contains: does not exist}\n");
    cr_assert_eq(run_main(NULL), 0);
}

Test(scn_run, failure_names_matcher_line, .init = run_setup,
     .fini = run_teardown, .timeout = 60)
{
    /* The failing matcher sits on line 11, below its step on line 4; the
     * reference on line 9 makes the expectation a substituted copy. */
    write_file("l.yaml", "name: line-test\n"
                         "stack: none\n"
                         "steps:\n"
                         "  - aws:\n"
                         "      service: sqs\n"
                         "      operation: CreateQueue\n"
                         "      params: {QueueName: q}\n"
                         "    expect:\n"
                         "      status: ${start_ms.nothing}\n");
    cr_assert_eq(run_main(NULL), 1);
    write_file("l.yaml", "name: line-test\n"
                         "stack: none\n"
                         "steps:\n"
                         "  - aws:\n"
                         "      service: sqs\n"
                         "      operation: CreateQueue\n"
                         "      params: {QueueName: q}\n"
                         "    expect:\n"
                         "      status: 200\n"
                         "      body:\n"
                         "        QueueUrl: {matches: \"/${region}-x$\"}\n");
    cr_assert_eq(run_main(NULL), 1);
    char path[256];
    snprintf(path, sizeof path, "%s/junit.xml", dir);
    char *xml = ts_read_file(path);
    cr_assert(strstr(xml, "&quot;line&quot;:\t11"), "%s", xml);
    free(xml);
}

Test(scn_time, iso_times)
{
    int64_t ms;
    cr_assert_eq(scn_time_parse("2026-03-01T12:00:00Z", &ms), 0);
    cr_assert_eq(ms, 1772366400000LL);
    cr_assert_eq(scn_time_parse("2026-03-01T12:00:00.25Z", &ms), 0);
    cr_assert_eq(ms, 1772366400250LL);
    cr_assert_eq(scn_time_parse("2026-03-01T12:00:00", &ms), -1);
    cr_assert_eq(scn_time_parse("2026-13-01T12:00:00Z", &ms), -1);
    cr_assert_eq(scn_time_parse("yesterday", &ms), -1);
}

Test(scn_run, fixed_start_time, .init = run_setup, .fini = run_teardown,
     .timeout = 60)
{
    write_file("t.yaml",
               "name: fixed-start\nstack: none\n"
               "start_time: 2026-03-01T12:00:00Z\nsteps:\n"
               "  - aws:\n"
               "      service: stepfunctions\n"
               "      operation: CreateStateMachine\n"
               "      params:\n"
               "        name: p\n"
               "        roleArn: arn:aws:iam::123456789012:role/r\n"
               "        definition: !json {StartAt: P, States: {P: {Type: "
               "Pass, End: true}}}\n"
               "    expect:\n"
               "      body: {creationDate: 1772366400}\n"
               "  - advance: 90s\n"
               "  - elapsed: 1.5m\n");
    cr_assert_eq(run_main(NULL), 0);
}

Test(scn_run, keep_writes_state, .init = run_setup, .fini = run_teardown,
     .timeout = 60)
{
    write_file("k.yaml", "name: kept state\nstack: none\nsteps:\n"
                         "  - aws: {service: sqs, operation: CreateQueue,\n"
                         "          params: {QueueName: q}}\n"
                         "  - dlq: {queue: q, count: 1}\n");
    char keep[256];
    snprintf(keep, sizeof keep, "%s/kept", dir);
    cr_assert_eq(run_main_keep(NULL, keep), 1);

    static const char *const files[] = {
        "failure.json",        "executions.json",   "eventbridge-rules.json",
        "dynamodb-items.json", "sqs-messages.json", "jobs.json",
        "store.sqlite",        "saved-values.json", "stratus.log",
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char path[512];
        /* The directory name keeps letters, digits and "-_." only. */
        snprintf(path, sizeof path, "%s/kept-state/%s", keep, files[i]);
        cr_assert_eq(access(path, R_OK), 0, "missing %s", path);
    }
    char path[512];
    snprintf(path, sizeof path, "%s/kept-state/failure.json", keep);
    cJSON *failure = ts_load_json(path, 0);
    cr_assert_not_null(failure);
    const cJSON *line = cJSON_GetObjectItemCaseSensitive(failure, "line");
    cr_assert_eq(line->valuedouble, 6);
    const cJSON *step = cJSON_GetObjectItemCaseSensitive(failure, "step");
    cr_assert_str_eq(step->valuestring, "step 2 (dlq)");
    cJSON_Delete(failure);
    snprintf(path, sizeof path, "%s/kept-state/sqs-messages.json", keep);
    cJSON *queues = ts_load_json(path, 0);
    cr_assert_eq(cJSON_GetArraySize(queues), 1);
    cJSON_Delete(queues);
}

Test(scn_run, requires_skips, .init = run_setup, .fini = run_teardown,
     .timeout = 60)
{
    write_file("s.yaml", "name: needs-more\nstack: none\n"
                         "requires: [no-such-service, /no/such/file]\n"
                         "steps:\n  - elapsed: 0s\n");
    cr_assert_eq(run_main(NULL), 0);
    char path[256];
    snprintf(path, sizeof path, "%s/junit.xml", dir);
    char *xml = ts_read_file(path);
    cr_assert(strstr(xml, "skipped=\"1\""), "%s", xml);
    cr_assert(strstr(xml, "<skipped message=\"requires the service "
                          "no-such-service, which is absent\"/>"),
              "%s", xml);
    free(xml);
}

Test(scn_run, rest_xml_steps, .init = run_setup, .fini = run_teardown,
     .timeout = 60)
{
    /* S3 members by their API names: query members renamed to their wire
     * names, Metadata as x-amz-meta-* headers, XML results read back. */
    write_file(
        "s3.yaml",
        "name: s3-api-names\n"
        "stack: none\n"
        "steps:\n"
        "  - aws:\n"
        "      service: s3\n"
        "      operation: CreateBucket\n"
        "      params: {Bucket: bucket-one}\n"
        "  - aws:\n"
        "      service: s3\n"
        "      operation: PutObject\n"
        "      params: {Bucket: bucket-one, Key: docs/a.txt, Body: hello, "
        "ContentType: text/plain, Metadata: {uploaded-by: alice}}\n"
        "  - aws:\n"
        "      service: s3\n"
        "      operation: PutObject\n"
        "      params: {Bucket: bucket-one, Key: docs/b.txt, Body: hi}\n"
        "  - aws:\n"
        "      service: s3\n"
        "      operation: ListObjectsV2\n"
        "      params: {Bucket: bucket-one, Prefix: docs/, MaxKeys: 1}\n"
        "    expect:\n"
        "      body:\n"
        "        KeyCount: \"1\"\n"
        "        IsTruncated: \"true\"\n"
        "        Contents.Key: docs/a.txt\n"
        "    save: {token: NextContinuationToken}\n"
        "  - aws:\n"
        "      service: s3\n"
        "      operation: ListObjectsV2\n"
        "      params: {Bucket: bucket-one, Prefix: docs/, ContinuationToken: "
        "\"${token}\"}\n"
        "    expect:\n"
        "      body:\n"
        "        Contents.Key: docs/b.txt\n"
        "  - aws:\n"
        "      service: s3\n"
        "      operation: HeadObject\n"
        "      params: {Bucket: bucket-one, Key: docs/a.txt}\n"
        "    expect:\n"
        "      headers: {x-amz-meta-uploaded-by: alice}\n");
    cr_assert_eq(run_main(NULL), 0);
}

Test(scn_run, env_add_merges, .init = run_setup, .fini = run_teardown,
     .timeout = 60)
{
    char text[2048];
    snprintf(text, sizeof text,
             "Resources:\n"
             "  Fn:\n"
             "    Type: AWS::Lambda::Function\n"
             "    Properties:\n"
             "      FunctionName: fn\n"
             "      Runtime: nodejs20.x\n"
             "      Handler: index.handler\n"
             "      Role: arn:aws:iam::123456789012:role/r\n"
             "      Code: {Directory: %s}\n"
             "      Environment: {Variables: {A: \"1\", B: \"2\"}}\n",
             dir);
    write_file("stack.yml.txt", text);
    write_file("e.yaml", "name: env-add\n"
                         "stack: stack.yml.txt\n"
                         "setup:\n"
                         "  env_add:\n"
                         "    fn: {B: 3, C: four}\n"
                         "steps:\n"
                         "  - aws:\n"
                         "      service: lambda\n"
                         "      operation: GetFunctionConfiguration\n"
                         "      params: {FunctionName: fn}\n"
                         "    expect:\n"
                         "      body:\n"
                         "        Environment.Variables: {A: \"1\", B: \"3\", "
                         "C: four}\n");
    cr_assert_eq(run_main(NULL), 0);
}

Test(scn_run, body_matcher_whole_value, .init = run_setup, .fini = run_teardown,
     .timeout = 60)
{
    /* A mapping of matcher keys under body applies to the whole body; a
     * mapping of other keys is a map of paths. */
    write_file("m.yaml", "name: whole-body\nstack: none\nsteps:\n"
                         "  - aws:\n"
                         "      service: sqs\n"
                         "      operation: CreateQueue\n"
                         "      params: {QueueName: q}\n"
                         "    expect:\n"
                         "      body: {count: 1, exists: true}\n"
                         "  - aws:\n"
                         "      service: sqs\n"
                         "      operation: ListQueues\n"
                         "    expect:\n"
                         "      body: {QueueUrls: {count: 1}}\n");
    cr_assert_eq(run_main(NULL), 0);
}
