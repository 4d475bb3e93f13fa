import { startRelay } from './relay.js';
import { serveNode } from './node-probe.js';

const relay = await startRelay();
serveNode(relay.url, () => relay.close());
