/*
 * sts.h: the STS service (Query protocol, namespace 2011-06-15, signing
 * name "sts"): GetCallerIdentity and AssumeRole.
 */
#ifndef STRATUS_STS_H
#define STRATUS_STS_H

#include "aws.h"

extern const aws_service sts_service;

#endif
