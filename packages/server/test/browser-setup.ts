// Global setup of the browser project (runs in Node, before any browser starts): checks that
// there is a Chromium to launch; starts the remote twins of the in-page scenario servers, and a
// small HTTP control that lets the page open their gates.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import { serve } from '../src/node/serve.js';
import type { Server } from '../src/node/serve.js';
import { Gate, SCENARIO_QUEUES, heldEndpoints } from './browser-scenario.js';
import type { ScenarioQueue } from './browser-scenario.js';

export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { chromiumPath } = project.getProvidedContext();
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `The browser tests need Chromium and found none at ${chromiumPath}. Install Debian's ` +
        '(`apt-get install chromium`, as .ci/run does) or set CHROMIUM_PATH to a Chromium binary.',
    );
  }
  const gates = {} as Record<ScenarioQueue, Gate>;
  const servers: Server[] = [];
  const urls = {} as Record<ScenarioQueue, string>;
  for (const name of Object.keys(SCENARIO_QUEUES) as ScenarioQueue[]) {
    gates[name] = new Gate();
    const server = await serve({
      ...SCENARIO_QUEUES[name],
      port: 0,
      host: '127.0.0.1',
      endpoints: heldEndpoints(gates[name]),
    });
    servers.push(server);
    urls[name] = server.url;
  }

  const control = createServer((request, response) => {
    const name = request.url?.slice(1) as ScenarioQueue;
    const gate = request.method === 'POST' ? gates[name] : undefined;
    // The page is on another origin (Vitest's server); a simple POST needs no preflight.
    response.setHeader('Access-Control-Allow-Origin', '*');
    gate?.release();
    response.writeHead(gate ? 204 : 404).end();
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));

  project.provide('remoteQueues', urls);
  project.provide('gateControl', `http://127.0.0.1:${(control.address() as AddressInfo).port}`);
  return async () => {
    await new Promise<void>((resolve) => control.close(() => resolve()));
    await Promise.all(servers.map((server) => server.close()));
  };
}
