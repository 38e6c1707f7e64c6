// http.mjs: API Gateway (HTTP API, payload format 2.0) response helpers.
// Every response carries the security headers (HSTS, CSP and friends) and
// CORS headers for the two origins CollectIQ's web app runs on.

export const AMPLIFY_ORIGIN = 'https://main.ddtufp5of4bf.amplifyapp.com';
export const ALLOWED_ORIGINS = [AMPLIFY_ORIGIN, 'http://localhost:3000'];

// NOTE: the header names and the origin rule follow CollectIQ's deployed
// handlers. The exact HSTS and CSP strings were not recorded, so these are
// common strict values.
const SECURITY_HEADERS = {
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'X-XSS-Protection': '1; mode=block',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
};

// Returns the request's `origin` header when it is an allowed origin,
// otherwise the Amplify origin. HTTP API lower-cases header names.
export function allowedOrigin(event) {
  const origin = event?.headers?.origin ?? event?.headers?.Origin;
  return ALLOWED_ORIGINS.includes(origin) ? origin : AMPLIFY_ORIGIN;
}

export function responseHeaders(event, contentType = 'application/json') {
  return {
    'Content-Type': contentType,
    ...SECURITY_HEADERS,
    'Access-Control-Allow-Origin': allowedOrigin(event),
    'Access-Control-Allow-Credentials': 'true',
  };
}

export function jsonResponse(event, statusCode, body) {
  return {
    statusCode,
    headers: responseHeaders(event),
    body: JSON.stringify(body),
  };
}

// The 204 response of DELETE /cards/{id}: an empty body and
// `Content-Length: 0`.
export function noContentResponse(event) {
  return {
    statusCode: 204,
    headers: { ...responseHeaders(event), 'Content-Length': '0' },
    body: '',
  };
}

// Returns the request id API Gateway assigned (`requestContext.requestId`).
export function requestIdOf(event) {
  return event?.requestContext?.requestId;
}
