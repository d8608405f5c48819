import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EndpointDefinition } from '@crowdserve/server';
import { CliError } from './errors.js';

/** What `crowdserve serve app.js` hosts: the same record `serve({ endpoints })` takes. */
export type AppEndpoints = Record<string, EndpointDefinition>;

/**
 * Imports an app module and takes its endpoints: a named export `endpoints`, else the default
 * export, each an object of endpoint definitions keyed by api name (as `serve({ endpoints })`).
 * The server checks each definition itself, with its own messages.
 */
export async function loadApp(path: string): Promise<AppEndpoints> {
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError('BAD_APP', `cannot load ${path}: ${(error as Error).message}`, { cause: error });
  }
  const endpoints = module.endpoints ?? module.default;
  if (typeof endpoints !== 'object' || endpoints === null || Array.isArray(endpoints)) {
    throw new CliError(
      'BAD_APP',
      `${path}: expected \`export const endpoints = { '/predict': { fn } }\` (or the same object as the default export), got ${endpoints === undefined ? 'neither' : Array.isArray(endpoints) ? 'an array' : typeof endpoints}`,
    );
  }
  if (Object.keys(endpoints).length === 0) throw new CliError('BAD_APP', `${path}: its endpoints object is empty`);
  return endpoints as AppEndpoints;
}

/** `--max-batch-size` for an app: applies to the endpoints that batch; the others are left as they are. */
export function withMaxBatchSize(endpoints: AppEndpoints, maxBatchSize: number): AppEndpoints {
  return Object.fromEntries(
    Object.entries(endpoints).map(([name, e]) => [name, e.batch === true ? { ...e, maxBatchSize } : e]),
  );
}
