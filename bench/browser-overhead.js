// @ts-check
// Issue 4 (c): in the browser, the per-batch overhead of crowdserve's pool path over calling
// `session.run` directly in one worker, for Silero VAD batches on WASM.
//
// Headless Chromium (Debian's, via Playwright) opens a page that Vite serves from bench/lib/
// (dev server, nothing built to disk; COOP/COEP, so timers are 5 µs fine). The page runs VAD
// batches on WASM, one batch in flight at a time, over the same clips, three ways
// (lib/browser-overhead-page.js):
//   bare   a hand-written worker calling session.run directly. Per batch: postMessage of the
//          clips' frames (each clip framed beforehand, as the pool's are, and transferred), the
//          session.run loop (one call per 32 ms frame, the clips' frames copied side by side
//          into one input, state carried), the probabilities posted back, and in the page each
//          clip's probabilities and speech segments: the same job and output as the pool's.
//   pool   crowdserve's pool path without the queue: vadEndpoint()'s batch handler called from
//          the page, as the queue calls it: each clip framed beforehand by the endpoint's
//          `prepare` (the queue does it when the data arrives) and handed over as `prepared`.
//          Per batch: the clips packed into one wire batch, WorkerPool.run → a Comlink call
//          (transferred), in the worker the runner lays the clips out, steps the frames through
//          session.run, splits the outputs; back in the page, probabilities and speech segments
//          per clip. Neither path's untimed preparation counts: only what runs once the batch
//          starts. In both workers "session.run" is the time inside the session.run calls alone.
//   local  the whole in-page server: createLocalServer + connect(local), one job per clip
//          (samples as base64 float32), the batch's jobs sent at once and batched by the queue.
// Every batch is one message to a worker and one answer back, on every path. Both sides note
// when these leave and arrive, and each worker adds up its time inside session.run (crowdserve's
// runner through a watching wrapper, lib/browser-overhead-timed-worker.js), so each batch's wall
// time splits into: session.run, the two thread hops (message in, answer out), and the rest, the
// path's own work. "adds vs bare" = a path's own work minus the bare worker's, paired round by
// round: what crowdserve costs per batch over a hand-written worker. Target (pool): ≤ 0.3 ms.
// The hops are reported apart: both paths make the same two, and on a busy machine waking an idle
// thread costs milliseconds that have nothing to do with either path.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright';
import { createServer } from 'vite';
import { CHROMIUM_ARGS_NO_WEBGPU, DEBIAN_CHROMIUM } from '../e2e/chromium-args.js';
import { machineLoad } from './lib/machine.js';
import { fmt, table } from './lib/stats.js';

const TARGET_MS = 0.3;
/** The whole page's run, at most. */
const LIMIT_MS = 10 * 60_000;
const CHROMIUM = process.env.CHROMIUM_PATH ?? DEBIAN_CHROMIUM;
/**
 * DESIGN.md §7's flags, minus WebGPU (this section is WASM only), plus V8's single-threaded GC:
 * without it, Debian's Chromium 150 on a 2-core machine keeps the page's main thread at 100 % CPU
 * while the bench runs — a CDP trace showed ~20,000 Blink heap (cppgc) incremental-sweep tasks a
 * second, each posting the next — which takes a core from the workers being timed and made one
 * batch's session.run time swing 85–555 ms from run to run. With the flag: 2 such tasks in 3 s.
 * Every path runs in the same browser, so the flag weighs on them alike.
 */
const CHROMIUM_ARGS = [...CHROMIUM_ARGS_NO_WEBGPU, '--js-flags=--single-threaded-gc'];

/** The page, served by Vite from bench/lib/ on a free loopback port. */
async function startPage() {
  const server = await createServer({
    configFile: false,
    root: fileURLToPath(new URL('./lib/', import.meta.url)),
    logLevel: 'warn',
    server: {
      host: '127.0.0.1',
      port: 0,
      hmr: false,
    },
    worker: { format: 'es' },
    // onnxruntime-web finds its .wasm next to its own module; no discovery, so no reload mid-run.
    optimizeDeps: { exclude: ['onnxruntime-web'], noDiscovery: true },
    plugins: [
      {
        name: 'browser-overhead-page',
        configureServer: (vite) => {
          vite.middlewares.use((request, response, next) => {
            // Cross-origin isolated (page and workers alike): 5 µs timers instead of 100 µs.
            response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
            response.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
            if (request.url !== '/') return next();
            response.setHeader('Content-Type', 'text/html');
            response.end('<!doctype html><script type="module" src="/browser-overhead-page.js"></script>');
          });
        },
      },
    ],
  });
  await server.listen();
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('Vite did not say where it listens');
  return { url, close: () => server.close() };
}

/** @param {{ quick?: boolean }} options */
export async function browserOverhead({ quick = false } = {}) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `browser-overhead needs Chromium and found none at ${CHROMIUM}: install Debian's (apt-get install chromium) or set CHROMIUM_PATH.`,
    );
  }
  console.log('\n## In-browser pool overhead: Silero VAD on WASM, one batch in flight\n');
  const machineBefore = machineLoad();
  // Many short rounds, the paths taking turns, so that other work on the machine weighs on each alike.
  const rounds = quick ? 10 : 30;
  // Each path first runs `warmup` batches, and batches for `warmupMs`, so the figures are for code
  // in its steady state, as in a server that has run a while: V8 has optimized the JS (the pool's
  // path is more code than the bare worker's and takes longer to get there: its 1-clip figure fell
  // from ~0.38 to ~0.24 ms going from 20 to 1000 batches), and Chromium has tiered up ORT's
  // WebAssembly, which a fresh worker runs from its baseline compiler until it is hot: after 20
  // batches of 8 × 1 s clips each path's session.run still took 120–135 ms a batch, after 100
  // ~69 ms, after 300 62–67 ms; 32 × 1-step batches took ~15 ms after 200 and ~8 ms after 1000.
  const warmupMs = quick ? 5_000 : 20_000;
  const settings = [
    // One 32 ms frame per clip: a batch is one session.run, so the overhead stands out most.
    { samples: 512, batch: 1, rounds, perRound: 10, warmup: 1000, warmupMs },
    { samples: 512, batch: 32, rounds, perRound: 5, warmup: 200, warmupMs },
    // 1 s clips (32 frames): a batch is 32 session.run calls, stepped inside the worker. One batch
    // a round, so more rounds: with 30, the median moved by ±0.1 ms from run to run. (`--quick` times
    // 30; it warms up as long, as 100 warm-up batches still left the figure ~0.1 ms higher.)
    { samples: 16_000, batch: 8, rounds: quick ? 30 : 100, perRound: 1, warmup: 300, warmupMs },
  ];
  const page = await startPage();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  try {
    const tab = await browser.newPage();
    /** @type {string[]} */
    const errors = [];
    tab.on('pageerror', (error) => errors.push(error.message));
    tab.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    await tab.goto(page.url);
    await tab
      .waitForFunction(() => 'benchOverhead' in globalThis, undefined, { timeout: 60_000 })
      .catch((cause) => {
        throw new Error(`the bench page did not start: ${errors.join('; ') || cause}`);
      });
    /** @type {NodeJS.Timeout | undefined} */
    let timer;
    // A worker that never answers would hang the page's promise: give up, saying where.
    const measured = await Promise.race([
      tab.evaluate(
        // @ts-expect-error: defined by the page
        (config) => globalThis.benchOverhead(config),
        { settings },
      ),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the bench page did not finish in ${LIMIT_MS / 1000} s: ${errors.join('; ')}`)),
          LIMIT_MS,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    const machineAfter = machineLoad();
    console.log(
      `page: crossOriginIsolated ${measured.crossOriginIsolated}, ${measured.hardwareConcurrency} logical cores; ` +
        `each path warmed up for ≥ ${warmupMs / 1000} s first; ms per batch, medians over rounds\n`,
    );
    const label = (/** @type {any} */ r) =>
      `${r.batch} × ${r.samples === 512 ? '32 ms' : `${r.samples / 16_000} s`} (${r.steps} step${r.steps > 1 ? 's' : ''})`;
    table(
      [
        'clips × length',
        'batches',
        'path',
        'wall',
        'session.run',
        'hops',
        'wall − run',
        'own work',
        '(page',
        'worker)',
        'adds vs bare',
      ],
      measured.results.flatMap((/** @type {any} */ r) =>
        ['bare', 'pool', 'local'].map((path) => {
          const p = r.paths[path];
          const adds = path === 'pool' ? r.poolAddsMs : path === 'local' ? r.localAddsMs : null;
          return [
            path === 'bare' ? label(r) : '',
            path === 'bare' ? String(r.batches) : '',
            path,
            fmt(p.wall, 3),
            fmt(p.run, 3),
            fmt(p.hops, 3),
            fmt(p.outsideRun, 3),
            fmt(p.own, 3),
            fmt(p.ownInPage, 3),
            fmt(p.ownInWorker, 3),
            adds === null ? '' : fmt(adds, 3),
          ];
        }),
      ),
    );
    console.log('');
    table(
      [
        'clips × length',
        'pool adds per batch',
        'target',
        'ok',
        'per session.run call',
        'ping',
        'local batches',
        'max |Δp| across paths',
      ],
      measured.results.map((/** @type {any} */ r) => [
        label(r),
        `${fmt(r.poolAddsMs, 3)} ms`,
        `≤ ${TARGET_MS} ms`,
        r.poolAddsMs <= TARGET_MS ? 'yes' : 'NO',
        // A batch of clips N steps long is N session.run calls, in the pool's worker as in the hand-written one.
        `${fmt(r.poolAddsMs / r.steps, 3)} ms`,
        `${fmt(r.pingMs, 3)} ms`,
        Object.entries(r.localBatchSizes)
          .map(([size, count]) => `${count}×${size}`)
          .join(' '),
        r.maxProbabilityDifference.toExponential(1),
      ]),
    );
    return {
      target: TARGET_MS,
      warmupMs,
      crossOriginIsolated: measured.crossOriginIsolated,
      machine: { before: machineBefore, after: machineAfter },
      results: measured.results,
    };
  } finally {
    await browser.close();
    await page.close();
  }
}
