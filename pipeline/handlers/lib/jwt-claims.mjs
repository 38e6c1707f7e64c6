// jwt-claims.mjs: reads the caller's identity from the claims the HTTP API
// JWT authorizer puts under `requestContext.authorizer.jwt.claims`. The
// gateway has already verified the token; this only checks the claims'
// shape. `sub`, `iat` and `exp` are required, and the gateway passes every
// claim value as a string, so numbers may arrive as numeric strings.

import { ForbiddenError, UnauthorizedError } from './problem.mjs';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function toEpochSeconds(value) {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) {
    return Number(value);
  }
  return null;
}

// Cognito sends `cognito:groups` as a list in the token; the gateway turns
// it into a string such as "[admin, users]" or "admin,users".
function parseGroups(value) {
  if (Array.isArray(value)) return value.map(String).filter(Boolean);
  if (typeof value !== 'string') return [];
  return value.replace(/^\[|\]$/g, '').split(',')
    .map((group) => group.trim())
    .filter(Boolean);
}

// Returns `{sub, email?, username?, groups, iat, exp}` for the event's
// claims, or throws UnauthorizedError naming every malformed claim. With
// `requiredGroup`, a caller outside that group gets ForbiddenError.
export function getAuthContext(event, { requiredGroup } = {}) {
  const claims = event?.requestContext?.authorizer?.jwt?.claims;
  if (!claims || typeof claims !== 'object') {
    throw new UnauthorizedError(
      'Missing JWT claims in request context: the route needs a JWT authorizer');
  }

  const problems = [];
  const sub = typeof claims.sub === 'string' ? claims.sub.trim() : '';
  if (!sub) problems.push('sub is required');
  const iat = toEpochSeconds(claims.iat);
  if (iat === null) problems.push('iat must be a number of seconds');
  const exp = toEpochSeconds(claims.exp);
  if (exp === null) problems.push('exp must be a number of seconds');

  const username = claims['cognito:username'] ?? claims.username;
  let email = claims.email;
  if (email !== undefined && (typeof email !== 'string' || !EMAIL.test(email))) {
    problems.push('email must be a valid e-mail address');
  }
  if (email === undefined && typeof username === 'string' && username.includes('@')) {
    email = username;
  }
  if (problems.length > 0) {
    throw new UnauthorizedError(`Malformed JWT claims: ${problems.join('; ')}`);
  }

  const groups = parseGroups(claims['cognito:groups']);
  if (requiredGroup && !groups.includes(requiredGroup)) {
    throw new ForbiddenError(`User is not a member of the ${requiredGroup} group`);
  }
  const context = { sub, groups, iat, exp };
  if (email !== undefined) context.email = email;
  if (typeof username === 'string') context.username = username;
  return context;
}
