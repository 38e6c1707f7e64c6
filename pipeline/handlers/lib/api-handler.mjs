// api-handler.mjs: the frame around each API handler. It turns a thrown
// error into a problem-details response (an HttpError keeps its status,
// anything else is a 500), logs the error, and records the ApiLatency
// and AuthFailures metrics.

import { recordApiLatency, recordAuthFailure } from './api-metrics.mjs';
import { requestIdOf } from './http.mjs';
import { logger } from './log.mjs';
import { HttpError, problemResponse } from './problem.mjs';

// Wraps `run(event, context)`, which returns a proxy response or throws.
// `endpoint` names the route in logs and metrics, e.g. "POST /cards".
export function apiHandler(endpoint, run) {
  const method = endpoint.split(' ')[0];
  return async function handler(event, context) {
    const started = Date.now();
    let response;
    try {
      response = await run(event, context);
    } catch (error) {
      const fields = { endpoint, requestId: requestIdOf(event), error };
      if (error instanceof HttpError && error.status < 500) {
        logger.warn('Request rejected', { ...fields, status: error.status });
        if (error.status === 401 || error.status === 403) {
          await recordAuthFailure(error.status === 401 ? 'unauthorized' : 'forbidden');
        }
      } else {
        logger.error('Request failed', fields);
      }
      response = problemResponse(error, event);
    }
    await recordApiLatency(endpoint, method, Date.now() - started);
    return response;
  };
}
