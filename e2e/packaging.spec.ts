// What a user installs: the packages packed into tarballs, installed into a scratch app (offline,
// from the tarballs and npm's cache), its page type-checked against the shipped types, bundled with
// esbuild and run in Chromium against a Node server from the same tarballs.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { build } from 'esbuild';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** What the scratch app installs: the CLI without its optional ONNX dependency (140 MB of runtimes). */
const PACKAGES = ['packages/protocol', 'packages/queue', 'packages/client', 'packages/server', 'packages/cli'];

const PAGE = `import { connect } from '@crowdserve/client';

const app = await connect(location.origin);
const [answer] = await app.predict('/predict', ['from the tarballs']);
document.querySelector('#output')!.textContent = String(answer);
document.body.dataset.isolated = String(crossOriginIsolated);
app.close();
`;

const SERVER = `import { fileURLToPath } from 'node:url';
import { serve } from '@crowdserve/server/node';

const server = await serve({
  port: 0,
  staticDir: fileURLToPath(new URL('./public', import.meta.url)),
  endpoints: { '/predict': { fn: async ([text]) => [String(text).toUpperCase()] } },
});
console.log(\`listening on \${server.url}\`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'ESNext',
    moduleResolution: 'bundler',
    lib: ['ES2023', 'DOM'],
    types: [],
    strict: true,
    noEmit: true,
    skipLibCheck: false,
  },
  include: ['src'],
};

let dir: string;
let server: ChildProcess | undefined;
let url: string;
let bundle: string;

test.beforeAll(async () => {
  // Packing and installing is seconds of npm, not a wait on the page: a budget of its own.
  test.setTimeout(120_000);
  dir = await mkdtemp(join(tmpdir(), 'crowdserve-packaging-'));
  const packed = await run(
    'npm',
    ['pack', ...PACKAGES.flatMap((p) => ['-w', p]), '--pack-destination', dir, '--json'],
    {
      cwd: ROOT,
    },
  );
  const tarballs = (JSON.parse(packed.stdout) as { filename: string }[]).map((t) => join(dir, t.filename));
  expect(tarballs).toHaveLength(PACKAGES.length);

  const app = join(dir, 'app');
  await mkdir(join(app, 'src'), { recursive: true });
  await mkdir(join(app, 'public'));
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--omit=optional', '--ignore-scripts', ...tarballs],
    { cwd: app },
  );
  await writeFile(join(app, 'src/main.ts'), PAGE);
  await writeFile(join(app, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  await writeFile(join(app, 'server.mjs'), SERVER);
  await writeFile(
    join(app, 'public/index.html'),
    '<!doctype html><meta charset="utf-8"><title>scratch</title><p id="output"></p><script type="module" src="main.js"></script>',
  );
  // The shipped .d.ts files, strictly, as a user's editor sees them.
  await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', app]);
  await build({
    absWorkingDir: app,
    entryPoints: ['src/main.ts'],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: 'public/main.js',
    logLevel: 'silent',
  });
  bundle = await readFile(join(app, 'public/main.js'), 'utf8');

  server = spawn(process.execPath, ['server.mjs'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  url = await new Promise<string>((resolve, reject) => {
    server?.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    server?.once('exit', (code) => reject(new Error(`the scratch server exited (${code}):\n${output}`)));
  });
});

test.afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = once(server, 'exit');
    server.kill('SIGTERM');
    const [code] = await exited;
    expect(code, 'the scratch server exits cleanly on SIGTERM').toBe(0);
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('a page built from the tarballs talks to a server from the tarballs, cross-origin isolated', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(url);
  await expect(page.locator('#output')).toHaveText('FROM THE TARBALLS');
  await expect(page.locator('body')).toHaveAttribute('data-isolated', 'true');
  expect(errors).toEqual([]);
  // The browser bundle carries none of the Node entry (ws, node: modules).
  expect(bundle).not.toMatch(/from ["'](?:ws|node:[a-z_]+)["']/);
});

test('the CLI from its tarball runs as `npx crowdserve`', async () => {
  const { stdout } = await run('npx', ['--no-install', 'crowdserve', '--version'], { cwd: join(dir, 'app') });
  expect(stdout.trim()).toBe(JSON.parse(await readFile(join(ROOT, 'packages/cli/package.json'), 'utf8')).version);
});
