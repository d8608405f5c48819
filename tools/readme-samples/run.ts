import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import ts from 'typescript';
import type { SampleFile } from './check.js';

/** The address samples are written against; a run points it at the test's own server. */
export const README_URL = 'http://127.0.0.1:7860';

export interface SampleRun {
  /** What the sample printed. */
  stdout: string;
  stderr: string;
  /** The URL a server sample printed and answered `/config` on; `null` for a sample that just ran and exited. */
  servedAt: string | null;
  /** The `/config` that server answered. */
  config: unknown;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Runs a `node` sample as its own process, the way a reader would (`node sample.mjs`). What it is given
 * differs from the README in two places only: `port: 7860` becomes `port: 0` (a free port), and the
 * README's address becomes `target`, the test's server. A sample that prints a URL is a server: it must
 * answer `GET /config` there, and then stop cleanly (exit code 0) on SIGTERM, as under a process manager.
 * Any other sample must exit 0 by itself. Either way within `timeoutMs`.
 */
export async function runSample(file: SampleFile, target: string, timeoutMs: number): Promise<SampleRun> {
  const source = `${file.sample.prelude}\n${file.sample.code}`
    .replaceAll('port: 7860', 'port: 0')
    .replaceAll(README_URL, target);
  const js = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
  }).outputText;
  const path = file.path.replace(/\.m?[tj]s$/, '.run.mjs');
  writeFileSync(path, js);

  const child = spawn(process.execPath, [path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const printedUrl = new Promise<string | null>((resolve) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const url = /http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout);
      if (url !== null && url[0] !== target) resolve(url[0]);
    });
    void exited.then(() => resolve(null));
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file.sample.readme}:${file.sample.line}: still running after ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
  });
  try {
    const servedAt = await Promise.race([printedUrl, timedOut]);
    let config: unknown = null;
    if (servedAt !== null) {
      const response = await Promise.race([fetch(`${servedAt}/config`), timedOut]);
      config = await response.json();
      child.kill('SIGTERM');
    }
    const { code, signal } = await Promise.race([exited, timedOut]);
    return { stdout, stderr, servedAt, config, exitCode: code, signal };
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
