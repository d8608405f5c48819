import type { AppConfig } from '@crowdserve/protocol';
import { describe, expect, it } from 'vitest';
import { findEndpoint, readEndpoints } from './endpoints.js';
import { TEST_CONFIG, TEST_INFO } from '../test/test-utils.js';

describe('readEndpoints', () => {
  it('accepts api names with or without the slash, and reads the crowdserve section', () => {
    const config: AppConfig = {
      ...TEST_CONFIG,
      dependencies: [
        { ...TEST_CONFIG.dependencies[0]!, api_name: '/predict' },
        { ...TEST_CONFIG.dependencies[3]!, api_name: 'classify' },
      ],
      crowdserve: {
        version: '0.1.0',
        concurrency_count: 2,
        max_size: 10,
        api_open: false,
        endpoints: { '/classify': { batch: true, max_batch_size: 8, max_batch_delay_ms: 5, concurrency_limit: null } },
      },
    };
    const endpoints = readEndpoints(config, TEST_INFO);
    expect(endpoints).toEqual([
      {
        fnIndex: 0,
        apiName: '/predict',
        batch: false,
        maxBatchSize: 4,
        maxBatchDelayMs: null,
        generator: false,
        parameters: TEST_INFO.named_endpoints['/predict']!.parameters,
        returns: [],
      },
      {
        fnIndex: 1,
        apiName: '/classify',
        batch: true,
        maxBatchSize: 8,
        maxBatchDelayMs: 5,
        generator: false,
        parameters: [],
        returns: [],
      },
    ]);
  });

  it('works without /info', () => {
    expect(readEndpoints(TEST_CONFIG, null).map((e) => e.parameters)).toEqual([[], [], [], []]);
  });

  it('calls a config without dependencies a SERVER_ERROR', () => {
    expect(() => readEndpoints({ version: '3' } as unknown as AppConfig, null)).toThrow(
      expect.objectContaining({
        code: 'SERVER_ERROR',
        message: 'expected a config with dependencies[], got an object',
      }),
    );
  });
});

describe('findEndpoint', () => {
  const endpoints = readEndpoints(TEST_CONFIG, null);

  it('finds by name or fn_index', () => {
    expect(findEndpoint(endpoints, '/stream').fnIndex).toBe(2);
    expect(findEndpoint(endpoints, 'stream').fnIndex).toBe(2);
    expect(findEndpoint(endpoints, 1).apiName).toBeNull();
  });

  it.each([['/missing'], [-1], [4], [1.5], [null]])('refuses %j with BAD_REQUEST', (endpoint) => {
    expect(() => findEndpoint(endpoints, endpoint as string)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });
});
