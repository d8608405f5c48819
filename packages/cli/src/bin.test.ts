// End to end: the built command spawned as `npx crowdserve` runs it, on port 0, answered over HTTP
// and WebSocket by @crowdserve/client, stopped by SIGTERM. Run `npx tsc -b` first.
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@crowdserve/client';
import { doubleModel } from '../../onnx/test-fixtures/tiny-models.js';
import { HELP } from './help.js';
import { pageContentSecurityPolicy } from './page.js';
import { BIN, killLeftovers, serverUrl, spawnCli } from '../test/cli-test-utils.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'crowdserve-cli-'));
  await writeFile(join(dir, 'double.onnx'), doubleModel());
  await writeFile(
    join(dir, 'app.mjs'),
    `export const endpoints = {
      '/shout': { inputs: [{ label: 'text', type: 'string' }], fn: async ([text]) => [String(text).toUpperCase()] },
      '/sizes': { batch: true, maxBatchSize: 2, fn: async (requests) => requests.map(() => [requests.length]) },
    };\n`,
  );
  await writeFile(join(dir, 'default.mjs'), `export default { '/echo': { fn: async (data) => data } };\n`);
  await writeFile(join(dir, 'empty.mjs'), `export const other = 1;\n`);
});
afterEach(killLeftovers);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('crowdserve serve app.js', () => {
  it('serves the exported endpoints over HTTP and WebSocket, and exits 0 on SIGTERM', async () => {
    const cli = spawnCli(['serve', join(dir, 'app.mjs'), '--port', '0', '--concurrency', '2', '--max-batch-size', '3']);
    const url = await serverUrl(cli);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const config = (await (await fetch(`${url}/config`)).json()) as {
      title: string;
      dependencies: { api_name: string; max_batch_size: number }[];
    };
    expect(config.title).toBe(`crowdserve: ${join(dir, 'app.mjs')}`);
    expect(config.dependencies.map((d) => [d.api_name, d.max_batch_size])).toEqual([
      ['shout', 4],
      ['sizes', 3], // --max-batch-size reached the batching endpoint, not the other
    ]);

    const app = await connect(url);
    try {
      await expect(app.predict('/shout', ['hello'])).resolves.toEqual(['HELLO']);
    } finally {
      app.close();
    }
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.stdout()).toContain('SIGTERM: closing');
  });

  it('takes the default export too, and stops on SIGINT', async () => {
    const cli = spawnCli(['serve', join(dir, 'default.mjs'), '--port', '0']);
    const app = await connect(await serverUrl(cli));
    try {
      await expect(app.predict('/echo', [1, 'two'])).resolves.toEqual([1, 'two']);
    } finally {
      app.close();
    }
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
  });

  it('refuses a module without endpoints, naming the export it expects (exit 1)', async () => {
    const cli = spawnCli(['serve', join(dir, 'empty.mjs'), '--port', '0']);
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toContain('expected `export const endpoints');
  });
});

describe('crowdserve serve model.onnx', () => {
  it("reads the model's inputs, runs it in workers, batches, and exits 0 on SIGTERM", async () => {
    const cli = spawnCli(
      ['serve', 'double.onnx', '--port', '0', '--batch', '--max-batch-size', '8', '--max-size', '50'],
      dir,
    );
    const url = await serverUrl(cli);
    expect(cli.stdout()).toContain('inputs x: float32[N, M]');
    // Which runtime and execution provider the model runs on, said at startup (issue 22.2).
    expect(cli.stdout()).toMatch(/\/predict: .*"executionProvider":"cpu".*"runtime":"onnxruntime-(?:node|web)"/);

    const info = (await (await fetch(`${url}/info`)).json()) as {
      named_endpoints: Record<string, { parameters: { label: string }[]; returns: { label: string }[] }>;
    };
    expect(info.named_endpoints['/predict']?.parameters.map((p) => p.label)).toEqual(['x']);
    expect(info.named_endpoints['/predict']?.returns.map((p) => p.label)).toEqual(['y']);
    const config = (await (await fetch(`${url}/config`)).json()) as {
      dependencies: { batch: boolean; max_batch_size: number }[];
      crowdserve: { endpoints: Record<string, { signature: { inputs: unknown[] } }> };
    };
    expect(config.dependencies[0]).toMatchObject({ batch: true, max_batch_size: 8 });
    // The model's signature, in its /config report: the page says from it what shape each input takes.
    expect(config.crowdserve.endpoints['/predict']?.signature.inputs).toEqual([
      { name: 'x', type: 'float32', dims: ['N', 'M'] },
    ]);

    const app = await connect(url);
    try {
      // Several at once: they may share a batch, and each gets its own rows back.
      const rows = [1, 2, 3, 4, 5].map((n) => [[n, n + 0.5]]);
      const results = await Promise.all(rows.map((x) => app.predict('/predict', [x])));
      expect(results).toEqual(rows.map((x) => [x.map((row) => row.map((v) => v * 2))]));
      // A value that is not a tensor fails that job with a message naming the input.
      await expect(app.predict('/predict', [[[1], [2, 3]]])).rejects.toThrow(/x: expected a rectangular nested array/);
    } finally {
      app.close();
    }
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('refuses a file that is not an ONNX model (exit 1)', async () => {
    await writeFile(join(dir, 'junk.onnx'), 'not a model at all');
    const cli = spawnCli(['serve', join(dir, 'junk.onnx'), '--port', '0']);
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toContain('junk.onnx is not an ONNX model');
  });

  it('without @crowdserve/onnx (npm install --omit=optional), a model is refused with what to install (exit 1)', async () => {
    // The built CLI in a folder of its own whose node_modules holds @crowdserve/server and nothing else.
    const lone = join(dir, 'lone');
    await cp(dirname(BIN), join(lone, 'dist'), { recursive: true });
    await cp(fileURLToPath(new URL('../package.json', import.meta.url)), join(lone, 'package.json'));
    await mkdir(join(lone, 'node_modules/@crowdserve'), { recursive: true });
    await symlink(
      fileURLToPath(new URL('../../server', import.meta.url)),
      join(lone, 'node_modules/@crowdserve/server'),
    );
    const cli = spawnCli([join(lone, 'dist/bin.js'), 'serve', join(dir, 'double.onnx'), '--port', '0'], undefined, {
      bin: false,
    });
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toContain('serving an .onnx model needs @crowdserve/onnx: npm install @crowdserve/onnx');
  });
});

describe('crowdserve serve: the page at /', () => {
  it('answers the built-in page with its CSP, and the modules its import map names as JavaScript', async () => {
    const cli = spawnCli(['serve', join(dir, 'app.mjs'), '--port', '0']);
    const url = await serverUrl(cli);
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    expect(html).toContain('<script type="importmap">');
    expect(page.headers.get('content-security-policy')).toBe(pageContentSecurityPolicy(html));
    for (const path of [
      'ui.js',
      '_crowdserve/client/index.js',
      '_crowdserve/protocol/base.js',
      '_crowdserve/eventsource-parser/index.js',
    ]) {
      const file = await fetch(`${url}/${path}`);
      expect(file.status, path).toBe(200);
      expect(file.headers.get('content-type'), path).toBe('text/javascript; charset=utf-8');
      await file.arrayBuffer();
    }
    // Links inside _crowdserve/ reach the packages' dist/ folders, never out of them.
    expect((await fetch(`${url}/_crowdserve/client/../../../package.json`)).status).toBe(404);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('--static-dir serves the given folder instead', async () => {
    const site = join(dir, 'site');
    await mkdir(site, { recursive: true });
    await writeFile(join(site, 'index.html'), '<!doctype html><title>mine</title>');
    const cli = spawnCli(['serve', join(dir, 'app.mjs'), '--port', '0', '--static-dir', site]);
    const url = await serverUrl(cli);
    const page = await fetch(`${url}/`);
    expect(await page.text()).toBe('<!doctype html><title>mine</title>');
    expect(page.headers.get('content-security-policy')).not.toContain('sha256-');
    expect((await fetch(`${url}/_crowdserve/client/index.js`)).status).toBe(404);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('--static-dir naming no folder is refused before anything starts (exit 2)', async () => {
    const cli = spawnCli(['serve', join(dir, 'app.mjs'), '--port', '0', '--static-dir', join(dir, 'nope')]);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toContain(`--static-dir: expected a folder, got '${join(dir, 'nope')}' (no such folder)`);
  });
});

describe('crowdserve arguments', () => {
  it('--help prints the usage and exits 0; --version prints the package version', async () => {
    const help = spawnCli(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.stdout()).toBe(`${HELP}\n`);
    const version = spawnCli(['--version']);
    expect(await version.exited).toBe(0);
    expect(version.stdout().trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    [['serve', 'app.mjs', '--prot', '1'], "Unknown option '--prot'"],
    [['serve', 'app.mjs', '--port', '70000'], "--port: expected an integer from 0 to 65535, got '70000'"],
    [
      ['serve', 'app.mjs', '--redis', '127.0.0.1:6379'],
      "--redis: expected a redis:// or rediss:// URL, got '127.0.0.1:6379'",
    ],
  ])('%j is a usage error that names it (exit 2)', async (args, message) => {
    const cli = spawnCli(args, dir);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toContain(message);
  });
});
