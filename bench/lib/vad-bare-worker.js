// @ts-check
// `bareVadLoop` in a worker thread: the bare loop run beside other work in this process.
import { parentPort, workerData } from 'node:worker_threads';
import { bareVadLoop } from './vad-bare.js';

const { samples, ...options } = workerData;
parentPort?.postMessage(await bareVadLoop(samples, options));
