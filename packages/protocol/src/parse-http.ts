import { describeValue } from './describe-value.js';
import { type ParseResult } from './errors.js';
import type { ApiInfo, AppConfig } from './http.js';
import { fail, guard, object } from './fields.js';

/**
 * Checks a `GET /config` answer: an object whose `dependencies` is an array of objects, each
 * `api_name` a string or null and `types` an object where present, and `crowdserve` an object
 * where present. Other fields are Gradio's and passed through. Accepts a string or parsed value.
 */
export function parseAppConfig(input: unknown): ParseResult<AppConfig> {
  return guard(input, (value) => {
    const o = object(value);
    const deps = o['dependencies'];
    if (!Array.isArray(deps)) fail('INVALID_FIELD', '$.dependencies', `expected an array, got ${describeValue(deps)}`);
    deps.forEach((dep: unknown, i) => {
      const path = `$.dependencies[${i}]`;
      const d = object(dep, path);
      const name = d['api_name'];
      if (name !== undefined && name !== null && typeof name !== 'string') {
        fail('INVALID_FIELD', `${path}.api_name`, `expected a string or null, got ${describeValue(name)}`);
      }
      if (d['types'] !== undefined) object(d['types'], `${path}.types`);
    });
    if (o['crowdserve'] !== undefined) {
      const ours = object(o['crowdserve'], '$.crowdserve');
      if (ours['endpoints'] !== undefined) object(ours['endpoints'], '$.crowdserve.endpoints');
    }
    return o as unknown as AppConfig;
  });
}

/** Checks a `GET /info` answer: `named_endpoints` and `unnamed_endpoints` objects of objects. */
export function parseApiInfo(input: unknown): ParseResult<ApiInfo> {
  return guard(input, (value) => {
    const o = object(value);
    for (const key of ['named_endpoints', 'unnamed_endpoints']) {
      const endpoints = object(o[key], `$.${key}`);
      for (const [name, endpoint] of Object.entries(endpoints)) object(endpoint, `$.${key}[${JSON.stringify(name)}]`);
    }
    return o as unknown as ApiInfo;
  });
}
