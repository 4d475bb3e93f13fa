/**
 * Every ServerOptions field a rule of checkServerOptions can name, by its path in ServerOptions,
 * and the `callgate serve` flag that sets it (null: no flag sets it). Messages name options
 * through this table, so that one rule speaks to programmatic users and to CLI users alike.
 */
export const OPTION_FLAGS = {
  port: '--port',
  secret: '--secret',
  ringTimeoutMs: '--ring-timeout',
  graceMs: '--grace',
  maxDevices: '--max-devices',
  offlineWaitMs: '--offline-wait',
  heartbeatIntervalMs: null,
  authTimeoutMs: null,
  maxPayload: null,
  'limits.messagesPerSecond': '--message-rate',
  'limits.messageBurst': null,
  'limits.controlsPerSecond': '--control-rate',
  'limits.controlBurst': null,
  'limits.refusedRequestsPerMinute': null,
  'limits.refusedRequestBurst': null,
  'limits.maxConnectionsPerIp': '--max-connections-per-ip',
  'limits.maxBufferedBytes': null,
  'limits.maxHttpConnections': '--max-http-connections',
  'limits.maxHttpConnectionsPerIp': '--max-http-connections-per-ip',
  'httpTimeouts.idleMs': null,
  'httpTimeouts.headersMs': null,
  'httpTimeouts.requestMs': null,
  'httpTimeouts.keepAliveMs': null,
  publicUrl: '--public-url',
  nodeTimeoutMs: '--node-timeout',
  ice: null,
  iceServers: null,
  'ice.stun': '--stun',
  'ice.turn.urls': '--turn-url',
  'ice.turn.secret': '--turn-secret',
  'ice.turn.ttlSeconds': '--turn-ttl',
  businessSecret: '--business-secret',
  businessTimeoutMs: '--business-timeout',
  'webhook.url': '--webhook-url',
  'webhook.secret': '--webhook-secret',
  'webhook.veto': '--webhook-veto',
  'webhook.push': '--webhook-push',
  adminKey: '--admin-key',
  recordsRetention: '--records-retention',
} as const satisfies Record<string, `--${string}` | null>;

/** A ServerOptions field, by its path: `secret`, `webhook.url`, `limits.maxConnectionsPerIp`… */
export type OptionPath = keyof typeof OPTION_FLAGS;

/** How a message names an option: by its ServerOptions path, by its flag, … */
export type OptionNamer = (path: OptionPath) => string;

/** The flag of an option, or its path when no flag sets it. */
export const flagOf: OptionNamer = (path) => OPTION_FLAGS[path] ?? path;

/**
 * startServer's options cannot work: the rule that failed, naming the options it is about.
 * `message` names them by their ServerOptions paths and lists their flags, e.g.
 * "webhook.url needs webhook.secret (callgate serve: --webhook-url, --webhook-secret)";
 * `describe(flagOf)` says the same in flags: "--webhook-url needs --webhook-secret".
 */
export class ServerOptionsError extends TypeError {
  override readonly name = 'ServerOptionsError';
  /** The options the message names, in its order. */
  readonly options: readonly OptionPath[];
  readonly #text: (name: OptionNamer) => string;

  /** `text` writes the message, naming each option through `name`. */
  constructor(text: (name: OptionNamer) => string) {
    const options: OptionPath[] = [];
    const plain = text((path) => {
      if (!options.includes(path)) options.push(path);
      return path;
    });
    const flags = options.map((path) => OPTION_FLAGS[path]).filter((flag) => typeof flag === 'string');
    super(flags.length ? `${plain} (callgate serve: ${flags.join(', ')})` : plain);
    this.options = options;
    this.#text = text;
  }

  /** The same message, each option named by `name` (the CLI: `flagOf`). */
  describe(name: OptionNamer): string {
    return this.#text(name);
  }
}
