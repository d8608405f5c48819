// @ts-check
// crowdserve's own runner worker (packages/onnx/dist/onnx/browser-worker.js), watched: for each
// call it notes when the message arrived, how long `session.run` took in all, and when the
// answer left. The page reads these over a BroadcastChannel, so it can split a batch's time into
// the model, the two thread hops, and the rest. The runner and its messages are untouched.
import * as ort from 'onnxruntime-web';
// Static, so the runner listens before the first message arrives; the patches below still come
// before any call, as calls only start on a message.
import '../../packages/onnx/dist/onnx/browser-worker.js';
import { watchSessionRun } from './session-run-watch.js';

const now = () => performance.timeOrigin + performance.now();
/** @type {{ received: number[], runMs: number[], answered: number[] }} */
let marks = { received: [], runMs: [], answered: [] };
const sessionRun = watchSessionRun(ort);
self.addEventListener('message', (event) => {
  marks.received.push(performance.timeOrigin + event.timeStamp);
  sessionRun.ms = 0;
});
const post = self.postMessage.bind(self);
self.postMessage = (/** @type {any} */ message, /** @type {any} */ transfer) => {
  marks.answered.push(now());
  marks.runMs.push(sessionRun.ms);
  post(message, transfer);
};

// `{ read: name }` → `{ name, marks }` (those since the last read), from the worker of that name.
const channel = new globalThis.BroadcastChannel('browser-overhead-timing');
channel.onmessage = ({ data }) => {
  if (data.read !== self.name) return;
  channel.postMessage({ name: self.name, marks });
  marks = { received: [], runMs: [], answered: [] };
};
