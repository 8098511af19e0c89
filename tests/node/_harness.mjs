// Shared plumbing for the CLI scripts in this directory (amplify.mjs,
// cognito_identity_js.mjs, sdk_identity.mjs). Nothing in here talks to a
// server; it only parses the JSON argument, runs steps in order and prints one
// JSON object per line on stdout.
//
// Output protocol (one JSON object per line, stdout only):
//   {"step": <name>, "ok": true,  "result": <any>}
//   {"step": <name>, "ok": false, "error": {"name": ..., "message": ..., ...}}
//   {"step": <name>, "event": <string>, ...}   progress notice emitted *during*
//       a step (e.g. "the client is now waiting for an MFA code"); has no "ok".
// <name> is step.name when given, else step.op. Scripts that install the
// fetch recorder add "calls": [{op, flow?, challenge?, status}, ...] to each
// step line: the Cognito API calls the library made during that step.
// Everything else the libraries print (console.log/warn/...) goes to stderr.

import { createHmac } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

// Libraries sometimes console.log; keep stdout for our JSON lines only.
console.log = (...args) => console.error(...args);
console.info = (...args) => console.error(...args);
console.debug = (...args) => console.error(...args);

export function emit(obj) {
  process.stdout.write(`${JSON.stringify(obj, replacer)}\n`);
}

function replacer(_key, value) {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return errorInfo(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

export function errorInfo(err) {
  if (err === null || typeof err !== 'object') {
    return { name: 'NonErrorThrown', message: String(err) };
  }
  const info = { name: err.name, message: err.message };
  // Extra detail when present; consumers should rely on name/message only.
  if (err.code !== undefined && err.code !== err.name) info.code = err.code;
  const status = err.$metadata?.httpStatusCode ?? err.statusCode;
  if (status !== undefined) info.httpStatusCode = status;
  if (err.underlyingError?.name) info.underlyingError = err.underlyingError.name;
  // OAuth error responses (openid-client's ResponseBodyError): the RFC 6749 "error" code.
  if (typeof err.error === 'string') info.error = err.error;
  return info;
}

/** Parse the single JSON argument (or stdin when the argument is "-" / absent). */
export function readConfig() {
  const arg = process.argv[2];
  const text = arg === undefined || arg === '-' ? readFileSync(0, 'utf8') : arg;
  try {
    return JSON.parse(text);
  } catch (err) {
    emit({ step: 'config', ok: false, error: errorInfo(err) });
    process.exit(2);
  }
}

export class HarnessError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolve a one-time code for a step:
 *   step[field]            literal code
 *   step.totpSecret        base32 secret -> current RFC 6238 code (SHA1/6/30s)
 *   step.totpFromSetup     use ctx.lastTotpSecret (from an earlier TOTP setup)
 *   step.codeFromFile      poll this file until it is non-empty (<= codeFileTimeoutMs, default 20 s)
 */
export async function resolveCode(step, ctx, field = 'code', { onWait } = {}) {
  if (step[field] !== undefined && step[field] !== null) return String(step[field]);
  if (step.totpSecret) return totp(step.totpSecret);
  if (step.totpFromSetup) {
    if (!ctx?.lastTotpSecret) throw new HarnessError('HarnessNoTotpSecret', 'no TOTP secret seen yet');
    return totp(ctx.lastTotpSecret);
  }
  if (step.codeFromFile) {
    if (onWait) onWait();
    const deadline = Date.now() + (step.codeFileTimeoutMs ?? 20000);
    for (;;) {
      if (existsSync(step.codeFromFile)) {
        const text = readFileSync(step.codeFromFile, 'utf8').trim();
        if (text) return text;
      }
      if (Date.now() > deadline) {
        throw new HarnessError('HarnessCodeTimeout', `no code in ${step.codeFromFile}`);
      }
      await sleep(100);
    }
  }
  throw new HarnessError('HarnessNoCode', `step needs "${field}", "totpSecret", "totpFromSetup" or "codeFromFile"`);
}

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.toUpperCase().replace(/[\s=]/g, '');
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const idx = alphabet.indexOf(ch);
    if (idx < 0) throw new HarnessError('HarnessBadTotpSecret', `bad base32 character ${ch}`);
    value = (value << 5) | idx;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export function totp(secret, now = Date.now(), step = 30, digits = 6) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 1000 / step)));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(bin % 10 ** digits).padStart(digits, '0');
}

/**
 * Web-Storage-like (localStorage semantics: getItem -> null when missing)
 * in-memory store. With `file`, the contents are loaded from / saved to a JSON
 * file so a later process can continue (e.g. remembered devices).
 */
export class MemoryStorage {
  constructor(file) {
    this.file = file;
    this.data = file && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8') || '{}') : {};
  }
  get length() {
    return Object.keys(this.data).length;
  }
  key(i) {
    return Object.keys(this.data)[i] ?? null;
  }
  getItem(key) {
    return Object.prototype.hasOwnProperty.call(this.data, key) ? this.data[key] : null;
  }
  setItem(key, value) {
    this.data[key] = String(value);
    this.save();
  }
  removeItem(key) {
    delete this.data[key];
    this.save();
  }
  clear() {
    this.data = {};
    this.save();
  }
  save() {
    if (this.file) writeFileSync(this.file, JSON.stringify(this.data));
  }
}

/**
 * Observe (never alter) the HTTP calls a fetch-based client makes, by wrapping
 * globalThis.fetch. Amplify v6 and amazon-cognito-identity-js both call the
 * global fetch at request time. Each call is recorded as
 *   {op, flow?, challenge?, status}     (+ headers when withHeaders)
 * op = x-amz-target without the service prefix, flow = body.AuthFlow,
 * challenge = body.ChallengeName. runSteps attaches the calls made during a
 * step as "calls" on that step's output line.
 */
export function installFetchRecorder({ withHeaders = false } = {}) {
  const calls = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init = {}) => {
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    const call = { op: (headers.get('x-amz-target') ?? '').split('.').pop() || null };
    if (typeof init.body === 'string') {
      try {
        const body = JSON.parse(init.body);
        if (body.AuthFlow) call.flow = body.AuthFlow;
        if (body.ChallengeName) call.challenge = body.ChallengeName;
      } catch {
        // not JSON; nothing to note
      }
    }
    if (withHeaders) {
      call.method = init.method ?? 'GET';
      call.url = String(input instanceof Request ? input.url : input);
      call.headers = Object.fromEntries(headers.entries());
    }
    calls.push(call);
    try {
      const resp = await realFetch(input, init);
      call.status = resp.status;
      return resp;
    } catch (err) {
      call.status = null;
      call.fetchError = err?.cause?.code ?? err?.name;
      throw err;
    }
  };
  return calls;
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new HarnessError('HarnessTimeout', `${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Run steps in order. ops maps op name -> async (step, ctx) => result.
 * Stops (exit code 1) at the first failing step that lacks "expectError": true.
 * Exit code 0 otherwise (an expectError step that *succeeds* is reported as
 * ok:true and does not change the exit code; the caller asserts on it).
 */
export async function runSteps(steps, ops, ctx = {}, { defaultTimeoutMs = 30000, calls = null } = {}) {
  let exitCode = 0;
  for (const step of steps ?? []) {
    const name = step.name ?? step.op;
    ctx.stepName = name;
    const firstCall = calls ? calls.length : 0;
    const withCalls = (line) => (calls ? { ...line, calls: calls.slice(firstCall) } : line);
    let result;
    try {
      const fn = Object.prototype.hasOwnProperty.call(ops, step.op) ? ops[step.op] : undefined;
      if (!fn) throw new HarnessError('HarnessUnknownOp', `unknown op ${JSON.stringify(step.op)}`);
      result = await withTimeout(Promise.resolve().then(() => fn(step, ctx)), step.timeoutMs ?? defaultTimeoutMs, name);
    } catch (err) {
      emit(withCalls({ step: name, ok: false, error: errorInfo(err) }));
      if (step.expectError) continue;
      exitCode = 1;
      break;
    }
    emit(withCalls({ step: name, ok: true, result: result === undefined ? null : result }));
  }
  return exitCode;
}

/** Flush stdout, then exit (libraries may leave timers/sockets open). */
export function finish(code) {
  process.stdout.write('', () => process.exit(code));
}

export { sleep };
