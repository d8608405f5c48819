// @ts-check
// The floor: a bare `ws` server doing crowdserve's message exchange for one job per socket, with no queue.
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('connection', (socket) => {
  let joined = false;
  socket.on('message', (raw) => {
    const message = JSON.parse(raw.toString());
    if (!joined) {
      joined = true;
      socket.send(
        JSON.stringify({
          msg: 'estimation',
          rank: 0,
          queue_size: 1,
          avg_event_process_time: null,
          avg_event_concurrent_process_time: null,
          rank_eta: null,
          queue_eta: 0,
        }),
      );
      socket.send(JSON.stringify({ msg: 'send_data' }));
      return;
    }
    socket.send(JSON.stringify({ msg: 'process_starts', eta: null }));
    socket.send(
      JSON.stringify({
        msg: 'process_completed',
        output: { data: message.data, is_generating: false, duration: 0, average_duration: 0 },
        success: true,
      }),
    );
    socket.close(1000);
  });
  socket.send(JSON.stringify({ msg: 'send_hash' }));
});
wss.on('listening', () => {
  const address = /** @type {import('node:net').AddressInfo} */ (wss.address());
  process.send?.({ url: `http://127.0.0.1:${address.port}` });
});
process.on('message', (m) => {
  if (m === 'stop') wss.close(() => process.exit(0));
});
