/** Why a frame was refused. Stable: code that reacts to a parse error tests these, never the text. */
export type ProtocolErrorCode =
  'INVALID_JSON' | 'NOT_AN_OBJECT' | 'UNKNOWN_MESSAGE' | 'INVALID_FIELD' | 'STRING_TOO_LONG' | 'FORBIDDEN_KEY';

/** A frame that is not a valid message. `path` points at the offending field (`$.fn_index`). */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ProtocolErrorCode;
  readonly path: string;

  constructor(code: ProtocolErrorCode, path: string, message: string, options?: { cause?: unknown }) {
    super(`${message} at ${path}`, options);
    this.code = code;
    this.path = path;
  }
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: ProtocolError };
