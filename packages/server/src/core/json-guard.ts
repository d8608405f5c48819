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

/**
 * The scan between characters, one `step` per character code (a UTF-16 unit or a byte). It keeps its
 * state between calls, so a body or a frame is scanned chunk by chunk as it arrives (`scanBytes`), and
 * refused at the first chunk past the budget: a deep body then costs O(that chunk), not O(its size).
 */
export class JsonDepthScan {
  /** The deepest nesting seen so far (at most `maxDepth + 1`: the scan stops there). */
  deepest = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(readonly maxDepth: number = DEFAULT_MAX_JSON_DEPTH) {}

  /** Whether the nesting went past `maxDepth`. */
  get tooDeep(): boolean {
    return this.deepest > this.maxDepth;
  }

  /** Takes one character; true once the nesting went past `maxDepth`. */
  step(c: number): boolean {
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (c === BACKSLASH) this.escaped = true;
      else if (c === QUOTE) this.inString = false;
    } else if (c === QUOTE) {
      this.inString = true;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++this.depth > this.deepest) this.deepest = this.depth;
      return this.deepest > this.maxDepth;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      this.depth--;
    }
    return false;
  }

  /** Takes `bytes[start..end)` (UTF-8); true once the nesting went past `maxDepth` (then it stops). */
  scanBytes(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
    if (this.tooDeep) return true;
    for (let i = start; i < end; i++) if (this.step(bytes[i] as number)) return true;
    return false;
  }
}

function textDepth(text: string, maxDepth: number): number {
  const scan = new JsonDepthScan(maxDepth);
  for (let i = 0; i < text.length; i++) if (scan.step(text.charCodeAt(i))) break;
  return scan.deepest;
}

function bytesDepth(bytes: Uint8Array, maxDepth: number): number {
  const scan = new JsonDepthScan(maxDepth);
  scan.scanBytes(bytes);
  return scan.deepest;
}

/** Throws `JsonTooDeepError` when `text` nests deeper than `maxDepth`; else does nothing. */
export function checkJsonDepth(text: string | Uint8Array, maxDepth = DEFAULT_MAX_JSON_DEPTH): void {
  if (jsonDepth(text, maxDepth) > maxDepth) throw tooDeep(maxDepth);
}

function tooDeep(maxDepth: number): JsonTooDeepError {
  return new JsonTooDeepError(tooDeepMessage(maxDepth));
}

/** What a client is told of JSON past the depth budget. */
export function tooDeepMessage(maxDepth = DEFAULT_MAX_JSON_DEPTH): string {
  return `expected JSON nested at most ${maxDepth} levels deep, got deeper`;
}

const utf8 = new TextDecoder();

/** UTF-8 bytes as text (a string stays as it is). */
export function decodeUtf8(text: string | Uint8Array): string {
  return typeof text === 'string' ? text : utf8.decode(text);
}
