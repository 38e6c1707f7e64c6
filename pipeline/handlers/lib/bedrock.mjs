// bedrock.mjs: Bedrock Runtime Converse calls of the agents, JSON extraction
// from the model's text, and the two retry schedules CollectIQ uses (the OCR
// agent's doubling delay, and the 5-attempt jittered back-off of the
// authenticity and valuation calls).

import { ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { logger } from './log.mjs';
import { bedrockClient, envNumber, sleep } from './task-clients.mjs';

export const DEFAULT_MODEL_ID = 'us.anthropic.claude-sonnet-4-20250514-v1:0';

// Sends one Converse request and returns the first content block's text with
// the usage figures. A response without text is an error.
export async function converse({ system, prompt, maxTokens, temperature }) {
  const modelId = process.env.BEDROCK_MODEL_ID || DEFAULT_MODEL_ID;
  const started = Date.now();
  const response = await bedrockClient().send(
    new ConverseCommand({
      modelId,
      system: [{ text: system }],
      messages: [{ role: 'user', content: [{ text: prompt }] }],
      inferenceConfig: { maxTokens, temperature },
    }),
  );
  const text = response.output?.message?.content?.[0]?.text;
  if (typeof text !== 'string' || text === '') {
    throw new Error('Bedrock Converse response contains no text content');
  }
  return {
    text,
    inputTokens: response.usage?.inputTokens ?? 0,
    outputTokens: response.usage?.outputTokens ?? response.usage?.totalTokens ?? 0,
    stopReason: response.stopReason,
    latencyMs: Date.now() - started,
  };
}

// Returns the end index (exclusive) of the balanced {...} span that starts at
// start, skipping braces inside JSON strings, or -1 when it never closes.
function balancedObjectEnd(text, start) {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === '{') {
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

// Parses the JSON object in a model reply: the body of a ```json fenced
// block when there is one, else the first {...} span of the text. Throws
// when no object parses.
export function extractJson(text) {
  const fenced = /```(?:json)?\s*\n?([\s\S]*?)```/i.exec(text);
  const body = fenced ? fenced[1] : text;
  const start = body.indexOf('{');
  if (start < 0) throw new Error('Model response contains no JSON object');
  let end = balancedObjectEnd(body, start);
  if (end < 0) end = body.lastIndexOf('}') + 1;
  if (end <= start) throw new Error('Model response contains an unterminated JSON object');
  try {
    return JSON.parse(body.slice(start, end));
  } catch (error) {
    throw new Error(`Model response JSON is invalid: ${error.message}`);
  }
}

// Throws unless value is a number in [0,1]; path names the member.
export function requireUnit(value, path) {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new Error(`${path} must be a number between 0 and 1, got ${JSON.stringify(value)}`);
  }
}

export function requireString(value, path) {
  if (typeof value !== 'string') {
    throw new Error(`${path} must be a string, got ${JSON.stringify(value)}`);
  }
}

// Delay before attempt `attempt + 1` of the 5-attempt schedule:
// base·2^(attempt−1) plus up to 50 % jitter, capped. The base doubles when
// the error mentions throttling.
export function backoffDelay(attempt, error, random = Math.random) {
  const base = envNumber('BEDROCK_BACKOFF_BASE_MS', 2000);
  const max = envNumber('BEDROCK_BACKOFF_MAX_MS', 30000);
  const throttled = /throttl/i.test(`${error?.name || ''} ${error?.message || ''}`);
  const delay = (throttled ? base * 2 : base) * 2 ** (attempt - 1);
  return Math.min(max, delay + delay * 0.5 * random());
}

// Calls attemptFn (which converses and parses) up to `attempts` times with
// the jittered back-off and returns its result. Returns null when every
// attempt failed, so that the caller uses its fallback.
export async function withBackoff(agent, attemptFn, attempts = 5) {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await attemptFn(attempt);
    } catch (error) {
      logger.warn('Bedrock call failed', { agent, attempt, attempts, error });
      if (attempt === attempts) break;
      const delay = backoffDelay(attempt, error);
      logger.info('Retrying Bedrock call', { agent, attempt: attempt + 1, delayMs: Math.round(delay) });
      await sleep(delay);
    }
  }
  logger.error('Bedrock call failed on every attempt; using fallback', { agent, attempts });
  return null;
}

// Calls attemptFn up to BEDROCK_MAX_RETRIES (default 3) times. The first
// pause is BEDROCK_RETRY_DELAY_MS (default 1000) and each further pause is
// twice as long. Returns null when every attempt failed.
export async function withDoublingRetry(agent, attemptFn) {
  const attempts = Math.max(1, envNumber('BEDROCK_MAX_RETRIES', 3));
  let delay = envNumber('BEDROCK_RETRY_DELAY_MS', 1000);
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await attemptFn(attempt);
    } catch (error) {
      logger.warn('Bedrock call failed', { agent, attempt, attempts, error });
      if (attempt === attempts) break;
      logger.info('Retrying Bedrock call', { agent, attempt: attempt + 1, delayMs: delay });
      await sleep(delay);
      delay *= 2;
    }
  }
  logger.error('Bedrock call failed on every attempt; using fallback', { agent, attempts });
  return null;
}
