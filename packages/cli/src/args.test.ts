import { describe, expect, it } from 'vitest';
import { DEFAULT_SERVE_FLAGS, parseCommand } from './args.js';
import { CliError } from './errors.js';

function usageError(argv: string[]): CliError {
  try {
    parseCommand(argv);
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error(`parseCommand(${JSON.stringify(argv)}) did not throw`);
}

describe('parseCommand', () => {
  it('serve with every flag, and the defaults when none is given', () => {
    expect(
      parseCommand([
        'serve',
        'm.onnx',
        '--port',
        '0',
        '--host',
        '0.0.0.0',
        '-c',
        '3',
        '--max-size',
        '20',
        '--batch',
        '--max-batch-size',
        '16',
        '--redis',
        'redis://127.0.0.1:6379',
        '--static-dir',
        'site/dist',
      ]),
    ).toEqual({
      kind: 'serve',
      target: 'm.onnx',
      mode: 'model',
      flags: {
        port: 0,
        host: '0.0.0.0',
        concurrency: 3,
        maxSize: 20,
        batch: true,
        maxBatchSize: 16,
        redis: 'redis://127.0.0.1:6379',
        staticDir: 'site/dist',
      },
    });
    expect(parseCommand(['serve', 'app.js'])).toEqual({
      kind: 'serve',
      target: 'app.js',
      mode: 'app',
      flags: { ...DEFAULT_SERVE_FLAGS, maxBatchSize: null },
    });
    expect(parseCommand(['--help'])).toEqual({ kind: 'help' });
    expect(parseCommand(['serve', '-v'])).toEqual({ kind: 'version' });
  });

  it.each([
    [['serve', 'a.js', '--concurrency', '0'], "--concurrency: expected an integer from 1 to 1024, got '0'"],
    [['serve', 'a.js', '--max-size=-1'], "--max-size: expected an integer from 0 to 9007199254740991, got '-1'"],
    [['serve', 'a.js', '--static-dir', ''], "--static-dir: expected a folder, got ''"],
    [['serve', 'a.js', '--redis', 'localhost'], "--redis: expected a redis:// or rediss:// URL, got 'localhost'"],
    [['serve', 'a.js', '--port', '1.5'], "--port: expected an integer from 0 to 65535, got '1.5'"],
    [['serve', 'a.js', '--batch'], '--batch: an app'],
    [['serve', 'm.onnx', '--max-batch-size', '4'], '--max-batch-size: only with --batch'],
    [['serve', 'a.py'], "expected a model (.onnx) or an app module (.js, .mjs), got 'a.py'"],
    [['run', 'a.js'], "unknown command 'run'"],
    [[], 'expected a command'],
    [['serve', 'a.js', '--port'], "Option '-p, --port <value>' argument missing"],
  ])('%j: USAGE, exit 2, naming what is wrong', (argv, message) => {
    const error = usageError(argv);
    expect(error.code).toBe('USAGE');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(message);
  });
});
