// `REDIS_URL=… WORKERS=3 npm start`: three processes on one port (node:cluster) share one queue on a real
// redis-server, and each /predict answer says which process served it (issue 23: the playground shows it).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect } from '@crowdserve/client';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../../test/redis-server.js';

const SCRIPT = fileURLToPath(new URL('../../../../../playground/server.js', import.meta.url));

let redis: RedisServer;
let child: ChildProcess | undefined;

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});
afterEach(() => {
  if (child?.exitCode === null) child.kill('SIGKILL');
});

it('starts WORKERS processes sharing one queue; their answers name who served them; SIGTERM stops all', async () => {
  child = spawn(process.execPath, [SCRIPT], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: redis.url,
      WORKERS: '3',
      MODELS: '0',
      PREDICT_MS: '300',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exit = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
  createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child!.stdout! }).on('line', (line) => {
      output.push(line);
      const found = /^crowdserve playground: (\S+) \(3 processes sharing one queue on redis:/.exec(line);
      if (found !== null) resolve(found[1]!);
    });
    void exit.then((code) => reject(new Error(`exited ${code}: ${output.join('\n')}`)));
  });

  const app = await connect(url);
  try {
    const results = await Promise.all(
      Array.from({ length: 9 }, (_, i) => app.predict<[string]>('/predict', [`job ${i}`])),
    );
    const servers = new Set<string>();
    for (const [i, result] of results.entries()) {
      const match = /^JOB (\d) \(served by process (\d) \(pid \d+\)\)$/.exec(result[0]);
      expect(match, result[0]).not.toBeNull();
      expect(match![1]).toBe(String(i));
      servers.add(match![2]!);
    }
    // Two slots per process, nine jobs of 300 ms at once: the other processes' free slots take the rest.
    expect(servers.size).toBeGreaterThanOrEqual(2);
  } finally {
    app.close();
  }

  child.kill('SIGTERM');
  expect(await exit).toBe(0);
});
