import { describe, expect, it } from 'vitest';
import { doubleModel, scaleModel } from '../../onnx/test-fixtures/tiny-models.js';
import { CliError } from './errors.js';
import { readModelSignature } from './onnx-signature.js';

describe('readModelSignature', () => {
  it("reads each input's and output's name, element type and dims (symbolic ones by name)", () => {
    expect(readModelSignature(doubleModel(), 'double.onnx')).toEqual({
      inputs: [{ name: 'x', type: 'float32', dims: ['N', 'M'] }],
      outputs: [{ name: 'y', type: 'float32', dims: ['N', 'M'] }],
    });
    expect(readModelSignature(scaleModel(), 'scale.onnx')).toEqual({
      inputs: [
        { name: 'x', type: 'float32', dims: [2, 'N', 4] },
        { name: 's', type: 'float32', dims: [1] },
      ],
      outputs: [
        { name: 'y', type: 'float32', dims: [2, 'N', 4] },
        { name: 't', type: 'float32', dims: [1] },
      ],
    });
  });

  it('refuses bytes that are not a model with BAD_MODEL, naming the file', () => {
    const read = () => readModelSignature(new TextEncoder().encode('{"not": "onnx"}'), 'junk.onnx');
    expect(read).toThrow(CliError);
    expect(read).toThrow(/^junk\.onnx is not an ONNX model/);
    expect(() => readModelSignature(doubleModel().subarray(0, 20), 'cut.onnx')).toThrow(
      /cut\.onnx is not an ONNX model/,
    );
  });
});
