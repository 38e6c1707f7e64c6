/*
 * test_util.c: string buffers and UUIDs.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "util.h"

Test(util, empty_buffer_takes_empty_string)
{
    strbuf b;
    size_t len = 99;
    strbuf_init(&b);
    char *s = strbuf_take(&b, &len);
    cr_assert_eq(len, 0);
    cr_assert_str_eq(s, "");
    free(s);
}

Test(util, buffer_grows_and_formats)
{
    strbuf b;
    strbuf_init(&b);
    for (int i = 0; i < 1000; i++)
        strbuf_printf(&b, "%d,", i);
    cr_assert(strncmp(b.data, "0,1,2,", 6) == 0);
    cr_assert_eq(b.data[b.len], '\0');
    cr_assert_eq(b.len, strlen(b.data));
    strbuf_free(&b);
}

Test(util, uuid_has_version_four_layout)
{
    char u[37];
    util_uuid4(u);
    cr_assert_eq(strlen(u), 36);
    cr_assert_eq(u[8], '-');
    cr_assert_eq(u[14], '4');
    cr_assert(strchr("89ab", u[19]) != NULL);
}

#include "ts.h"

Test(util, request_ids_are_distinct_uuids)
{
    stratus *srv = ts_new();
    char a[37], b[37];
    stratus_request_id(srv, a);
    stratus_request_id(srv, b);
    cr_assert_str_neq(a, b);
    cr_assert_eq(strlen(a), 36);
    cr_assert_eq(a[14], '4');
    cr_assert(strchr("89ab", a[19]) != NULL, "%s", a);
    ts_free(srv);
}
