// problem.mjs: RFC 7807 problem details for the API handlers. Every error
// response is `application/problem+json` with
// `{type: '/errors/<slug>', title, status, detail, instance, requestId}`
// plus the error's extension members (such as `validationErrors`).

import { responseHeaders } from './http.mjs';

// An error that maps to one HTTP status. `extensions` are merged into the
// problem body after the standard members.
export class HttpError extends Error {
  constructor(status, slug, title, detail, extensions = {}) {
    super(detail);
    this.name = this.constructor.name;
    this.status = status;
    this.slug = slug;
    this.title = title;
    this.extensions = extensions;
  }
}

export class BadRequestError extends HttpError {
  constructor(detail, extensions) {
    super(400, 'bad-request', 'Bad Request', detail, extensions);
  }
}

export class UnauthorizedError extends HttpError {
  constructor(detail, extensions) {
    super(401, 'unauthorized', 'Unauthorized', detail, extensions);
  }
}

export class ForbiddenError extends HttpError {
  constructor(detail, extensions) {
    super(403, 'forbidden', 'Forbidden', detail, extensions);
  }
}

export class NotFoundError extends HttpError {
  constructor(detail, extensions) {
    super(404, 'not-found', 'Not Found', detail, extensions);
  }
}

export class ConflictError extends HttpError {
  constructor(detail, extensions) {
    super(409, 'conflict', 'Conflict', detail, extensions);
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(detail, extensions) {
    super(413, 'payload-too-large', 'Payload Too Large', detail, extensions);
  }
}

export class InternalServerError extends HttpError {
  constructor(detail, extensions) {
    super(500, 'internal-server-error', 'Internal Server Error', detail,
      extensions);
  }
}

// Builds the problem body for `error`. An error that is not an HttpError
// becomes a 500 whose detail is the error's message.
export function problemBody(error, instance, requestId) {
  const http = error instanceof HttpError
    ? error
    : new InternalServerError(error?.message || 'An unexpected error occurred');
  return {
    type: `/errors/${http.slug}`,
    title: http.title,
    status: http.status,
    detail: http.message,
    instance,
    requestId,
    ...http.extensions,
  };
}

// Returns the API Gateway proxy response for `error`. `instance` defaults
// to the request id, as CollectIQ's handlers set it.
export function problemResponse(error, event, instance) {
  const requestId = event?.requestContext?.requestId;
  const body = problemBody(error, instance ?? requestId, requestId);
  return {
    statusCode: body.status,
    headers: responseHeaders(event, 'application/problem+json'),
    body: JSON.stringify(body),
  };
}
