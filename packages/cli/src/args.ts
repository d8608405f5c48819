import { parseArgs } from 'node:util';
import { CliError, describeValue } from './errors.js';

/** What `crowdserve serve` does when a flag is left out (the same as `serve()`'s own defaults, and Gradio's). */
export const DEFAULT_SERVE_FLAGS = {
  /** @default 7860 (Gradio's port) */
  port: 7860,
  /** @default '127.0.0.1' (loopback only: `--host 0.0.0.0` to listen on every interface) */
  host: '127.0.0.1',
  /** @default 1 */
  concurrency: 1,
  /** @default null (unbounded) */
  maxSize: null,
  /** @default false */
  batch: false,
  /** @default 4 (Gradio's max_batch_size) */
  maxBatchSize: 4,
  /** @default null (this process's queue is its own) */
  redis: null,
  /** @default null (the built-in page: one panel per endpoint) */
  staticDir: null,
} as const;

export interface ServeFlags {
  port: number;
  host: string;
  concurrency: number;
  maxSize: number | null;
  batch: boolean;
  /** `null`: not given (an app's endpoints keep their own). */
  maxBatchSize: number | null;
  /** A Redis URL: share one queue with the other processes given the same one. */
  redis: string | null;
  /** A folder served at `/` instead of the built-in page (your own built page). */
  staticDir: string | null;
}

export type Command =
  { kind: 'help' } | { kind: 'version' } | { kind: 'serve'; target: string; mode: 'model' | 'app'; flags: ServeFlags };

const OPTIONS = {
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  concurrency: { type: 'string', short: 'c' },
  'max-size': { type: 'string' },
  batch: { type: 'boolean' },
  'max-batch-size': { type: 'string' },
  redis: { type: 'string' },
  'static-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** Parses `crowdserve …`'s arguments; anything it does not take is a `USAGE` error that names it. */
export function parseCommand(argv: readonly string[]): Command {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs' messages name the flag ("Unknown option '--prot'"); keep them.
    throw new CliError('USAGE', (error as Error).message, { cause: error });
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const [command, target, ...extra] = positionals;
  if (command === undefined) throw new CliError('USAGE', 'expected a command: crowdserve serve <model.onnx | app.js>');
  if (command !== 'serve') throw new CliError('USAGE', `unknown command ${describeValue(command)}; expected 'serve'`);
  if (target === undefined) throw new CliError('USAGE', 'serve: expected a model (.onnx) or an app module (.js, .mjs)');
  if (extra.length > 0) throw new CliError('USAGE', `serve: unexpected argument ${describeValue(extra[0])}`);
  const mode = /\.onnx$/i.test(target) ? 'model' : /\.(?:m?js|cjs)$/i.test(target) ? 'app' : null;
  if (mode === null) {
    throw new CliError(
      'USAGE',
      `serve: expected a model (.onnx) or an app module (.js, .mjs), got ${describeValue(target)}`,
    );
  }
  const flags: ServeFlags = {
    port: integer('--port', values.port, 0, 65535) ?? DEFAULT_SERVE_FLAGS.port,
    host: values.host ?? DEFAULT_SERVE_FLAGS.host,
    concurrency: integer('--concurrency', values.concurrency, 1, 1024) ?? DEFAULT_SERVE_FLAGS.concurrency,
    maxSize: integer('--max-size', values['max-size'], 0) ?? DEFAULT_SERVE_FLAGS.maxSize,
    batch: values.batch ?? DEFAULT_SERVE_FLAGS.batch,
    maxBatchSize: integer('--max-batch-size', values['max-batch-size'], 1, 1024),
    redis: values.redis ?? DEFAULT_SERVE_FLAGS.redis,
    staticDir: values['static-dir'] ?? DEFAULT_SERVE_FLAGS.staticDir,
  };
  if (flags.redis !== null && !/^rediss?:\/\/./.test(flags.redis)) {
    throw new CliError('USAGE', `--redis: expected a redis:// or rediss:// URL, got ${describeValue(flags.redis)}`);
  }
  if (flags.staticDir === '') throw new CliError('USAGE', "--static-dir: expected a folder, got ''");
  if (flags.host === '') throw new CliError('USAGE', "--host: expected a host name or address, got ''");
  if (mode === 'app' && flags.batch) {
    throw new CliError('USAGE', "--batch: an app's endpoints say `batch: true` themselves (their fn takes a list)");
  }
  if (mode === 'model' && flags.maxBatchSize !== null && !flags.batch) {
    throw new CliError('USAGE', '--max-batch-size: only with --batch');
  }
  return { kind: 'serve', target, mode, flags };
}

function integer(flag: string, value: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | null {
  if (value === undefined) return null;
  const number = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new CliError('USAGE', `${flag}: expected an integer from ${min} to ${max}, got ${describeValue(value)}`);
  }
  return number;
}
