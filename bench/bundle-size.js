// @ts-check
// Issue 3: the client's browser bundle, min+gzip, beside @gradio/client's, bundled the same way in the same run.
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
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    // @gradio/client names Node built-ins and a Node-only `ws` chunk (`wrapper-*.js`) behind runtime checks
    // and dynamic imports; an app bundler leaves those out of the browser bundle, so we do too.
    external: ['node:*', ...builtinModules, 'ws', 'bufferutil', 'utf-8-validate', './wrapper-*.js'],
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return {
    name,
    minBytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    containsWs: /from"ws"|require\("ws"\)/.test(new TextDecoder().decode(code)),
  };
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
  console.log('\n## Client bundle size (browser, ESM, minified + gzip -9, same esbuild run)\n');
  table(
    ['bundle', 'min kB', 'min+gzip kB', 'vs crowdserve', 'target'],
    rows.map((r, i) => [
      r.name,
      fmt(r.minBytes / 1000, 1),
      fmt(r.gzipBytes / 1000, 2),
      i === 0 ? '1.00×' : `${fmt(r.gzipBytes / ours.gzipBytes, 1)}×`,
      i === 0
        ? `≤ 6 kB: ${ours.gzipBytes <= 6000 ? 'yes' : 'NO'}; ws in bundle: ${ours.containsWs ? 'YES' : 'no'}`
        : '',
    ]),
  );
  return rows;
}
