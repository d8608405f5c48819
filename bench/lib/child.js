// @ts-check
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Starts a server script in a child process (so load and server do not share one event loop)
 * and resolves with its URL and a stop function.
 * @param {string} script path relative to bench/
 * @param {string[]} [args]
 * @returns {Promise<{ url: string, child: import('node:child_process').ChildProcess, stop: () => Promise<void> }>}
 */
export function startChild(script, args = [], execArgv = /** @type {string[]} */ ([])) {
  const child = fork(fileURLToPath(new URL(`../${script}`, import.meta.url)), args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv,
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    child.once('message', (/** @type {any} */ m) => {
      child.removeAllListeners('exit');
      resolve({
        url: m.url,
        child,
        stop: () =>
          new Promise((done) => {
            const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(timer);
              done();
            });
            child.send('stop');
          }),
      });
    });
  });
}

/**
 * The child's side of `startChild`: tells the parent the server's URL, answers 'report' with `report()`
 * (when given) and 'stop' by closing the server, and exits if the parent goes away without stopping it.
 * @param {{ url: string, close(): Promise<void> }} server @param {() => unknown} [report]
 */
export function answerParent(server, report) {
  process.send?.({ url: server.url });
  process.on('message', (m) => {
    if (m === 'report' && report !== undefined) process.send?.(report());
    if (m === 'stop') server.close().then(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
}
