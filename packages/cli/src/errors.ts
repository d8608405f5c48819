/** Why the command line refused to start. Stable: scripts and tests check the code, never the text. */
export type CliErrorCode =
  /** A flag, value or argument the command does not take (exit code 2, as `parseArgs` users expect). */
  | 'USAGE'
  /** The app module could not be loaded, or exports no endpoints. */
  | 'BAD_APP'
  /** The model file could not be read as an ONNX model, or has inputs the CLI cannot feed from JSON. */
  | 'BAD_MODEL'
  /** Serving a model needs `@crowdserve/onnx`, which is not installed. */
  | 'ONNX_MISSING';

/** A refusal the CLI prints as one line (`crowdserve: …`) before it exits. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** 2 for a usage error (what shells and `parseArgs` users expect), 1 otherwise. */
  get exitCode(): number {
    return this.code === 'USAGE' ? 2 : 1;
  }
}

/** How a bad value reads in a message: strings quoted, everything else as it prints. */
export function describeValue(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}
