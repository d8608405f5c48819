import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built command (`npx tsc -b` first): what `npx crowdserve` runs. */
export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

export interface Spawned {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>;
}

/** Runs `crowdserve …args` in a child process; `stop()` in `afterEach` ends any left running. */
export function spawnCli(args: string[], cwd?: string, options: { bin?: boolean } = {}): Spawned {
  // `bin: false`: args start with the script to run (a copy of the built CLI elsewhere).
  const argv = options.bin === false ? args : [BIN, ...args];
  const child = spawn(process.execPath, argv, { cwd, stdio: 'pipe' });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  running.add(child);
  void exited.then(() => running.delete(child));
  return { child, stdout: () => out, stderr: () => err, exited };
}

const running = new Set<ChildProcessWithoutNullStreams>();

/** Kills whatever a test left running (a failed assertion before its SIGTERM). */
export function killLeftovers(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** The URL from the "Running on local URL:" line, as soon as it is printed; rejects if the process exits first. */
export function serverUrl(spawned: Spawned): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = /Running on local URL: +(http:\/\/\S+)/.exec(spawned.stdout());
      if (match) {
        spawned.child.stdout.off('data', check);
        resolve(match[1] as string);
      }
    };
    spawned.child.stdout.on('data', check);
    void spawned.exited.then((code) =>
      reject(new Error(`crowdserve exited (${code}) before serving:\n${spawned.stdout()}\n${spawned.stderr()}`)),
    );
    check();
  });
}
