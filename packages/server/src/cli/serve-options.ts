import { Option } from 'commander';
import type { LogLevel } from '../logger.js';
import { nonNegativeNumber, number, urlList } from './parsers.js';

/**
 * What a --config file's value of an option must be in JSON: a string, a number, a boolean (for
 * a flag without a value), a string or an array of strings (repeatable), or a path (a string
 * taken relative to the file).
 */
export type JsonKind = 'string' | 'number' | 'boolean' | 'strings' | 'path';

interface Spec {
  /** `--name <value>`, or `--name` for a flag; its variable is CALLGATE_NAME. */
  flags: string;
  description: string;
  kind?: Exclude<JsonKind, 'boolean'>;
  default?: string | number;
  parse?: (value: string) => number;
  choices?: readonly string[];
}

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const specs: Spec[] = [
  {
    flags: '--config <file>',
    description: 'a JSON file of these options by their long names, e.g. {"ring-timeout": 30, "stun": ["stun:…"]}; flags and CALLGATE_* variables win over it',
  },
  { flags: '--port <port>', description: 'TCP port (0 = any free port)', kind: 'number', default: 8080 },
  { flags: '--host <host>', description: 'interface to listen on', default: '127.0.0.1' },
  { flags: '--secret <secret>', description: 'key that user access tokens are signed with' },
  { flags: '--token-issuer <iss>', description: 'take only tokens whose iss claim is this' },
  { flags: '--token-audience <aud>', description: 'take only tokens whose aud claim is (or lists) this' },
  { flags: '--ring-timeout <seconds>', description: 'how long a call rings before TIMEOUT', kind: 'number', default: 60 },
  { flags: '--grace <seconds>', description: 'how long a dropped user keeps its call to reconnect', kind: 'number', default: 15 },
  {
    flags: '--max-devices <n>',
    description: 'devices one user may be connected from at once (1 = a second login replaces the first)',
    kind: 'number',
    default: 5,
  },
  {
    flags: '--offline-wait <seconds>',
    description: 'with a push hook: how long a call to a user with no device waits for one to connect',
    kind: 'number',
    default: 30,
  },
  { flags: '--allow-origin <origin>', description: "a browser origin allowed to connect besides the server's own (repeatable; * for any)", kind: 'strings' },
  { flags: '--public-url <url>', description: "the URL browsers reach the server at; its origin is the server's own (default: http://<host>:<port>)" },
  { flags: '--max-connections-per-ip <n>', description: 'open WebSockets per client address (0 = no limit)', kind: 'number', default: 200 },
  {
    flags: '--max-http-connections-per-ip <n>',
    description: 'open connections that are not WebSockets (yet) per client address (0 = no limit)',
    kind: 'number',
    default: 32,
  },
  {
    flags: '--max-http-connections <n>',
    description: 'open connections that are not WebSockets (yet), in all; at the cap the longest-waiting one makes room (0 = no limit)',
    kind: 'number',
    default: 512,
  },
  { flags: '--message-rate <n>', description: 'messages per second per connection (burst: twice as many)', kind: 'number', default: 50 },
  { flags: '--control-rate <n>', description: 'call controls per second per user (burst: twice as many)', kind: 'number', default: 10 },
  { flags: '--db <path-or-url>', description: 'call records: a SQLite file path, or a postgres:// URL', kind: 'path', default: './data/callgate.db' },
  { flags: '--admin-key <key>', description: 'Bearer key that reads every call through the history API' },
  {
    flags: '--records-retention <age>',
    description: 'remove call and queue entry records that ended longer ago than this (90d, 12h, 30m); default: keep them all',
  },
  {
    flags: '--drain-timeout <seconds>',
    description: 'on SIGTERM/SIGINT, how long live calls may go on before they are ended',
    kind: 'number',
    parse: nonNegativeNumber,
    default: 30,
  },
  { flags: '--redis <url>', description: 'cluster mode: keep call state in this Redis (redis://host:port)' },
  { flags: '--redis-prefix <prefix>', description: 'Redis key prefix shared by the nodes of one deployment', default: 'callgate:' },
  { flags: '--node <name>', description: "this node's name in the cluster (default: host-pid-random)" },
  { flags: '--node-timeout <seconds>', description: 'a node silent this long is dead and its users are dropped', kind: 'number', default: 5 },
  { flags: '--log-level <level>', description: 'log level', choices: logLevels, default: 'info' },
  { flags: '--dev', description: 'development mode: demo login for anyone, a generated secret when none is given' },
  { flags: '--stun <url>', description: 'STUN server handed to clients (repeatable)', kind: 'strings' },
  { flags: '--turn-url <url>', description: 'TURN server handed to clients (repeatable)', kind: 'strings' },
  { flags: '--turn-secret <secret>', description: "TURN shared secret (coturn's static-auth-secret)" },
  { flags: '--turn-ttl <seconds>', description: 'lifetime of TURN credentials', kind: 'number', default: 3600 },
  { flags: '--demo', description: 'serve the demo page at / (always on with --dev)' },
  { flags: '--business-secret <secret>', description: 'secret business servers authenticate with on /business (enables the business link)' },
  { flags: '--business-timeout <seconds>', description: 'how long a REQUEST waits for the business decision', kind: 'number', default: 3 },
  { flags: '--business-fail-open', description: 'let calls ring when the business server fails or times out (default: refuse with 200010)' },
  { flags: '--webhook-url <url>', description: 'POST every call event, signed, to this URL' },
  { flags: '--webhook-secret <secret>', description: 'key of the webhook signatures (HMAC-SHA256)' },
  { flags: '--webhook-veto', description: 'REQUEST waits for the webhook answer {"errorCode": N}; N != 0 refuses' },
  { flags: '--webhook-push', description: 'the webhook sends pushes: it gets push events, and a call to a user with no device waits for one (--offline-wait)' },
  { flags: '--queues <file>', description: 'contact centre: a JSON file of queues, written into the records database at start', kind: 'path' },
];

/** The options of `callgate serve`, each with its CALLGATE_* variable, and what JSON each takes in a --config file. */
export function serveOptions(): { option: Option; kind: JsonKind }[] {
  return specs.map((spec) => {
    const option = new Option(spec.flags, spec.description);
    option.env(`CALLGATE_${option.name().toUpperCase().replaceAll('-', '_')}`);
    const kind = option.isBoolean() ? 'boolean' : (spec.kind ?? 'string');
    if (spec.choices) option.choices(spec.choices);
    if (kind === 'number') option.argParser(spec.parse ?? number);
    if (kind === 'strings') option.argParser(urlList);
    if (spec.default !== undefined) option.default(spec.default);
    return { option, kind };
  });
}

/** `callgate serve`'s options as commander parses them (and a --config file sets them). */
export interface ServeFlags {
  config?: string;
  port: number;
  host: string;
  secret?: string;
  tokenIssuer?: string;
  tokenAudience?: string;
  ringTimeout: number;
  grace: number;
  maxDevices: number;
  offlineWait: number;
  logLevel: LogLevel;
  dev?: boolean;
  stun?: string[];
  turnUrl?: string[];
  turnSecret?: string;
  turnTtl: number;
  demo?: boolean;
  allowOrigin?: string[];
  publicUrl?: string;
  maxConnectionsPerIp: number;
  maxHttpConnectionsPerIp: number;
  maxHttpConnections: number;
  messageRate: number;
  controlRate: number;
  db: string;
  adminKey?: string;
  recordsRetention?: string;
  drainTimeout: number;
  redis?: string;
  redisPrefix: string;
  node?: string;
  nodeTimeout: number;
  businessSecret?: string;
  businessTimeout: number;
  businessFailOpen?: boolean;
  webhookUrl?: string;
  webhookSecret?: string;
  webhookVeto?: boolean;
  webhookPush?: boolean;
  queues?: string;
}
