import { createServer } from 'node:net';

/**
 * A loopback port nothing listens on right now. Another process may take it before the
 * component binds it; the component then fails to bind and exits, and the restart picks again.
 */
export function freeLoopbackPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      server.close(() => resolve(port));
    });
  });
}
