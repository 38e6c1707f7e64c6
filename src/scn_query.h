/*
 * scn_query.h: Query protocol encoding of scenario `aws` steps and the
 * XML-to-JSON reading of Query and REST-XML responses (scn_query.c).
 */
#ifndef STRATUS_SCN_QUERY_H
#define STRATUS_SCN_QUERY_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "aws.h"

/*
 * Encode `params` (JSON request members) as a Query form body for
 * `action`, using `proto` (may be NULL) for lists and maps. Returns a new
 * string the caller frees.
 */
char *scn_query_encode(const aws_query_protocol *proto, const char *action,
                       const cJSON *params);

/*
 * Read an XML document into JSON: the root element's content, with the
 * root's name in `*root` (a new string). An element with children becomes
 * an object, a repeated child name and a "member" wrapper become lists,
 * and a text-only element becomes a string. Returns NULL when the XML is
 * malformed.
 */
cJSON *scn_xml_document(const char *xml, size_t len, char **root);

/*
 * Read a Query XML response: the content of <ActionResult> as JSON, shaped
 * by `proto` (may be NULL), or for an ErrorResponse its <Error> element
 * with the error code in `*error_code` (a new string, else NULL). Returns
 * NULL when the XML is malformed.
 */
cJSON *scn_query_decode_xml(const aws_query_protocol *proto, const char *action,
                            const char *xml, size_t len, char **error_code);

#endif
