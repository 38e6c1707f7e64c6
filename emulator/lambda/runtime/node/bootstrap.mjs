// Stratus's Node.js runtime client for the nodejs* Lambda runtimes.
//
// It polls the Lambda Runtime API at AWS_LAMBDA_RUNTIME_API with node's
// http module, loads the handler named by _HANDLER ("dir/file.export") from
// LAMBDA_TASK_ROOT (.js, .mjs or .cjs; ES modules and CommonJS), calls it
// async-style or callback-style with the event and a context object, and
// posts the result or an {errorType, errorMessage, trace} error object.
// console output is prefixed "<time>\t<request id>\t<LEVEL>\t" as in Lambda.
//
// Stratus extension: each event's Stratus-Clock-Offset-Ms header says how
// far the instance's (possibly virtual) clock is ahead of the wall clock,
// and Date follows the instance clock. Deadlines and timers stay in real
// time.
//
// Handlers are confined to this machine unless the function's environment
// sets STRATUS_LAMBDA_ALLOW_NETWORK=1: a DNS lookup of any name but
// localhost and *.localhost fails with ENOTFOUND, a TCP connection to any
// address but 127.0.0.0/8 or ::1 fails with ECONNREFUSED, both before
// anything is sent and with a WARN line in the function's log. Names under
// .localhost resolve to 127.0.0.1, so S3's virtual-hosted addresses such as
// bucket.localhost reach Stratus.
//
// Not provided: response streaming, context.clientContext parsing beyond
// JSON, context.identity, and callbackWaitsForEmptyEventLoop (the result is
// posted as soon as the handler settles).
import dns from 'node:dns';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire, register } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import util from 'node:util';

const api = process.env.AWS_LAMBDA_RUNTIME_API;
const taskRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();
const handlerName = process.env._HANDLER || '';
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const base = '/2018-06-01/runtime';

let currentRequestId;

function bareHost(host) {
  return String(host).replace(/^\[|\]$/g, '').toLowerCase();
}

function isLoopbackName(host) {
  const h = bareHost(host);
  return h === 'localhost' || h.endsWith('.localhost');
}

function isLoopbackAddress(host) {
  const h = bareHost(host);
  return h === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(h);
}

// The error a blocked lookup or connection gets, logged as a WARN line.
function confinementError(host, port, code) {
  const target = port === undefined ? host : `${host}:${port}`;
  const err = new Error(
    code === 'ENOTFOUND' ? `getaddrinfo ENOTFOUND ${host}` : `connect ECONNREFUSED ${target}`,
  );
  err.code = code;
  err.errno = code === 'ENOTFOUND' ? -3008 : -111;
  err.syscall = code === 'ENOTFOUND' ? 'getaddrinfo' : 'connect';
  err.hostname = host;
  console.warn(
    `Stratus blocked ${code === 'ENOTFOUND' ? 'a DNS lookup of' : 'a connection to'} ${target}: ` +
      'Lambda handlers are confined to this machine; set STRATUS_LAMBDA_ALLOW_NETWORK=1 ' +
      'in the function environment to allow other hosts',
  );
  return err;
}

function confineLookups() {
  const realLookup = dns.lookup;
  dns.lookup = function lookup(hostname, options, callback) {
    const cb = typeof options === 'function' ? options : callback;
    const opts = typeof options === 'object' && options !== null ? options : {};
    if (net.isIP(bareHost(hostname)) || bareHost(hostname) === 'localhost') {
      return realLookup.call(dns, hostname, options, callback);
    }
    if (isLoopbackName(hostname)) {
      process.nextTick(() =>
        opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4),
      );
      return {};
    }
    const err = confinementError(hostname, undefined, 'ENOTFOUND');
    process.nextTick(() => cb(err));
    return {};
  };
  const realPromiseLookup = dns.promises.lookup;
  dns.promises.lookup = async function lookup(hostname, options) {
    const opts = typeof options === 'object' && options !== null ? options : {};
    if (net.isIP(bareHost(hostname)) || bareHost(hostname) === 'localhost') {
      return realPromiseLookup.call(dns.promises, hostname, options);
    }
    if (isLoopbackName(hostname)) {
      return opts.all ? [{ address: '127.0.0.1', family: 4 }] : { address: '127.0.0.1', family: 4 };
    }
    throw confinementError(hostname, undefined, 'ENOTFOUND');
  };
}

// dns.resolve* query DNS servers directly: refuse every name.
function confineResolvers() {
  for (const name of Object.keys(dns)) {
    if (!name.startsWith('resolve') || typeof dns[name] !== 'function') continue;
    dns[name] = function resolve(hostname, ...rest) {
      const cb = rest.find((arg) => typeof arg === 'function');
      const err = confinementError(hostname, undefined, 'ENOTFOUND');
      err.syscall = 'queryA';
      if (cb) process.nextTick(() => cb(err));
      return {};
    };
  }
  for (const name of Object.keys(dns.promises)) {
    if (!name.startsWith('resolve') || typeof dns.promises[name] !== 'function') continue;
    dns.promises[name] = async function resolve(hostname) {
      throw confinementError(hostname, undefined, 'ENOTFOUND');
    };
  }
}

function confineToLoopback() {
  confineLookups();
  confineResolvers();
  const realConnect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function connect(...args) {
    // net.createConnection passes its normalized [options, callback] array.
    const normalized = Array.isArray(args[0]);
    let options = normalized ? args[0][0] : args[0];
    let host;
    let port;
    let path;
    if (options !== null && typeof options === 'object') {
      host = options.host;
      port = options.port;
      path = options.path;
    } else if (typeof options === 'string' && Number.isNaN(Number(options))) {
      path = options;
    } else {
      port = options;
      if (typeof args[1] === 'string') host = args[1];
    }
    // Node's default host is localhost.
    if (path !== undefined || host === undefined || host === null || host === '') {
      return realConnect.apply(this, args);
    }
    if (isLoopbackAddress(host) || bareHost(host) === 'localhost') {
      return realConnect.apply(this, args);
    }
    if (isLoopbackName(host) && typeof options === 'object') {
      // bucket.localhost: connect to 127.0.0.1, keep the Host header.
      options = { ...options, host: '127.0.0.1' };
      // Replace in place: node marks its normalized array with a symbol.
      if (normalized) args[0][0] = options;
      else args[0] = options;
      return realConnect.apply(this, args);
    }
    const code = net.isIP(bareHost(host)) ? 'ECONNREFUSED' : 'ENOTFOUND';
    const err = confinementError(host, port, code);
    process.nextTick(() => this.destroy(err));
    return this;
  };
}

const RealDate = Date;
let clockOffsetMs = 0;

// Date with every "now" moved by clockOffsetMs; dates built from explicit
// values are unchanged.
function StratusDate(...args) {
  if (!new.target) return new RealDate(RealDate.now() + clockOffsetMs).toString();
  if (args.length === 0) return new RealDate(RealDate.now() + clockOffsetMs);
  return new RealDate(...args);
}
StratusDate.prototype = RealDate.prototype;
StratusDate.now = () => RealDate.now() + clockOffsetMs;
StratusDate.parse = RealDate.parse;
StratusDate.UTC = RealDate.UTC;
globalThis.Date = StratusDate;

function call(method, urlPath, body, headers = {}) {
  const [host, port] = api.split(':');
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host, port: Number(port), method, path: urlPath, agent, headers },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function errorObject(err) {
  if (err instanceof Error) {
    return {
      errorType: err.name && err.name !== 'Error' ? err.name : err.constructor?.name || 'Error',
      errorMessage: err.message,
      trace: String(err.stack || '').split('\n'),
    };
  }
  return {
    errorType: typeof err,
    errorMessage: typeof err === 'string' ? err : JSON.stringify(err) ?? String(err),
    trace: [],
  };
}

function postError(urlPath, err, type) {
  const obj = errorObject(err);
  if (type) obj.errorType = type;
  const body = JSON.stringify(obj);
  return call('POST', urlPath, body, {
    'Content-Type': 'application/json',
    'Lambda-Runtime-Function-Error-Type': obj.errorType,
  });
}

function patchConsole() {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
  for (const [method, level] of Object.entries(levels)) {
    console[method] = (...args) => {
      const line = util.format(...args).replace(/\n/g, '\r');
      process.stdout.write(`${new RealDate().toISOString()}\t${currentRequestId ?? 'undefined'}\t${level}\t${line}\n`);
    };
  }
}

async function loadHandler() {
  const slash = handlerName.lastIndexOf('/');
  const dir = handlerName.slice(0, slash + 1);
  const rest = handlerName.slice(slash + 1);
  const dot = rest.indexOf('.');
  if (dot < 0) {
    const err = new Error(`Bad handler ${handlerName}: expected file.export`);
    err.name = 'Runtime.MalformedHandlerName';
    throw err;
  }
  const file = dir + rest.slice(0, dot);
  const exportPath = rest.slice(dot + 1).split('.');
  const candidates = ['.js', '.mjs', '.cjs'].map((ext) => path.resolve(taskRoot, file + ext));
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) {
    const err = new Error(`Cannot find module '${file}'`);
    err.name = 'Runtime.ImportModuleError';
    throw err;
  }
  let mod;
  try {
    mod = await import(pathToFileURL(found).href);
  } catch (cause) {
    const err = new Error(`${cause?.name ?? 'Error'}: ${cause?.message ?? cause}`);
    err.name = 'Runtime.ImportModuleError';
    err.stack = cause?.stack ?? err.stack;
    throw err;
  }
  let fn = mod;
  for (const key of exportPath) fn = fn?.[key] ?? (fn === mod ? mod.default?.[key] : undefined);
  if (typeof fn !== 'function') {
    const err = new Error(`${file}.${exportPath.join('.')} is undefined or not exported`);
    err.name = 'Runtime.HandlerNotFound';
    throw err;
  }
  return fn;
}

function makeContext(headers) {
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  const context = {
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - RealDate.now()),
  };
  if (headers['lambda-runtime-client-context']) {
    try {
      context.clientContext = JSON.parse(headers['lambda-runtime-client-context']);
    } catch {
      context.clientContext = undefined;
    }
  }
  return context;
}

function runHandler(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err, value) => {
      if (settled) return;
      settled = true;
      if (err !== null && err !== undefined) reject(err);
      else resolve(value);
    };
    context.done = callback;
    context.succeed = (value) => callback(null, value);
    context.fail = (err) => callback(err ?? new Error('handled'));
    try {
      const result = handler(event, context, callback);
      if (result && typeof result.then === 'function') {
        result.then((v) => callback(null, v), (e) => callback(e ?? new Error('Promise rejected')));
      } else if (handler.length < 3) {
        callback(null, result);
      }
    } catch (err) {
      callback(err);
    }
  });
}

// Some SDK clients (Bedrock Runtime among them) send every call over
// HTTP/2, which Stratus does not serve. For plain http:// endpoints, which
// only a local emulator uses, make the SDK's HTTP/2 handler send through
// its HTTP/1.1 handler instead. Every copy of @smithy/node-http-handler the
// handler can load is patched: the handler's own and the runtime's.
function useHttp1ForPlainHttp() {
  const origins = [path.join(taskRoot, 'index.js'), fileURLToPath(import.meta.url)];
  const files = new Set();
  for (const origin of origins) {
    const requireFrom = createRequire(origin);
    for (const via of [null, '@aws-sdk/client-bedrock-runtime']) {
      try {
        const base = via ? createRequire(requireFrom.resolve(via)) : requireFrom;
        files.add(base.resolve('@smithy/node-http-handler'));
      } catch {
        // Not installed there.
      }
    }
  }
  for (const file of files) {
    const { NodeHttp2Handler, NodeHttpHandler } = createRequire(file)(file);
    if (!NodeHttp2Handler || !NodeHttpHandler || NodeHttp2Handler.prototype.stratusHttp1) continue;
    const handle = NodeHttp2Handler.prototype.handle;
    NodeHttp2Handler.prototype.handle = function stratusHandle(request, options) {
      if (request.protocol !== 'http:') return handle.call(this, request, options);
      this.stratusHttp1Handler ??= new NodeHttpHandler();
      // HTTP/2 pseudo-headers such as :authority are not HTTP/1.1 headers.
      const headers = Object.fromEntries(
        Object.entries(request.headers ?? {}).filter(([name]) => !name.startsWith(':')),
      );
      const http1 = Object.assign(Object.create(Object.getPrototypeOf(request)), request, { headers });
      return this.stratusHttp1Handler.handle(http1, options);
    };
    NodeHttp2Handler.prototype.stratusHttp1 = true;
  }
}

async function main() {
  patchConsole();
  // Bare imports the handler's folders lack come from the runtime's SDK.
  register('./resolve-hook.mjs', import.meta.url);
  useHttp1ForPlainHttp();
  if (process.env.STRATUS_LAMBDA_ALLOW_NETWORK !== '1') confineToLoopback();
  let handler;
  try {
    handler = await loadHandler();
  } catch (err) {
    console.error(`${err.name}: ${err.message}`);
    await postError(`${base}/init/error`, err, err.name).catch(() => {});
    process.exit(1);
  }

  process.on('uncaughtException', async (err) => {
    if (currentRequestId) {
      await postError(`${base}/invocation/${currentRequestId}/error`, err).catch(() => {});
    }
    process.exit(129);
  });

  for (;;) {
    let next;
    try {
      next = await call('GET', `${base}/invocation/next`);
    } catch (err) {
      // The Runtime API is gone: Stratus stopped this environment.
      process.exit(0);
    }
    if (next.status !== 200) {
      process.stderr.write(`Runtime API next returned HTTP ${next.status}: ${next.body}\n`);
      process.exit(1);
    }
    const requestId = next.headers['lambda-runtime-aws-request-id'];
    currentRequestId = requestId;
    clockOffsetMs = Number(next.headers['stratus-clock-offset-ms'] ?? 0) || 0;
    process.env._X_AMZN_TRACE_ID = next.headers['lambda-runtime-trace-id'] ?? '';
    let event;
    try {
      event = JSON.parse(next.body.toString('utf8'));
    } catch (err) {
      await postError(`${base}/invocation/${requestId}/error`, err, 'Runtime.UnmarshalError');
      continue;
    }
    try {
      const result = await runHandler(handler, event, makeContext(next.headers));
      const body = JSON.stringify(result === undefined ? null : result);
      await call('POST', `${base}/invocation/${requestId}/response`, body, {
        'Content-Type': 'application/json',
      });
    } catch (err) {
      console.error(util.format('Invoke Error', JSON.stringify(errorObject(err))));
      await postError(`${base}/invocation/${requestId}/error`, err);
    }
    currentRequestId = undefined;
  }
}

main();
