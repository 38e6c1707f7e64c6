/*
 * ddb_value.h: DynamoDB attribute values ({"S": ...}, {"N": ...}, {"M": ...}
 * and the rest) held as cJSON trees: validation, numbers, comparison, item
 * size and the order-preserving key encoding the store sorts by.
 *
 * Numbers are decimal strings of up to 38 significant digits with an
 * exponent from -130 to +125, kept in canonical form (no leading or trailing
 * zeros, no exponent notation) and computed exactly with GMP.
 */
#ifndef STRATUS_DDB_VALUE_H
#define STRATUS_DDB_VALUE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "aws.h"
#include "util.h"

/* Buffer size that fits any canonical number, sign and NUL included. */
#define DDB_NUMBER_SIZE 192

/* DynamoDB's maximum nesting depth of maps and lists in an item. */
#define DDB_MAX_NESTING 32

typedef enum ddb_type {
    DDB_S,
    DDB_N,
    DDB_B,
    DDB_BOOL,
    DDB_NULL,
    DDB_M,
    DDB_L,
    DDB_SS,
    DDB_NS,
    DDB_BS,
    DDB_INVALID
} ddb_type;

/* Type of an attribute value; DDB_INVALID when not a one-member object. */
ddb_type ddb_value_type(const cJSON *av);
/* "S", "N", ... for a type. */
const char *ddb_type_name(ddb_type t);
/* The member holding the payload ({"S": "x"} -> "x"). */
cJSON *ddb_value_payload(const cJSON *av);

/*
 * Canonicalize the decimal `in` into `out` ("00100.50" -> "100.5",
 * "-0" -> "0", "1E+2" -> "100"). Returns 0, or -1 with AWS's
 * ValidationException text for a malformed number, more than 38 significant
 * digits, or an exponent out of range.
 */
int ddb_number_canonical(const char *in, char *out, size_t outsize,
                         aws_error *err);
/*
 * Decode standard base64 with padding, as DynamoDB requires for B values.
 * Returns a new buffer (the caller frees it) and sets `*len`, or NULL when
 * the text is not valid base64.
 */
unsigned char *ddb_base64_decode(const char *in, size_t *len);

/* Compare canonical numbers: <0, 0, >0. */
int ddb_number_cmp(const char *a, const char *b);
/* out = a + b or a - b (subtract != 0), exactly. Same errors as above. */
int ddb_number_add(const char *a, const char *b, int subtract, char *out,
                   size_t outsize, aws_error *err);

/*
 * Check an attribute value as DynamoDB does for the request members that
 * carry values (items, keys, ExpressionAttributeValues), rewriting numbers
 * in place to canonical form. Empty sets, duplicate set members, malformed
 * binary and unknown types are rejected with AWS's messages. Returns 0/-1.
 */
int ddb_value_validate(cJSON *av, aws_error *err);
/* Same for every attribute of an item (an object of attribute values). */
int ddb_item_validate(cJSON *item, aws_error *err);

/* Deep equality of two attribute values (sets compare as sets). */
int ddb_value_equal(const cJSON *a, const cJSON *b);
/*
 * Order two scalar values of the same type (S by UTF-8 bytes, N by value,
 * B by bytes). Returns 0 and sets `*cmp`, or -1 when the types differ or are
 * not S, N or B.
 */
int ddb_value_compare(const cJSON *a, const cJSON *b, int *cmp);

/* Size of an item in bytes as DynamoDB counts it for the 400 KB limit. */
size_t ddb_item_size(const cJSON *item);

/*
 * Append an order-preserving encoding of a key value (S, N or B) to `out`:
 * memcmp order of encodings equals DynamoDB's order of values.
 */
void ddb_key_encode(const cJSON *av, strbuf *out);

#endif
