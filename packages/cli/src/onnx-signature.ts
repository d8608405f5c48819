import { CliError } from './errors.js';

/** One input or output of an ONNX graph: its name, element type and shape (a `string` dim is symbolic, e.g. `'N'`). */
export interface ValueSignature {
  name: string;
  /** ONNX Runtime's name for the element type (`'float32'`, `'int64'`, …), or `'unsupported'`. */
  type: string;
  dims: (number | string)[];
}

/** A model's graph inputs (initializers excluded) and outputs, in the model's order. */
export interface ModelSignature {
  inputs: ValueSignature[];
  outputs: ValueSignature[];
}

// onnx.proto's TensorProto.DataType numbers, by ONNX Runtime's type names.
const ELEMENT_TYPES: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
};

/**
 * Reads a model's inputs and outputs straight from its protobuf bytes, without starting ONNX
 * Runtime: the CLI needs them before the server starts (they shape `/config` and `/info`), and a
 * second runtime on the main thread would cost a WASM compile and a copy of the weights.
 * Only the fields it needs are decoded (ModelProto.graph → input, output, initializer names).
 */
export function readModelSignature(bytes: Uint8Array, modelName: string): ModelSignature {
  try {
    const graph = fields(bytes).find((f) => f.number === 7 && f.bytes !== undefined)?.bytes;
    if (graph === undefined) throw new Error('no graph in the file');
    const graphFields = fields(graph);
    const initializers = new Set(
      graphFields.filter((f) => f.number === 5 && f.bytes).map((f) => stringField(f.bytes as Uint8Array, 8)),
    );
    const values = (n: number) =>
      graphFields.filter((f) => f.number === n && f.bytes).map((f) => valueInfo(f.bytes as Uint8Array));
    const signature = {
      inputs: values(11).filter((v) => !initializers.has(v.name)),
      outputs: values(12),
    };
    if (signature.inputs.length === 0 || signature.outputs.length === 0)
      throw new Error('the graph has no inputs or outputs');
    return signature;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError('BAD_MODEL', `${modelName} is not an ONNX model: ${(error as Error).message}`, { cause: error });
  }
}

/** ValueInfoProto: name (1), type (2) → TypeProto.tensor_type (1) → elem_type (1), shape (2) → dim (1). */
function valueInfo(bytes: Uint8Array): ValueSignature {
  const info = fields(bytes);
  const name = stringField(bytes, 1);
  const tensorType = sub(sub(info, 2), 1);
  const elem = tensorType.find((f) => f.number === 1)?.varint;
  const shape = sub(tensorType, 2);
  const dims = shape
    .filter((f) => f.number === 1 && f.bytes)
    .map((f) => {
      const dim = fields(f.bytes as Uint8Array);
      const value = dim.find((d) => d.number === 1)?.varint;
      if (value !== undefined) return Number(value);
      const param = dim.find((d) => d.number === 2)?.bytes;
      return param === undefined ? '?' : decoder.decode(param);
    });
  return { name, type: ELEMENT_TYPES[Number(elem ?? 0)] ?? 'unsupported', dims };
}

interface Field {
  number: number;
  varint?: bigint;
  bytes?: Uint8Array;
}

const decoder = new TextDecoder();

function sub(parent: Field[], number: number): Field[] {
  const found = parent.find((f) => f.number === number && f.bytes !== undefined);
  return found ? fields(found.bytes as Uint8Array) : [];
}

function stringField(bytes: Uint8Array, number: number): string {
  const found = fields(bytes).find((f) => f.number === number && f.bytes !== undefined);
  return found ? decoder.decode(found.bytes) : '';
}

/** The top-level fields of one protobuf message (wire types 0, 1, 2, 5; groups are not used by onnx.proto). */
function fields(bytes: Uint8Array): Field[] {
  const out: Field[] = [];
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (at >= bytes.length || shift > 63n) throw new Error('truncated protobuf');
      const byte = bytes[at++] as number;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const number = key >>> 3;
    switch (key & 7) {
      case 0:
        out.push({ number, varint: varint() });
        break;
      case 1:
        at += 8;
        break;
      case 2: {
        const length = Number(varint());
        if (at + length > bytes.length) throw new Error('truncated protobuf');
        out.push({ number, bytes: bytes.subarray(at, at + length) });
        at += length;
        break;
      }
      case 5:
        at += 4;
        break;
      default:
        throw new Error(`unexpected protobuf wire type ${key & 7}`);
    }
  }
  if (at > bytes.length) throw new Error('truncated protobuf');
  return out;
}
