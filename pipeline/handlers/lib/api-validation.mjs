// api-validation.mjs: request validation for the API handlers, in place of
// CollectIQ's zod schemas. A body that fails its schema gets 400
// "Validation failed" with `validationErrors: [{field, message}]`, one
// entry per failing member.

import { BadRequestError } from './problem.mjs';

export const MAX_UPLOAD_BYTES = 12 * 1024 * 1024;
const UPLOAD_CONTENT_TYPES = ['image/jpeg', 'image/png'];

// Returns the parsed JSON body. `required` false turns a missing body
// into `{}`.
export function parseJsonBody(event, { required = true } = {}) {
  let text = event?.body;
  if (text === undefined || text === null || text === '') {
    if (required) throw new BadRequestError('Request body is required');
    return {};
  }
  if (event.isBase64Encoded) text = Buffer.from(text, 'base64').toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BadRequestError(`Invalid JSON in request body: ${error.message}`);
  }
}

function failIfAny(validationErrors) {
  if (validationErrors.length > 0) {
    throw new BadRequestError('Validation failed', { validationErrors });
  }
}

function requireObject(body) {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    failIfAny([{ field: '(body)', message: 'Expected a JSON object' }]);
  }
}

// Body of POST /upload/presign: {filename 1..255 chars, contentType
// image/jpeg or image/png, sizeBytes an integer from 1 to 12 MiB}.
export function validateUploadRequest(body) {
  requireObject(body);
  const errors = [];
  const { filename, contentType, sizeBytes } = body;
  if (typeof filename !== 'string' || filename.length < 1 || filename.length > 255) {
    errors.push({ field: 'filename', message: 'Expected a string of 1 to 255 characters' });
  }
  if (!UPLOAD_CONTENT_TYPES.includes(contentType)) {
    errors.push({ field: 'contentType', message: `Expected one of ${UPLOAD_CONTENT_TYPES.join(', ')}` });
  }
  if (!Number.isInteger(sizeBytes) || sizeBytes <= 0 || sizeBytes > MAX_UPLOAD_BYTES) {
    errors.push({ field: 'sizeBytes', message: `Expected an integer from 1 to ${MAX_UPLOAD_BYTES}` });
  }
  failIfAny(errors);
  return { filename, contentType, sizeBytes };
}

function optionalString(body, field, errors) {
  if (body[field] !== undefined && typeof body[field] !== 'string') {
    errors.push({ field, message: 'Expected a string' });
  }
}

// Body of POST /cards: frontS3Key plus optional strings. Unknown members
// are dropped.
export function validateCreateCardRequest(body) {
  requireObject(body);
  const errors = [];
  if (typeof body.frontS3Key !== 'string' || body.frontS3Key.length === 0) {
    errors.push({ field: 'frontS3Key', message: 'Expected a non-empty string' });
  }
  const fields = ['backS3Key', 'name', 'set', 'number', 'rarity', 'conditionEstimate'];
  for (const field of fields) optionalString(body, field, errors);
  failIfAny(errors);
  const input = { frontS3Key: body.frontS3Key };
  for (const field of fields) {
    if (body[field] !== undefined) input[field] = body[field];
  }
  return input;
}

// Body of POST /cards/{cardId}/revalue: {forceRefresh?: boolean}.
export function validateRevalueRequest(body) {
  requireObject(body);
  if (body.forceRefresh !== undefined && typeof body.forceRefresh !== 'boolean') {
    failIfAny([{ field: 'forceRefresh', message: 'Expected a boolean' }]);
  }
  return { forceRefresh: body.forceRefresh === true };
}

// `limit` of GET /cards: an integer from 1 to 100, default 20.
export function parseListLimit(value) {
  if (value === undefined || value === null || value === '') return 20;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new BadRequestError('Validation failed', {
      validationErrors: [{ field: 'limit', message: 'Expected an integer from 1 to 100' }],
    });
  }
  return limit;
}

// Replaces each character outside [a-zA-Z0-9._-] with "_" and collapses
// runs of "_", so the name is safe inside an S3 key.
export function sanitizeFilename(name) {
  return name.replace(/[^a-zA-Z0-9._-]/g, '_').replace(/_+/g, '_');
}
