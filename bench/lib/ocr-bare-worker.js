// @ts-check
// One thread of the OCR control: runs the recognizer on one prepared line until told the time is up.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { ocrInputTensor, parseRgbaImage, ppOcrRecognizerModelPath } from '@crowdserve/onnx/node';

const { line, sessionOptions, warmupMs, measureMs } = workerData;
const session = await ort.InferenceSession.create(ppOcrRecognizerModelPath(), {
  ...sessionOptions,
  executionProviders: ['cpu'],
});
const x = ocrInputTensor(parseRgbaImage(line));
const feeds = { [session.inputNames[0] ?? 'x']: new ort.Tensor('float32', x.data, x.dims) };
// Start together: every thread loads its session first, then all run side by side.
parentPort?.postMessage('ready');
parentPort?.once('message', async () => {
  const until = async (/** @type {number} */ ms) => {
    const started = performance.now();
    let runs = 0;
    while (performance.now() - started < ms) {
      await session.run(feeds);
      runs++;
    }
    return { runs, ms: performance.now() - started };
  };
  await until(warmupMs);
  const cpu = process.cpuUsage();
  const measured = await until(measureMs);
  const used = process.cpuUsage(cpu);
  await session.release();
  parentPort?.postMessage({ ...measured, cpuMs: (used.user + used.system) / 1000 });
});
