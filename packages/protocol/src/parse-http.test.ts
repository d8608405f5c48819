import { describe, expect, it } from 'vitest';
import { parseApiInfo, parseAppConfig } from './parse-http.js';

const dep = { api_name: 'predict', types: { continuous: false, generator: false } };

describe('parseAppConfig', () => {
  it('accepts a Gradio-shaped config and passes it through', () => {
    const config = { version: '3.50.2', dependencies: [dep, { ...dep, api_name: null }], components: [] };
    expect(parseAppConfig(JSON.stringify(config))).toEqual({ ok: true, value: config });
  });

  // Issue 21.11: a null in dependencies threw a raw TypeError from connect().
  it.each([
    [{ dependencies: [dep, null] }, 'NOT_AN_OBJECT', '$.dependencies[1]'],
    [{ dependencies: 'x' }, 'INVALID_FIELD', '$.dependencies'],
    [{ dependencies: [{ api_name: 7 }] }, 'INVALID_FIELD', '$.dependencies[0].api_name'],
    [{ dependencies: [{ types: null }] }, 'NOT_AN_OBJECT', '$.dependencies[0].types'],
    [{ dependencies: [], crowdserve: { endpoints: [] } }, 'NOT_AN_OBJECT', '$.crowdserve.endpoints'],
    [[], 'NOT_AN_OBJECT', '$'],
  ])('refuses %j with a typed error', (input, code, path) => {
    const result = parseAppConfig(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ code, path });
  });

  it('refuses JSON that is not text of an object', () => {
    const result = parseAppConfig('{"dependencies": [');
    expect(result.ok || result.error.code).toBe('INVALID_JSON');
  });
});

describe('parseApiInfo', () => {
  it('accepts named and unnamed endpoints', () => {
    const info = { named_endpoints: { '/predict': { parameters: [], returns: [] } }, unnamed_endpoints: {} };
    expect(parseApiInfo(info)).toEqual({ ok: true, value: info });
  });

  it.each([
    [{ named_endpoints: {} }, '$.unnamed_endpoints'],
    [{ named_endpoints: { '/p': null }, unnamed_endpoints: {} }, '$.named_endpoints["/p"]'],
  ])('refuses %j', (input, path) => {
    const result = parseApiInfo(input);
    expect(result.ok || result.error.path).toBe(path);
  });
});
