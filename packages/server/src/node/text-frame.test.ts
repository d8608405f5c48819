// Frames written straight to the socket, read by a real `ws` client: every length class of the
// header (7-bit, 16-bit, 64-bit) and multi-byte UTF-8 arrive as sent.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { encodeTextFrame } from './text-frame.js';

let server: WebSocketServer | undefined;
afterEach(async () => {
  for (const client of server?.clients ?? []) client.terminate();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

it('writes text frames a ws client reads back exactly, in order, mixed with ws.send', async () => {
  const texts = [
    '',
    'x'.repeat(125),
    'x'.repeat(126),
    'é'.repeat(63),
    'ü'.repeat(64),
    'y'.repeat(0xffff),
    'z'.repeat(0x10000),
    '{"msg":"estimation","rank":3,"rank_eta":1.5} ✓ 日本',
    'emoji 😀 and \u0080\u00ff',
  ];
  server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(server, 'listening');
  server.on('connection', (ws, request) => {
    const raw = request.socket;
    for (const text of texts) raw.write(encodeTextFrame(text));
    ws.send('via ws');
    raw.write(encodeTextFrame('after'));
  });
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const received: string[] = [];
  await new Promise<void>((resolve, reject) => {
    client.on('error', reject);
    client.on('message', (data, isBinary) => {
      expect(isBinary).toBe(false);
      received.push(data.toString());
      if (received.length === texts.length + 2) resolve();
    });
  });
  client.close();
  expect(received).toEqual([...texts, 'via ws', 'after']);
  expect(encodeTextFrame('é').subarray(0, 2)).toEqual(Buffer.from([0x81, 2]));
});

it('writes the payload as UTF-8, byte for byte, whatever the characters', () => {
  // ASCII goes the latin1 way; anything else (latin1's upper half, astral, a lone surrogate) as UTF-8.
  for (const text of ['{"msg":"estimation","rank":0}', 'é', '\u00ff', '😀', 'a\ud800b', '\udc00']) {
    const frame = encodeTextFrame(text);
    const payload = Buffer.from(text, 'utf8');
    expect(frame.subarray(0, 2)).toEqual(Buffer.from([0x81, payload.length]));
    expect(frame.subarray(2)).toEqual(payload);
  }
});
