import { describe, expect, it } from 'vitest';
import { OnnxOptionsError } from './errors.js';
import { DEFAULT_ONNX_ENDPOINT_OPTIONS, validateOnnxOptions } from './onnx-options.js';
import type { OnnxEndpointOptions } from './onnx-options.js';

const base: OnnxEndpointOptions = { model: 'model.onnx', preprocess: () => ({}), postprocess: () => [] };
const validate = (options: Partial<OnnxEndpointOptions>) =>
  validateOnnxOptions({ ...base, ...options } as OnnxEndpointOptions, ['cpu']);

describe('validateOnnxOptions', () => {
  it('fills in the defaults, and names the model', () => {
    const resolved = validate({ timeoutMs: undefined });
    expect(resolved).toMatchObject({
      ...DEFAULT_ONNX_ENDPOINT_OPTIONS,
      executionProviders: ['cpu'],
      modelName: '"model.onnx"',
    });
    expect(validate({ model: new Uint8Array(10) }).modelName).toBe('(a model of 10 bytes)');
    expect(validate({ model: new URL('https://x.test/m.onnx') }).modelName).toBe('"https://x.test/m.onnx"');
    expect(validate({ modelName: 'VAD' }).modelName).toBe('VAD');
  });

  it('says what it expected and what it got', () => {
    const cases: [Partial<OnnxEndpointOptions>, string][] = [
      [{ model: 42 as never }, 'model: expected a path, a URL, a Uint8Array or an ArrayBuffer, got 42'],
      [{ preprocess: 'x' as never }, 'preprocess: expected a function, got "x"'],
      [
        { executionProviders: [] },
        'executionProviders: expected a non-empty array of provider names, got an array of 0',
      ],
      [{ maxBatchSize: 0 }, 'maxBatchSize: expected an integer ≥ 1, got 0'],
      [{ maxBatchDelayMs: -1 }, 'maxBatchDelayMs: expected a number ≥ 0, got -1'],
      [{ timeoutMs: 0 }, 'timeoutMs: expected a number > 0 or null, got 0'],
      [{ concurrencyLimit: 1.5 }, 'concurrencyLimit: expected an integer ≥ 1 or null, got 1.5'],
      [{ warmup: 'x' as never }, 'warmup: expected a data array or null, got "x"'],
      [{ onProgress: 'x' as never }, 'onProgress: expected a function, got "x"'],
      [
        { inputBatchAxes: { x: -1 } },
        'inputBatchAxes: expected an object of input names to an axis (integer ≥ 0) or null',
      ],
      [
        { steps: { stepInputs: [], carry: {} } },
        'steps: expected { stepInputs: [names…], carry: { output: input }, returnCarried?, zeros? } or null',
      ],
      [
        // zeros for an input that is not carried
        { steps: { stepInputs: ['x'], carry: { hN: 'h' }, zeros: { x: { type: 'float32', dims: [1] } } } },
        'steps: expected { stepInputs: [names…], carry: { output: input }, returnCarried?, zeros? } or null',
      ],
      [
        { steps: { stepInputs: ['x'], carry: { hN: 'h' }, zeros: { h: { type: 'float33' as never, dims: [1] } } } },
        'steps: expected { stepInputs: [names…], carry: { output: input }, returnCarried?, zeros? } or null',
      ],
      [{ batch: 'yes' as never }, 'batch: expected a boolean, got "yes"'],
      [{ releaseData: 1 as never }, 'releaseData: expected a boolean, got 1'],
    ];
    for (const [options, message] of cases) {
      expect(() => validate(options)).toThrow(OnnxOptionsError);
      expect(() => validate(options)).toThrow(`onnxEndpoint: ${message}`);
    }
  });
});
