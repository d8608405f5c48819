import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on `host:port` (0: any free port); resolves with the real port and the server's URL. */
export async function listen(http: HttpServer, port: number, host: string): Promise<{ port: number; url: string }> {
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const real = (http.address() as AddressInfo).port;
  const hostName = host.includes(':') ? `[${host}]` : host;
  return { port: real, url: `http://${hostName}:${real}` };
}
