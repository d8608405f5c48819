import { describe, expect, it } from 'vitest';
import { EndpointSetupError, ServerOptionRangeError, UnknownOptionError } from '../errors.js';
import { createLocalServer, type LocalServerOptions } from './local-server.js';

const endpoints = { '/predict': { fn: async (d: unknown[]) => d } };

describe('createLocalServer options', () => {
  it('refuses an unknown option, naming it, as serve() does', () => {
    const run = (): unknown => createLocalServer({ endpoints, port: 0 } as LocalServerOptions);
    expect(run).toThrow(UnknownOptionError);
    expect(run).toThrow(expect.objectContaining({ code: 'UNKNOWN_OPTION', option: 'port' }));
  });

  it('checks the queue options with the same validators as serve()', () => {
    const run = (): unknown => createLocalServer({ endpoints, concurrencyCount: 0 });
    expect(run).toThrow(ServerOptionRangeError);
    expect(run).toThrow('concurrencyCount: expected an integer from 1 to 1024, got 0');
    expect(() => createLocalServer({ endpoints, statusUpdateRate: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', option: 'statusUpdateRate' }),
    );
  });

  it('refuses open() before ready and after close() with a coded error', async () => {
    const local = createLocalServer({ endpoints });
    expect(() => local.open()).toThrow(expect.objectContaining({ code: 'LOCAL_SERVER_NOT_READY' }));
    await local.ready;
    await local.close();
    expect(() => local.open()).toThrow(expect.objectContaining({ code: 'LOCAL_SERVER_CLOSED' }));
  });

  it('fails ready with EndpointSetupError naming the endpoint whose setup failed', async () => {
    const cause = new Error('no GPU');
    const local = createLocalServer({
      endpoints: {
        '/ok': endpoints['/predict'],
        '/model': { fn: async (d: unknown[]) => d, setup: () => Promise.reject(cause) },
      },
    });
    const error: unknown = await local.ready.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EndpointSetupError);
    expect(error).toMatchObject({ code: 'ENDPOINT_SETUP_FAILED', endpoint: '/model', cause });
    expect((error as Error).message).toBe("endpoint '/model' failed to start: no GPU");
    await local.close();
  });
});
