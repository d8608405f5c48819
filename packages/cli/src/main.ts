import { readFileSync } from 'node:fs';
import { serve, type Server, type ServeOptions } from '@crowdserve/server/node';
import type { EndpointDefinition } from '@crowdserve/server';
import { DEFAULT_SERVE_FLAGS, parseCommand, type Command } from './args.js';
import { CliError } from './errors.js';
import { HELP } from './help.js';
import { loadApp, withMaxBatchSize } from './load-app.js';
import { MODEL_API_NAME, describeSignature, modelEndpoint } from './model-endpoint.js';
import { builtInPage, ownPage, type ServedPage } from './page.js';

/** How long running jobs get to finish after SIGTERM / Ctrl-C (`serve()`'s `closeGraceMs`). */
export const CLOSE_GRACE_MS = 10_000;
/** Past the grace, the sockets' goodbyes and the workers' disposal: then the process exits regardless. */
export const EXIT_DEADLINE_MS = CLOSE_GRACE_MS + 5_000;

export interface Output {
  log: (line: string) => void;
  error: (line: string) => void;
}

/** The package's version, read from its package.json (one level above both `src/` and `dist/`). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Starts what a `serve` command names, and says on `out` where it listens and what it serves. */
export async function startServer(command: Extract<Command, { kind: 'serve' }>, out: Output): Promise<Server> {
  const { flags, target } = command;
  // Checked first: a missing --static-dir is refused before a model loads.
  const page = flags.staticDir === null ? null : await ownPage(flags.staticDir);
  let endpoints: Record<string, EndpointDefinition>;
  if (command.mode === 'model') {
    const { endpoint, signature } = await modelEndpoint(target, {
      batch: flags.batch,
      maxBatchSize: flags.maxBatchSize ?? DEFAULT_SERVE_FLAGS.maxBatchSize,
    });
    endpoints = { [MODEL_API_NAME]: endpoint };
    out.log(`model ${target}: inputs ${signature.inputs.map(describeSignature).join(', ')}`);
    out.log(`  outputs ${signature.outputs.map(describeSignature).join(', ')}`);
  } else {
    const app = await loadApp(target);
    endpoints = flags.maxBatchSize === null ? app : withMaxBatchSize(app, flags.maxBatchSize);
  }
  const served = page ?? (await builtInPage());
  let server: Server;
  try {
    server = await serveWithPage(served, {
      port: flags.port,
      host: flags.host,
      concurrencyCount: flags.concurrency,
      maxSize: flags.maxSize,
      redis: flags.redis === null ? null : { url: flags.redis },
      closeGraceMs: CLOSE_GRACE_MS,
      title: `crowdserve: ${target}`,
      endpoints,
    });
  } catch (error) {
    await served.dispose();
    throw error;
  }
  for (const [name, report] of Object.entries(server.reports)) out.log(`  ${name}: ${JSON.stringify(report)}`);
  // Gradio's own line, so scripts that wait for it work unchanged.
  out.log(`Running on local URL:  ${server.url}`);
  return server;
}

/** `serve()` with the page at `/`; closing the server also removes what was made for the page. */
async function serveWithPage(page: ServedPage, options: ServeOptions): Promise<Server> {
  const server = await serve({
    ...options,
    staticDir: page.staticDir,
    ...(page.contentSecurityPolicy === undefined ? {} : { contentSecurityPolicy: page.contentSecurityPolicy }),
  });
  const close = server.close.bind(server);
  return Object.assign(server, { close: () => close().finally(() => page.dispose()) });
}

/**
 * The command line. Returns the exit code for help, version and refusals; a started server runs
 * until SIGTERM or SIGINT, then closes gracefully and the process exits 0 (1 if closing failed or
 * outlived `EXIT_DEADLINE_MS`).
 */
export async function main(argv: readonly string[], out: Output = consoleOutput): Promise<number | 'serving'> {
  try {
    const command = parseCommand(argv);
    if (command.kind === 'help') {
      out.log(HELP);
      return 0;
    }
    if (command.kind === 'version') {
      out.log(version());
      return 0;
    }
    const server = await startServer(command, out);
    stopOnSignals(server, out);
    return 'serving';
  } catch (error) {
    if (error instanceof CliError) {
      out.error(`crowdserve: ${error.message}`);
      if (error.code === 'USAGE') out.error('Try crowdserve --help.');
      return error.exitCode;
    }
    // serve()'s option and endpoint checks: their messages name the option.
    out.error(`crowdserve: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

function stopOnSignals(server: Server, out: Output): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    out.log(`${signal}: closing (running jobs finish first)`);
    setTimeout(() => {
      out.error(`crowdserve: not closed after ${EXIT_DEADLINE_MS} ms, exiting anyway`);
      process.exit(1);
    }, EXIT_DEADLINE_MS).unref();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        out.error(`crowdserve: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

const consoleOutput: Output = {
  log: (line) => console.log(line),
  error: (line) => console.error(line),
};
