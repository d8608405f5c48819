import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type Server } from '@crowdserve/server/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typeCheck, writeSamples } from './check.js';
import { extractSamples } from './extract.js';
import { runSample } from './run.js';

// Every TypeScript and JavaScript block of every README: type-checked strictly against the built packages
// (`npm test` builds first), and the `node` ones run as a reader would run them.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const READMES = [
  'README.md',
  'playground/README.md',
  ...readdirSync(join(ROOT, 'packages')).map((p) => `packages/${p}/README.md`),
].filter((path) => existsSync(join(ROOT, path)));
const DIR = join(ROOT, 'node_modules', '.cache', 'readme-samples');

const samples = READMES.flatMap((readme) => extractSamples(readme, readFileSync(join(ROOT, readme), 'utf8')));
const files = writeSamples(samples, DIR);

describe('README samples', () => {
  it('every README with code has its blocks found', () => {
    for (const readme of ['README.md', 'packages/client/README.md', 'packages/server/README.md']) {
      expect(samples.some((s) => s.readme === readme)).toBe(true);
    }
  });

  it('type-check under strict TypeScript', { timeout: 120_000 }, () => {
    expect(typeCheck(files, DIR)).toEqual([]);
  });

  describe('run in Node', () => {
    // The server the client samples talk to: what their README promises is there (`/predict`).
    let server: Server;
    beforeAll(async () => {
      server = await serve({
        port: 0,
        host: '127.0.0.1',
        endpoints: { '/predict': { fn: ([text]) => [String(text).toUpperCase()] } },
      });
    });
    afterAll(() => server.close());

    const runnable = files.filter((f) => f.sample.flags.has('node'));
    it('some samples are marked to run', () => expect(runnable.length).toBeGreaterThan(0));

    it.each(runnable.map((f) => [`${f.sample.readme}:${f.sample.line}`, f] as const))(
      '%s',
      { timeout: 120_000 },
      async (_, file) => {
        const run = await runSample(file, server.url, 100_000);
        expect(run.stderr).not.toMatch(/Error/);
        if (run.servedAt !== null) {
          // A server sample: it answered as a Gradio app, then stopped cleanly on SIGTERM.
          expect(run.config).toMatchObject({ dependencies: expect.any(Array) });
          expect(run.exitCode).toBe(0);
        } else {
          // A client sample: it printed what the server answered, and ended by itself.
          expect(run.stdout).not.toBe('');
          expect(run.exitCode).toBe(0);
        }
      },
    );
  });
});
