import { startServer, type ServerOptions } from '@callgate/server';
import { serveNode } from './node-probe.js';

/** argv[2]: JSON of the options this target passes to startServer (without port/secret). */
export interface CallgateNodeConfig {
  secret: string;
  options: Partial<ServerOptions> & Record<string, unknown>;
}

const config = JSON.parse(process.argv[2] ?? '{}') as CallgateNodeConfig;
const server = await startServer({
  port: 0,
  host: '127.0.0.1',
  logLevel: 'warn',
  ...config.options,
  secret: config.secret,
});
serveNode(server.url, () => server.close());
