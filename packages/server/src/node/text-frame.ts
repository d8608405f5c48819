/**
 * One unmasked, final WebSocket text frame (RFC 6455 §5.2: what a server sends), header and payload
 * in one buffer. The status writer hands it to the socket with a single `write`: `ws`'s own `send`
 * makes a header and a payload buffer, corks, writes both and uncorks (a `writev`), which cost a
 * 10,000-client round ~160 ms of main thread over the system calls themselves. Only for sockets of a
 * `ws` server without permessage-deflate, where `send` writes synchronously, so order is kept.
 */
export function encodeTextFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const header = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81; // FIN, opcode 1 (text)
  if (header === 2) {
    frame[1] = length;
  } else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  // As many bytes as characters: every one is ASCII (any other takes two bytes or more in UTF-8), so
  // latin1 writes the same bytes, without UTF-8's checks (most frames, every estimation, are ASCII).
  frame.write(text, header, length === text.length ? 'latin1' : 'utf8');
  return frame;
}
