// The field checks every parser here is built from; split from the messages' parsers so a bundle that reads
// only HTTP answers (a client before it knows the dialect) does not carry the queue messages' parsers.
import { describeValue } from './describe-value.js';
import { ProtocolError, type ParseResult } from './errors.js';

/** Keys that would let a merged object reach a prototype; refused anywhere in a frame. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Longest free-text field (`desc`, `unit`, `error`, `reason`) accepted from a peer. */
export const MAX_TEXT_LENGTH = 4096;

type Obj = Record<string, unknown>;

class Fail {
  constructor(readonly error: ProtocolError) {}
}

export function fail(code: ProtocolError['code'], path: string, message: string): never {
  throw new Fail(new ProtocolError(code, path, message));
}

/**
 * Parses one text frame as JSON, refusing prototype-reaching keys anywhere inside it.
 * Never throws: every failure is a typed {@link ProtocolError}.
 */
export function parseJson(text: string): ParseResult<unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    return { ok: false, error: new ProtocolError('INVALID_JSON', '$', 'expected JSON text', { cause }) };
  }
  const path = findForbiddenKey(value);
  if (path !== null) {
    return {
      ok: false,
      error: new ProtocolError('FORBIDDEN_KEY', path, 'expected no "__proto__", "constructor" or "prototype" key'),
    };
  }
  return { ok: true, value };
}

/** An object or array met on the walk, and how it was reached (for the error's path). */
interface Visit {
  value: object;
  parent: Visit | null;
  /** The key or index under which `parent` holds it. */
  step: string | number;
}

/**
 * The path of the first forbidden key anywhere in a parsed value, or null. Every frame is walked
 * (a text pre-check would miss keys written with escapes, like "\u005f_proto__"): it costs a visit
 * per object or array, nothing per string or number, and paths are only spelled out on a hit.
 */
function findForbiddenKey(root: unknown): string | null {
  if (typeof root !== 'object' || root === null) return null;
  // Iterative walk: a hostile frame may nest deeper than the call stack allows.
  const stack: Visit[] = [{ value: root, parent: null, step: '' }];
  for (let visit = stack.pop(); visit !== undefined; visit = stack.pop()) {
    const v = visit.value;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i];
        if (typeof item === 'object' && item !== null) stack.push({ value: item, parent: visit, step: i });
      }
      continue;
    }
    for (const key of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(key)) return pathOf({ value: v, parent: visit, step: key });
      const item = (v as Obj)[key];
      if (typeof item === 'object' && item !== null) stack.push({ value: item, parent: visit, step: key });
    }
  }
  return null;
}

function pathOf(visit: Visit): string {
  let path = '';
  for (let at: Visit | null = visit; at?.parent != null; at = at.parent) {
    path = (typeof at.step === 'number' ? `[${at.step}]` : `.${at.step}`) + path;
  }
  return `$${path}`;
}

export function guard<T>(text: string | unknown, check: (value: unknown) => T): ParseResult<T> {
  let value = text;
  if (typeof text === 'string') {
    const json = parseJson(text);
    if (!json.ok) return json;
    value = json.value;
  }
  try {
    return { ok: true, value: check(value) };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, error: e.error };
    return { ok: false, error: new ProtocolError('INVALID_FIELD', '$', 'unreadable frame', { cause: e }) };
  }
}

export function object(value: unknown, path = '$'): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('NOT_AN_OBJECT', path, `expected an object, got ${describeValue(value)}`);
  }
  return value as Obj;
}

export function int(o: Obj, key: string, min = 0): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    fail('INVALID_FIELD', `$.${key}`, `expected an integer ≥ ${min}, got ${describeValue(v)}`);
  }
  return v;
}

export function num(o: Obj, key: string, path = `$.${key}`): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v))
    fail('INVALID_FIELD', path, `expected a number, got ${describeValue(v)}`);
  return v;
}

export function numOrNull(o: Obj, key: string, path = `$.${key}`): number | null {
  return o[key] === null || o[key] === undefined ? null : num(o, key, path);
}

export function str(o: Obj, key: string, max: number, path = `$.${key}`): string {
  const v = o[key];
  if (typeof v !== 'string') fail('INVALID_FIELD', path, `expected a string, got ${describeValue(v)}`);
  if (v.length > max) fail('STRING_TOO_LONG', path, `expected at most ${max} characters, got ${v.length}`);
  return v;
}

export function strOrNull(o: Obj, key: string, max: number, path: string): string | null {
  return o[key] === null || o[key] === undefined ? null : str(o, key, max, path);
}

export function array(o: Obj, key: string, path = `$.${key}`): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) fail('INVALID_FIELD', path, `expected an array, got ${describeValue(v)}`);
  return v;
}
