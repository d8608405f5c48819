// @ts-check
// Issue 3: the client's browser bundle, min+gzip, beside @gradio/client's, bundled the same way in the same run.
// Issue 20: split into chunks as Vite/Rollup do, so the lazy `import()` of the sse_v3 transport is its own
// chunk: "first load" is what a browser app fetches for a WebSocket server, "all chunks" what sse_v3 adds.
import { build } from 'esbuild';
import { builtinModules } from 'node:module';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { fmt, table } from './lib/stats.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Bundles a small app entry for the browser the way a Vite/esbuild app would (ESM, minified,
 * tree-shaken, `browser` export condition) and measures it.
 * @param {string} name
 * @param {string} source the app's entry
 */
async function measure(name, source) {
  const result = await build({
    stdin: { contents: source, resolveDir: root, loader: 'js' },
    bundle: true,
    splitting: true,
    outdir: 'bundle-size-out',
    entryNames: 'entry',
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
    // @gradio/client names Node built-ins and a Node-only `ws` chunk (`wrapper-*.js`) behind runtime checks
    // and dynamic imports; an app bundler leaves those out of the browser bundle, so we do too.
    external: ['node:*', ...builtinModules, 'ws', 'bufferutil', 'utf-8-validate', './wrapper-*.js'],
  });
  const files = result.outputFiles.map((f) => ({ path: f.path, code: f.contents, text: f.text }));
  const entry = files.find((f) => /[\\/]entry\.js$/.test(f.path));
  if (entry === undefined) throw new Error('esbuild wrote no entry chunk');
  const gzip = (/** @type {Uint8Array} */ code) => gzipSync(code, { level: 9 }).length;
  const firstLoad = [entry, ...staticImports(entry, files)];
  const firstLoadPaths = new Set(firstLoad.map((f) => f.path));
  /** @type {Record<string, number>} min bytes each source module puts into the first load */
  const firstLoadModules = {};
  for (const [output, meta] of Object.entries(result.metafile?.outputs ?? {})) {
    if (![...firstLoadPaths].some((p) => p.endsWith(`/${output.replace(/^.*\//, '')}`))) continue;
    for (const [input, { bytesInOutput }] of Object.entries(meta.inputs)) {
      if (bytesInOutput > 0) firstLoadModules[input.replace(/^.*?(packages|node_modules)\//, '')] = bytesInOutput;
    }
  }
  return {
    name,
    firstLoadModules,
    minBytes: sum(firstLoad.map((f) => f.code.length)),
    gzipBytes: sum(firstLoad.map((f) => gzip(f.code))),
    allMinBytes: sum(files.map((f) => f.code.length)),
    allGzipBytes: sum(files.map((f) => gzip(f.code))),
    chunks: files.length,
    containsWs: files.some((f) => /from"ws"|require\("ws"\)/.test(f.text)),
  };
}

/** @param {number[]} values */
const sum = (values) => values.reduce((a, b) => a + b, 0);

/**
 * The chunks a chunk pulls in with static `import`s (loaded with it), not those behind `import()`.
 * @template {{ path: string, text: string }} F
 * @param {F} chunk
 * @param {F[]} files
 * @returns {F[]}
 */
function staticImports(chunk, files, seen = new Set([chunk.path])) {
  /** @type {F[]} */
  const found = [];
  // esbuild's minified ESM: `import{a as b}from"./chunk-X.js";` or `import"./chunk-X.js";`, never `import(`.
  for (const m of chunk.text.matchAll(/import(?:[^"'(]*?from)?\s*["']\.\/([^"']+)["']/g)) {
    const file = files.find((f) => f.path.endsWith(`/${m[1]}`));
    if (file === undefined || seen.has(file.path)) continue;
    seen.add(file.path);
    found.push(file, ...staticImports(file, files, seen));
  }
  return found;
}

export async function bundleSize() {
  const rows = [
    await measure(
      '@crowdserve/client',
      `import { connect } from '@crowdserve/client';
       const app = await connect(location.origin);
       const job = app.submit('/predict', ['hi'], { onStatus: console.log });
       console.log(await job.result);`,
    ),
    await measure(
      '@gradio/client 2.7.0',
      `import { Client } from 'gradio-client-2';
       const app = await Client.connect(location.origin);
       for await (const m of app.submit('/predict', ['hi'])) console.log(m);`,
    ),
    await measure(
      '@gradio/client 1.19.1',
      `import { Client } from 'gradio-client-1.19';
       const app = await Client.connect(location.origin);
       for await (const m of app.submit('/predict', ['hi'])) console.log(m);`,
    ),
    await measure(
      '@gradio/client 0.6.0',
      `import { client } from 'gradio-client-0.6';
       const app = await client(location.origin, {});
       app.submit('/predict', ['hi']).on('data', console.log);`,
    ),
  ];
  const ours = /** @type {{ gzipBytes: number, containsWs: boolean }} */ (rows[0]);
  console.log('\n## Client bundle size (browser, ESM, code-split, minified + gzip -9 per chunk, same esbuild run)\n');
  console.log('(first load: the entry and the chunks it imports statically; all: every chunk, lazy ones too)\n');
  table(
    [
      'bundle',
      'first load min kB',
      'first load min+gzip kB',
      'all chunks min+gzip kB',
      'chunks',
      'vs crowdserve',
      'target',
    ],
    rows.map((r, i) => [
      r.name,
      fmt(r.minBytes / 1000, 1),
      fmt(r.gzipBytes / 1000, 2),
      fmt(r.allGzipBytes / 1000, 2),
      String(r.chunks),
      i === 0 ? '1.00×' : `${fmt(r.gzipBytes / ours.gzipBytes, 1)}×`,
      i === 0
        ? `≤ 6 kB: ${ours.gzipBytes <= 6000 ? 'yes' : 'NO'}; ws in bundle: ${ours.containsWs ? 'YES' : 'no'}`
        : '',
    ]),
  );
  console.log('\n### @crowdserve/client first load by module (min bytes, before gzip)\n');
  table(
    ['module', 'min bytes'],
    Object.entries(rows[0]?.firstLoadModules ?? {})
      .sort((a, b) => b[1] - a[1])
      .map(([module, bytes]) => [module, String(bytes)]),
  );
  return rows;
}
