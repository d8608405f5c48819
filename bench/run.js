// @ts-check
// `npm run bench`: every benchmark section, printed as tables, written to bench/results/*.json.
// `npm run bench -- --quick` runs smaller loads; `--only=name,name` picks sections.
import { mkdir, writeFile } from 'node:fs/promises';
import { abuse } from './abuse.js';
import { browserOverhead } from './browser-overhead.js';
import { bundleSize } from './bundle-size.js';
import { crowd } from './crowd.js';
import { etaAccuracy } from './eta-accuracy.js';
import { onnxBatching } from './onnx-batching.js';
import { onnxConcurrency } from './onnx-concurrency.js';
import { queueThroughput } from './queue-throughput.js';
import { scaleOut } from './scale-out.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');

/** @type {Record<string, (o: { quick: boolean }) => Promise<unknown>>} */
const sections = {
  'queue-throughput': queueThroughput,
  'onnx-batching': onnxBatching,
  'onnx-concurrency': onnxConcurrency,
  'bundle-size': bundleSize,
  'eta-accuracy': etaAccuracy,
  crowd,
  'browser-overhead': browserOverhead,
  abuse,
  'scale-out': scaleOut,
};

const results = /** @type {Record<string, unknown>} */ ({});
for (const [name, run] of Object.entries(sections)) {
  if (only && !only.includes(name)) continue;
  results[name] = await run({ quick });
}
const dir = new URL('./results/', import.meta.url);
await mkdir(dir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const file = new URL(`bench-${stamp}.json`, dir);
await writeFile(
  file,
  JSON.stringify({ date: new Date().toISOString(), node: process.version, quick, results }, null, 2),
);
console.log(`\nresults: ${file.pathname}`);
