// Tiny ONNX models built in the tests themselves (onnx-proto), so that no test downloads anything.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

type Dim = number | string;

function valueInfo(name: string, dims: Dim[]): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

function model(
  nodes: { op: string; inputs: string[]; outputs: string[] }[],
  inputs: [string, Dim[]][],
  outputs: [string, Dim[]][],
): Uint8Array {
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'crowdserve-tests',
    graph: {
      name: 'tiny',
      node: nodes.map((n, i) => ({ opType: n.op, input: n.inputs, output: n.outputs, name: `n${i}` })),
      input: inputs.map(([name, dims]) => valueInfo(name, dims)),
      output: outputs.map(([name, dims]) => valueInfo(name, dims)),
    },
  });
  return onnx.ModelProto.encode(proto).finish();
}

/** `y = x + x` over `x: float32[N, M]`: a dynamic batch axis 0, and rows of any length. */
export function doubleModel(): Uint8Array {
  return model([{ op: 'Add', inputs: ['x', 'x'], outputs: ['y'] }], [['x', ['N', 'M']]], [['y', ['N', 'M']]]);
}

/** `y = x`, over `x: float32[N, M]` (an output that is its input, for runtimes that might hand back the same memory). */
export function identityModel(): Uint8Array {
  return model([{ op: 'Identity', inputs: ['x'], outputs: ['y'] }], [['x', ['N', 'M']]], [['y', ['N', 'M']]]);
}

/**
 * `y = x * s` with `x: float32[2, N, 4]` batched along axis 1 and `s: float32[1]` shared; also
 * `t = s + s`, an output with no batch axis.
 */
export function scaleModel(): Uint8Array {
  return model(
    [
      { op: 'Mul', inputs: ['x', 's'], outputs: ['y'] },
      { op: 'Add', inputs: ['s', 's'], outputs: ['t'] },
    ],
    [
      ['x', [2, 'N', 4]],
      ['s', [1]],
    ],
    [
      ['y', [2, 'N', 4]],
      ['t', [1]],
    ],
  );
}

/** A running sum: `y = x + h` and `hN = y`, over `x, h: float32[N, 2]`; carry `hN` into `h`. */
export function accumulateModel(): Uint8Array {
  return model(
    [
      { op: 'Add', inputs: ['x', 'h'], outputs: ['y'] },
      { op: 'Identity', inputs: ['y'], outputs: ['hN'] },
    ],
    [
      ['x', ['N', 2]],
      ['h', ['N', 2]],
    ],
    [
      ['y', ['N', 2]],
      ['hN', ['N', 2]],
    ],
  );
}
