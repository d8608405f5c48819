import { wrap } from 'comlink';
import type { Remote } from 'comlink';
import type { RunnerApi } from './runner.js';
import type { SpawnWorker } from './worker-pool.js';

/** Spawns runner workers as Web Workers, each wrapped with Comlink. */
export function browserSpawner(createWorker: () => Worker): SpawnWorker<Remote<RunnerApi>> {
  return () => {
    const worker = createWorker();
    // A Web Worker has no exit event: an uncaught error or an unreadable message is taken as its end.
    const exited = new Promise<Error>((resolve) => {
      worker.addEventListener('error', (event) => resolve(new Error(event.message || 'the worker failed to run')), {
        once: true,
      });
      worker.addEventListener('messageerror', () => resolve(new Error('a message from the worker could not be read')), {
        once: true,
      });
    });
    return { api: wrap<RunnerApi>(worker), exited, terminate: () => worker.terminate() };
  };
}
