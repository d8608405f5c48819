import type { Remote } from 'comlink';
import type { OnnxSession } from './onnx-options.js';
import { feedsRunner } from './packed.js';
import type { RunnerApi } from './runner.js';

/** Each worker's runner as `infer` sees it, made once per worker (see `feedsRunner`). */
const sessions = new WeakMap<Remote<RunnerApi>, OnnxSession>();

/** A worker's runner as `infer` sees it: a batch crosses encoded (see `encodeBatch`), its buffers transferred. */
export function sessionOf(api: Remote<RunnerApi>): OnnxSession {
  let session = sessions.get(api);
  if (session === undefined) sessions.set(api, (session = feedsRunner(api)));
  return session;
}
