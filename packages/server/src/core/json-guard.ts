import { parseJson, type ProtocolError } from '@crowdserve/protocol';
/**
 * Checks untrusted JSON text before `JSON.parse` sees it. Deeply nested text is the cheapest attack on
 * the event loop: ≤16 MiB of `[[[[…` took JSON.parse (and then the data checks) seconds and ~1 GB.
 * One pass over the characters, strings skipped, stops at the first level past the budget.
 */

/**
 * The deepest nesting of arrays and objects accepted in a message: real inputs (base64 audio and images,
 * arrays of numbers, a chat history) are a few levels deep.
 * @default 64
 */
export const DEFAULT_MAX_JSON_DEPTH = 64;

/** Thrown for JSON text nested deeper than the budget. */
export class JsonTooDeepError extends Error {
  override readonly name = 'JsonTooDeepError';
  readonly code = 'JSON_TOO_DEEP';
}

const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The text's deepest nesting, or `maxDepth + 1` as soon as it goes past `maxDepth` (then it stops).
 * Also on the text's UTF-8 bytes, before they are decoded: every byte of a multi-byte character is
 * ≥ 0x80, so brackets, quotes and backslashes are found just the same.
 */
export function jsonDepth(text: string | Uint8Array, maxDepth: number): number {
  return typeof text === 'string' ? textDepth(text, maxDepth) : bytesDepth(text, maxDepth);
}

// Two copies of one loop, so each stays monomorphic (a string's charCodeAt, a byte array's index).
function textDepth(text: string, maxDepth: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > maxDepth) return deepest;
      }
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return deepest;
}

function bytesDepth(bytes: Uint8Array, maxDepth: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] as number;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > maxDepth) return deepest;
      }
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return deepest;
}

/** Throws `JsonTooDeepError` when `text` nests deeper than `maxDepth`; else does nothing. */
export function checkJsonDepth(text: string | Uint8Array, maxDepth = DEFAULT_MAX_JSON_DEPTH): void {
  if (jsonDepth(text, maxDepth) > maxDepth) {
    throw new JsonTooDeepError(`expected JSON nested at most ${maxDepth} levels deep, got deeper`);
  }
}

const utf8 = new TextDecoder();

/** UTF-8 bytes as text (a string stays as it is). */
export function decodeUtf8(text: string | Uint8Array): string {
  return typeof text === 'string' ? text : utf8.decode(text);
}

/**
 * `parseJson` behind the depth budget, for request bodies (as the WebSocket's data frames get it): text
 * nested deeper than `maxDepth` is refused before it is decoded (bytes) or parsed. Never throws.
 */
export function parseJsonWithin(
  text: string | Uint8Array,
  maxDepth = DEFAULT_MAX_JSON_DEPTH,
): { ok: true; value: unknown } | { ok: false; error: JsonTooDeepError | ProtocolError } {
  if (jsonDepth(text, maxDepth) > maxDepth) {
    return {
      ok: false,
      error: new JsonTooDeepError(`expected JSON nested at most ${maxDepth} levels deep, got deeper`),
    };
  }
  return parseJson(decodeUtf8(text));
}
