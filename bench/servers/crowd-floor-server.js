// @ts-check
// The floor for the crowd bench: a bare `ws` server that holds its sockets and, when told, writes
// one estimation-sized frame to each in a single loop: the least a round can cost on this machine.
import { WebSocketServer } from 'ws';

const epochMs = () => performance.timeOrigin + performance.now();
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, backlog: 4096 });
await new Promise((resolve) => wss.once('listening', resolve));
const { port } = /** @type {import('node:net').AddressInfo} */ (wss.address());
process.send?.({ url: `http://127.0.0.1:${port}` });
let round = 0;
process.on('message', (m) => {
  if (m === 'broadcast') {
    const at = epochMs();
    round++;
    // As long as a real estimation frame, with a rank per client.
    let rank = 0;
    for (const ws of wss.clients) {
      ws.send(
        `{"msg":"estimation","rank":${rank++},"queue_size":${wss.clients.size},"avg_event_process_time":null,"avg_event_concurrent_process_time":null,"rank_eta":${round}.125,"queue_eta":1234.5}`,
      );
    }
    process.send?.({ at, ms: epochMs() - at });
  } else if (m === 'stop') {
    for (const ws of wss.clients) ws.terminate();
    wss.close(() => process.exit(0));
  }
});
