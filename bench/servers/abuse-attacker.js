// @ts-check
// The `abuse` bench's attacker, in a process of its own (neither the server's nor the legitimate
// client's event loop pays for its work), from its own loopback address (127.0.0.2), so the server
// counts it apart from the legitimate client. `node abuse-attacker.js <attack> <url> [maxPayloadBytes]`;
// runs until the parent sends 'stop'.
import { request } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';

const ATTACKER = '127.0.0.2';
const MiB = 1024 * 1024;
const [attackName = '', url = '', payload] = process.argv.slice(2);
/** The server's maxPayloadBytes (default: options.ts's 4 MiB), less room for the frame's own fields. */
const MAX_FRAME = (payload === undefined ? 4 * MiB : Number(payload)) - 256;
let stopped = false;
/** @type {Set<() => void>} */
const cleanups = new Set();

/**
 * An attacker on another machine pays for its frames there: here each frame is encoded once, and a
 * zero mask lets `ws` skip masking it (the server unmasks it all the same), so the attacker's own
 * CPU stays out of what the server and the legitimate client get of this machine.
 */
const zeroMask = () => {};

/**
 * Opens a queue socket, sends `join` at `send_hash` and `data` (if any) at `send_data`; resolves when
 * the server closes it.
 * @param {string | Buffer} join @param {Buffer | undefined} data
 */
function attackSocket(join, data) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/queue/join`, {
      localAddress: ATTACKER,
      perMessageDeflate: false,
      generateMask: zeroMask,
    });
    const cut = () => ws.terminate();
    cleanups.add(cut);
    ws.on('message', (raw) => {
      const text = raw.toString();
      if (text.includes('"send_hash"')) ws.send(join, { binary: false });
      else if (data !== undefined && text.includes('"send_data"')) ws.send(data, { binary: false });
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      cleanups.delete(cut);
      // Refused (the address's connections or waiting jobs are at their limit): not a hot loop.
      setTimeout(resolve, 50);
    });
  });
}

/** Issue 24.2's attacker: one connection at a time over a link of ~2.4 MiB/s. */
const LINK_BYTES_PER_S = 2.4 * MiB;
/** What the link carries per write: about 27 ms of it. */
const LINK_CHUNK = 64 * 1024;
/** When the link is free next (ms, performance.now()): one link, shared by every connection. */
let linkFreeAt = 0;

/**
 * Writes `bytes` to `socket` as the link lets them through; stops when the server cuts it.
 * @param {import('node:stream').Writable} socket @param {Buffer} bytes
 */
async function overLink(socket, bytes) {
  for (let offset = 0; offset < bytes.length && !stopped && !socket.destroyed; offset += LINK_CHUNK) {
    const chunk = bytes.subarray(offset, offset + LINK_CHUNK);
    const start = Math.max(linkFreeAt, performance.now());
    linkFreeAt = start + (chunk.length / LINK_BYTES_PER_S) * 1000;
    const wait = start - performance.now();
    if (wait > 0) await sleep(wait);
    if (socket.destroyed || socket.writableEnded) return;
    socket.write(chunk);
  }
}

/**
 * One client frame with a zero mask (the server unmasks it all the same).
 * @param {Buffer} payload
 */
function maskedFrame(payload) {
  const n = payload.length;
  const head = n < 126 ? [0x81, 0x80 | n] : n < 65536 ? [0x81, 0x80 | 126, n >> 8, n & 0xff] : [0x81, 0x80 | 127];
  const header = Buffer.alloc(head.length + (n >= 65536 ? 8 : 0) + 4);
  Buffer.from(head).copy(header);
  if (n >= 65536) header.writeBigUInt64BE(BigInt(n), 2);
  return Buffer.concat([header, payload]);
}

/**
 * A queue socket over the link, by hand (ws would write a frame whole): sends `join` at `send_hash`
 * and `data` (if any) at `send_data`; resolves when the server closes it.
 * @param {Buffer} join @param {Buffer | undefined} data
 */
function linkSocket(join, data) {
  return new Promise((resolve) => {
    const { hostname, port } = new URL(url);
    const socket = connect({ host: hostname, port: Number(port), localAddress: ATTACKER });
    const cut = () => socket.destroy();
    cleanups.add(cut);
    let seen = '';
    socket.on('data', (chunk) => {
      // Server frames are unmasked: their text can be searched as it comes.
      const was = seen;
      seen = (seen + chunk.toString('latin1')).slice(-4096);
      if (!was.includes('"send_hash"') && seen.includes('"send_hash"')) void overLink(socket, maskedFrame(join));
      if (data !== undefined && !was.includes('"send_data"') && seen.includes('"send_data"'))
        void overLink(socket, maskedFrame(data));
      // Refused: it goes, and the next connection starts (it does not wait out the close handshake).
      if (seen.includes('"process_completed"') || seen.includes('"queue_full"')) socket.destroy();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      cleanups.delete(cut);
      resolve(undefined);
    });
    socket.write(
      `GET /queue/join HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
  });
}

/**
 * A predict POST of `body` over the link; resolves when it is answered or cut.
 * @param {Buffer} body
 */
function linkPost(body) {
  return new Promise((resolve) => {
    const req = request(`${url}/run/echo`, {
      method: 'POST',
      localAddress: ATTACKER,
      headers: { 'Content-Type': 'application/json', 'Content-Length': body.length },
    });
    const cut = () => req.destroy();
    cleanups.add(cut);
    const done = () => {
      cleanups.delete(cut);
      resolve(undefined);
    };
    req.on('error', done);
    req.on('response', (res) => {
      res.resume().on('end', () => req.destroy());
    });
    req.on('close', done);
    void overLink(req, body).then(() => req.end());
  });
}

/** @param {number} i */
const join = (i) => JSON.stringify({ fn_index: 0, session_hash: `attacker-${i}` });
/** @param {string} inner */
const dataFrame = (inner) => `{"data":[${inner}],"event_data":null,"fn_index":0,"session_hash":"attacker"}`;

/**
 * Issue 24.2's attack, one connection at a time: a nested array just under maxPayloadBytes as the join
 * frame, then as a job's data frame, then as a predict body, each sent by `socket` and `post`.
 * @param {{ socket: (join: Buffer, data: Buffer | undefined) => Promise<unknown>, post: (body: Buffer) => Promise<unknown> }} send
 * @returns {(i: number) => Promise<void>}
 */
function nestedJson({ socket, post }) {
  const nested = Buffer.from('['.repeat(MAX_FRAME - 128));
  const body = Buffer.from(dataFrame('['.repeat(MAX_FRAME - 128)));
  return async (i) => {
    await socket(nested, undefined);
    await socket(Buffer.from(join(i)), body);
    await post(body);
  };
}

/** The largest frame of numbers (the costliest data to parse and check per byte) under maxPayloadBytes. */
function numbersFrame() {
  const numbers = [];
  let length = 0;
  while (length < MAX_FRAME - 64) {
    const n = (Math.random() - 0.5).toFixed(8);
    numbers.push(n);
    length += n.length + 1;
  }
  return Buffer.from(dataFrame(`[${numbers.join(',')}]`));
}

/**
 * A response of `path` that is never read; held until stopped.
 * @param {string} path
 */
function unreadDownload(path) {
  return new Promise((resolve) => {
    const req = request(`${url}${path}`, { localAddress: ATTACKER }, (res) => {
      res.pause();
      const cut = () => res.destroy();
      cleanups.add(cut);
      res.on('close', () => {
        cleanups.delete(cut);
        setTimeout(resolve, 50);
      });
    });
    req.on('error', () => setTimeout(resolve, 50));
    req.end();
  });
}

const SLOW_BODY = Buffer.from(`{"data":["${'a'.repeat(MAX_FRAME - 12)}`);

/** A predict body of maxPayloadBytes with its last byte held back: held until the server cuts it. */
function slowBody() {
  return new Promise((resolve) => {
    const req = request(`${url}/run/echo`, {
      method: 'POST',
      localAddress: ATTACKER,
      headers: { 'Content-Type': 'application/json', 'Content-Length': MAX_FRAME },
    });
    const cut = () => req.destroy();
    cleanups.add(cut);
    const done = () => {
      cleanups.delete(cut);
      setTimeout(resolve, 50);
    };
    req.on('error', done);
    req.on('response', (res) => res.resume().on('end', done));
    req.on('close', done);
    req.write(SLOW_BODY);
  });
}

/** @type {Record<string, { workers: number, once: (i: number) => Promise<unknown> }>} */
const attacks = {
  // (a) sockets that join and never send their data, joining again whenever cut (issue 21.4).
  'join flood': { workers: 22, once: (i) => attackSocket(join(i), undefined) },
  // (b) data frames of numbers just under maxPayloadBytes, two at a time (issue 21.5).
  'max-size frames': {
    workers: 2,
    once: (() => {
      const frame = numbersFrame();
      return (i) => attackSocket(join(i), frame);
    })(),
  },
  // (c) static downloads that are never read (issue 21.6, 24.1).
  'slow static readers': { workers: 20, once: () => unreadDownload('/big.bin') },
  // (d) deeply nested JSON as the issue sends it, one connection at a time over a ~2.4 MiB/s link:
  // as the join frame, the data frame, a predict body (24.2).
  'nested JSON': { workers: 1, once: nestedJson({ socket: linkSocket, post: linkPost }) },
  // (d') the same, one connection at a time, as fast as loopback carries it (no link in between).
  'nested JSON, loopback speed': {
    workers: 1,
    once: nestedJson({
      socket: attackSocket,
      post: (body) =>
        new Promise((resolve) => {
          const req = request(`${url}/run/echo`, { method: 'POST', localAddress: ATTACKER }, (res) =>
            res.resume().on('end', resolve),
          );
          req.on('error', resolve);
          req.end(body);
        }),
    }),
  },
  // (e) predict bodies of maxPayloadBytes with their last byte held back (24.3).
  'slow bodies': { workers: 16, once: () => slowBody() },
};

const attack = attacks[attackName];
if (attack === undefined) throw new Error(`unknown attack ${attackName}`);
process.on('message', (m) => {
  if (m !== 'stop') return;
  stopped = true;
  for (const cleanup of cleanups) cleanup();
});
process.send?.({ url });
await Promise.all(
  Array.from({ length: attack.workers }, async (_, worker) => {
    for (let i = 0; !stopped; i++) await attack.once(worker * 1_000_000 + i);
  }),
);
process.exit(0);
