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

/** The text's deepest nesting, or `maxDepth + 1` as soon as it goes past `maxDepth` (then it stops). */
export function jsonDepth(text: string, maxDepth: number): number {
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

/** Throws `JsonTooDeepError` when `text` nests deeper than `maxDepth`; else does nothing. */
export function checkJsonDepth(text: string, maxDepth = DEFAULT_MAX_JSON_DEPTH): void {
  if (jsonDepth(text, maxDepth) > maxDepth) {
    throw new JsonTooDeepError(`expected JSON nested at most ${maxDepth} levels deep, got deeper`);
  }
}

/**
 * `parseJson` behind the depth budget, for request bodies (as the WebSocket's data frames get it): text
 * nested deeper than `maxDepth` is refused before `JSON.parse` sees it. Never throws.
 */
export function parseJsonWithin(
  text: string,
  maxDepth = DEFAULT_MAX_JSON_DEPTH,
): { ok: true; value: unknown } | { ok: false; error: JsonTooDeepError | ProtocolError } {
  if (jsonDepth(text, maxDepth) > maxDepth) {
    return {
      ok: false,
      error: new JsonTooDeepError(`expected JSON nested at most ${maxDepth} levels deep, got deeper`),
    };
  }
  return parseJson(text);
}
