import type { TensorArray, TensorData, TensorType } from '@crowdserve/onnx/node';

// The array classes come from the caller (onnx's ARRAY_TYPES, imported once onnx is known to be there):
// @crowdserve/onnx is optional, and a static import of it would stop `serve app.js` where it is missing.
/** Element types a JSON request can fill: numbers (and booleans for `bool`). */
export const JSON_TENSOR_TYPES: ReadonlySet<string> = new Set([
  'float32',
  'float64',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'bool',
]);

/** A request value that is not a tensor of the model's input: the job fails with this message (HTTP 422). */
export class TensorInputError extends Error {
  override readonly name = 'TensorInputError';
  readonly code = 'BAD_INPUT';
}

/**
 * A nested JSON array (`[[1, 2], [3, 4]]`) as a tensor of `type`: its dims are the nesting, every row of
 * a level must have the same length, and each leaf must be a finite number (or a boolean for `bool`).
 */
export function tensorFromJson(
  value: unknown,
  type: TensorType,
  label: string,
  arrays: Readonly<Record<TensorType, new (length: number) => TensorArray>>,
): TensorData {
  if (!JSON_TENSOR_TYPES.has(type)) throw new TensorInputError(`${label}: a JSON request cannot fill a ${type} tensor`);
  const dims: number[] = [];
  for (let level: unknown = value; Array.isArray(level); level = level[0]) dims.push(level.length);
  const flat: unknown[] = [];
  const walk = (node: unknown, depth: number): void => {
    if (depth === dims.length) {
      flat.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== dims[depth]) {
      throw new TensorInputError(`${label}: expected a rectangular nested array of dims [${dims.join(', ')}]`);
    }
    for (const item of node) walk(item, depth + 1);
  };
  walk(value, 0);
  const data = new arrays[type](flat.length);
  const big = type === 'int64' || type === 'uint64';
  flat.forEach((leaf, i) => {
    const number = type === 'bool' && typeof leaf === 'boolean' ? Number(leaf) : leaf;
    if (typeof number !== 'number' || !Number.isFinite(number)) {
      throw new TensorInputError(`${label}: expected numbers, got ${JSON.stringify(leaf) ?? String(leaf)}`);
    }
    if (big && !Number.isInteger(number)) throw new TensorInputError(`${label}: expected integers, got ${number}`);
    (data as unknown as (number | bigint)[])[i] = big ? BigInt(number) : number;
  });
  return { type, data, dims };
}

/** A tensor as nested JSON arrays (int64 as numbers: JSON has no BigInt; bool as booleans). */
export function tensorToJson(tensor: TensorData): unknown {
  const values = Array.from(tensor.data as ArrayLike<number | bigint>, (v) =>
    tensor.type === 'bool' ? v !== 0 : Number(v),
  );
  if (tensor.dims.length === 0) return values[0];
  const nest = (offset: number, depth: number): unknown[] => {
    const size = tensor.dims[depth] as number;
    if (depth === tensor.dims.length - 1) return values.slice(offset, offset + size);
    const stride = tensor.dims.slice(depth + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: size }, (_, i) => nest(offset + i * stride, depth + 1));
  };
  return nest(0, 0);
}
