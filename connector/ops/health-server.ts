// /healthz (database reachable, sessions held) and /metrics (Prometheus text) on HEALTH_PORT.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics.ts';

export interface HealthSource {
  connectorId: string;
  heldSessions(): number;
  openSessions(): number;
  ping(): Promise<void>;
  realtime(): string;
}

export async function startHealthServer(host: string, port: number, metrics: Metrics, source: HealthSource): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    try {
      if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(await metrics.registry.metrics());
        return;
      }
      if (req.url === '/healthz' || req.url === '/health') {
        let database = 'ok';
        await source.ping().catch(() => (database = 'unreachable'));
        const ok = database === 'ok';
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({
          ok, connector: source.connectorId, database, realtime: source.realtime(),
          sessions: { held: source.heldSessions(), open: source.openSessions() },
        }));
        return;
      }
      res.writeHead(404).end();
    } catch (error) {
      res.writeHead(500).end(String((error as Error).message));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
