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
