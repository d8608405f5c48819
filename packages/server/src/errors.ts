import { describeValue } from '@crowdserve/protocol';

/** What went wrong, stable across releases: code that reacts to a server error tests this, never the text. */
export type ServerErrorCode =
  | 'INVALID_OPTION'
  | 'UNKNOWN_OPTION'
  | 'ENDPOINT_SETUP_FAILED'
  | 'UNKNOWN_ENDPOINT'
  | 'LOCAL_SERVER_NOT_READY'
  | 'LOCAL_SERVER_CLOSED';

/** An option of the wrong type (`apiOpen: 'yes'`). `option` names it (`endpoints['/x'].fn`). */
export class ServerOptionTypeError extends TypeError {
  override readonly name = 'ServerOptionTypeError';
  readonly code = 'INVALID_OPTION' satisfies ServerErrorCode;
  readonly option: string;

  constructor(option: string, expected: string, got: unknown) {
    super(`${option}: expected ${expected}, got ${describeValue(got)}`);
    this.option = option;
  }
}

/** An option of the right type but out of range (`port: 70000`). */
export class ServerOptionRangeError extends RangeError {
  override readonly name = 'ServerOptionRangeError';
  readonly code = 'INVALID_OPTION' satisfies ServerErrorCode;
  readonly option: string;

  /** `got` is described; pass `{ said }` to give the "got" part as it should read. */
  constructor(option: string, expected: string, got: unknown | { said: string }) {
    const said = typeof got === 'object' && got !== null && 'said' in got ? String(got.said) : describeValue(got);
    super(`${option}: expected ${expected}, got ${said}`);
    this.option = option;
  }
}

/** An option no version of this server knows (`serve({ redis })`): a typo must not start a different server. */
export class UnknownOptionError extends TypeError {
  override readonly name = 'UnknownOptionError';
  readonly code = 'UNKNOWN_OPTION' satisfies ServerErrorCode;
  readonly option: string;

  constructor(where: string, option: string, known: readonly string[]) {
    super(`${where}: unknown option '${option}' (expected one of ${known.join(', ')})`);
    this.option = option;
  }
}

/** Throws {@link UnknownOptionError} for the first key of `given` that `known` lacks. */
export function rejectUnknownOptions(where: string, given: object, known: readonly string[]): void {
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) throw new UnknownOptionError(where, key, known);
  }
}

/** An endpoint's `setup` failed; `endpoint` names it and `cause` holds its error. */
export class EndpointSetupError extends Error {
  override readonly name = 'EndpointSetupError';
  readonly code = 'ENDPOINT_SETUP_FAILED' satisfies ServerErrorCode;
  readonly endpoint: string;

  constructor(endpoint: string, cause: unknown) {
    super(`endpoint '${endpoint}' failed to start: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.endpoint = endpoint;
  }
}

/** The engine started a job for an endpoint the host does not have: a bug, never a client's doing. */
export class UnknownEndpointError extends Error {
  override readonly name = 'UnknownEndpointError';
  readonly code = 'UNKNOWN_ENDPOINT' satisfies ServerErrorCode;
}

/** `open()` on a local server before `ready` resolved, or after `close()`. */
export class LocalServerStateError extends Error {
  override readonly name = 'LocalServerStateError';
  readonly code: 'LOCAL_SERVER_NOT_READY' | 'LOCAL_SERVER_CLOSED';

  constructor(code: 'LOCAL_SERVER_NOT_READY' | 'LOCAL_SERVER_CLOSED', message: string) {
    super(message);
    this.code = code;
  }
}
