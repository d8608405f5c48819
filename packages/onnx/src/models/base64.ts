/** Bytes as base64: the compact wire form of binary request data (images, audio). */
export function encodeBase64(bytes: Uint8Array | Uint8ClampedArray): string {
  const NodeBuffer = globalThis.Buffer as typeof Buffer | undefined;
  if (NodeBuffer !== undefined)
    return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let binary = '';
  // In chunks: String.fromCharCode takes its bytes as arguments, and arguments are limited.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * Base64 to bytes; `null` when the text is not base64. Accepted: RFC 4648 §4 base64 with its
 * padding, standard alphabet, no whitespace (what `btoa`, `Buffer` and Python's `b64encode` write).
 * In Node the bytes come from `Buffer` (native, ~10× faster than `atob` and a copy loop, which the
 * browser uses); both refuse the same texts.
 */
export function decodeBase64(text: string): Uint8Array | null {
  const n = text.length;
  if (n % 4 !== 0) return null;
  const padding = n === 0 ? 0 : text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const expected = (n / 4) * 3 - padding;
  const NodeBuffer = globalThis.Buffer as typeof Buffer | undefined;
  let bytes: Uint8Array;
  if (NodeBuffer !== undefined) {
    // Buffer skips characters outside the alphabet (so the length check below catches them) but
    // also takes base64url's '-' and '_', which atob refuses.
    if (text.includes('-') || text.includes('_')) return null;
    const buffer = NodeBuffer.from(text, 'base64');
    // A small Buffer is a slice of a shared pool: copied, so the caller owns (and may transfer) its bytes.
    bytes =
      buffer.byteOffset === 0 && buffer.buffer.byteLength === buffer.length
        ? new Uint8Array(buffer.buffer, 0, buffer.length)
        : new Uint8Array(buffer);
  } else {
    let binary: string;
    try {
      binary = atob(text);
    } catch {
      return null;
    }
    bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  }
  // Shorter than the length says: whitespace or stray characters were skipped, or '=' came early.
  return bytes.length === expected ? bytes : null;
}
