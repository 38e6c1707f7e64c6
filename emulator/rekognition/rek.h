/*
 * rek.h: the Amazon Rekognition stand-in (JSON 1.1, target prefix
 * RekognitionService). DetectText and DetectLabels return responses from
 * fixture files keyed by the SHA-256 of the image bytes; every other operation
 * is listed without a handler.
 */
#ifndef STRATUS_REK_H
#define STRATUS_REK_H

#include "aws.h"

extern const aws_service rek_service;

/* Largest image accepted as Image.Bytes and as an S3 object, in bytes
 * (AWS's documented limits: 5 MB inline, 15 MB from S3). */
#define REK_MAX_BYTES_IMAGE (5u * 1024u * 1024u)
#define REK_MAX_S3_IMAGE (15u * 1024u * 1024u)

#endif
