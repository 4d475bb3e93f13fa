import { randomBytes } from 'node:crypto';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ROLE_PATTERN } from '@callgate/protocol';
import { createAccessToken } from './auth/tokens.js';
import { defaultDemoDir } from './http/demo-page.js';
import { createLogger, type LogLevel } from './logger.js';
import { iceServersFor, type IceServerConfig } from './media/ice-servers.js';
import { startServer } from './server.js';
import { checkPublicUrl } from './gateway/origin-policy.js';
import { MIN_SECRET_BYTES, shortSecret } from './auth/secrets.js';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function nonNegativeNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new InvalidArgumentError('expected a number >= 0');
  return number;
}

function port(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0 || number > 65535) throw new InvalidArgumentError('expected a port 0-65535');
  return number;
}

/** Repeatable URL options; one option or env value may also list several, comma-separated. */
function urlList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((url) => url.trim()).filter(Boolean)];
}

/** A comma-separated list. */
function list(value: string): string[] {
  return value.split(',').map((item) => item.trim()).filter(Boolean);
}

function priority(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0 || number > 100) throw new InvalidArgumentError('expected a whole number from 0 to 100');
  return number;
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) throw new InvalidArgumentError('expected a whole number > 0');
  return number;
}

const program = new Command('callgate')
  .description('Callgate: call-control server for 1:1 video calls')
  .showHelpAfterError('(add --help for more information)');

program
  .command('serve')
  .description('run the Callgate server')
  .addOption(new Option('--port <port>', 'TCP port (0 = any free port)').env('CALLGATE_PORT').argParser(port).default(8080))
  .addOption(new Option('--host <host>', 'interface to listen on').env('CALLGATE_HOST').default('127.0.0.1'))
  .addOption(new Option('--secret <secret>', 'key that user access tokens are signed with').env('CALLGATE_SECRET'))
  .addOption(new Option('--token-issuer <iss>', 'take only tokens whose iss claim is this').env('CALLGATE_TOKEN_ISSUER'))
  .addOption(new Option('--token-audience <aud>', 'take only tokens whose aud claim is (or lists) this').env('CALLGATE_TOKEN_AUDIENCE'))
  .addOption(
    new Option('--ring-timeout <seconds>', 'how long a call rings before TIMEOUT')
      .env('CALLGATE_RING_TIMEOUT')
      .argParser(nonNegativeNumber)
      .default(60),
  )
  .addOption(
    new Option('--grace <seconds>', 'how long a dropped user keeps its call to reconnect')
      .env('CALLGATE_GRACE')
      .argParser(nonNegativeNumber)
      .default(15),
  )
  .addOption(
    new Option('--allow-origin <origin>', 'a browser origin allowed to connect besides the server\'s own (repeatable; * for any)')
      .env('CALLGATE_ALLOW_ORIGIN')
      .argParser(urlList),
  )
  .addOption(
    new Option('--public-url <url>', 'the URL browsers reach the server at; its origin is the server\'s own (default: http://<host>:<port>)')
      .env('CALLGATE_PUBLIC_URL'),
  )
  .addOption(
    new Option('--max-connections-per-ip <n>', 'open WebSockets per client address (0 = no limit)')
      .env('CALLGATE_MAX_CONNECTIONS_PER_IP')
      .argParser(nonNegativeNumber)
      .default(200),
  )
  .addOption(
    new Option('--max-http-connections-per-ip <n>', 'open connections that are not WebSockets (yet) per client address (0 = no limit)')
      .env('CALLGATE_MAX_HTTP_CONNECTIONS_PER_IP')
      .argParser(nonNegativeNumber)
      .default(32),
  )
  .addOption(
    new Option('--max-http-connections <n>', 'open connections that are not WebSockets (yet), in all; at the cap the longest-waiting one makes room (0 = no limit)')
      .env('CALLGATE_MAX_HTTP_CONNECTIONS')
      .argParser(nonNegativeNumber)
      .default(512),
  )
  .addOption(
    new Option('--message-rate <n>', 'messages per second per connection (burst: twice as many)')
      .env('CALLGATE_MESSAGE_RATE')
      .argParser(nonNegativeNumber)
      .default(50),
  )
  .addOption(
    new Option('--control-rate <n>', 'call controls per second per user (burst: twice as many)')
      .env('CALLGATE_CONTROL_RATE')
      .argParser(nonNegativeNumber)
      .default(10),
  )
  .addOption(
    new Option('--db <path-or-url>', 'call records: a SQLite file path, or a postgres:// URL')
      .env('CALLGATE_DB')
      .default('./data/callgate.db'),
  )
  .addOption(new Option('--admin-key <key>', 'Bearer key that reads every call through the history API').env('CALLGATE_ADMIN_KEY'))
  .addOption(
    new Option('--drain-timeout <seconds>', 'on SIGTERM/SIGINT, how long live calls may go on before they are ended')
      .env('CALLGATE_DRAIN_TIMEOUT')
      .argParser(nonNegativeNumber)
      .default(30),
  )
  .addOption(new Option('--redis <url>', 'cluster mode: keep call state in this Redis (redis://host:port)').env('CALLGATE_REDIS'))
  .addOption(
    new Option('--redis-prefix <prefix>', 'Redis key prefix shared by the nodes of one deployment')
      .env('CALLGATE_REDIS_PREFIX')
      .default('callgate:'),
  )
  .addOption(new Option('--node <name>', 'this node\'s name in the cluster (default: host-pid-random)').env('CALLGATE_NODE'))
  .addOption(
    new Option('--node-timeout <seconds>', 'a node silent this long is dead and its users are dropped')
      .env('CALLGATE_NODE_TIMEOUT')
      .argParser(nonNegativeNumber)
      .default(5),
  )
  .addOption(new Option('--log-level <level>', 'log level').env('CALLGATE_LOG_LEVEL').choices(logLevels).default('info'))
  .addOption(
    new Option('--dev', 'development mode: demo login for anyone, a generated secret when none is given').env(
      'CALLGATE_DEV',
    ),
  )
  .addOption(new Option('--stun <url>', 'STUN server handed to clients (repeatable)').env('CALLGATE_STUN').argParser(urlList))
  .addOption(new Option('--turn-url <url>', 'TURN server handed to clients (repeatable)').env('CALLGATE_TURN_URL').argParser(urlList))
  .addOption(new Option('--turn-secret <secret>', "TURN shared secret (coturn's static-auth-secret)").env('CALLGATE_TURN_SECRET'))
  .addOption(
    new Option('--turn-ttl <seconds>', 'lifetime of TURN credentials').env('CALLGATE_TURN_TTL').argParser(positiveInteger).default(3600),
  )
  .addOption(new Option('--demo', 'serve the demo page at / (always on with --dev)').env('CALLGATE_DEMO'))
  .addOption(
    new Option('--business-secret <secret>', 'secret business servers authenticate with on /business (enables the business link)').env(
      'CALLGATE_BUSINESS_SECRET',
    ),
  )
  .addOption(
    new Option('--business-timeout <seconds>', 'how long a REQUEST waits for the business decision')
      .env('CALLGATE_BUSINESS_TIMEOUT')
      .argParser(nonNegativeNumber)
      .default(3),
  )
  .addOption(
    new Option('--business-fail-open', 'let calls ring when the business server fails or times out (default: refuse with 200010)').env(
      'CALLGATE_BUSINESS_FAIL_OPEN',
    ),
  )
  .addOption(new Option('--webhook-url <url>', 'POST every call event, signed, to this URL').env('CALLGATE_WEBHOOK_URL'))
  .addOption(new Option('--webhook-secret <secret>', 'key of the webhook signatures (HMAC-SHA256)').env('CALLGATE_WEBHOOK_SECRET'))
  .addOption(new Option('--webhook-veto', 'REQUEST waits for the webhook answer {"errorCode": N}; N != 0 refuses').env('CALLGATE_WEBHOOK_VETO'))
  .addOption(new Option('--queues <file>', 'contact centre: a JSON file of queues, written into the records database at start').env('CALLGATE_QUEUES'))
  .action(async (options: {
    port: number;
    host: string;
    secret?: string;
    tokenIssuer?: string;
    tokenAudience?: string;
    ringTimeout: number;
    grace: number;
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
    queues?: string;
  }) => {
    const logger = createLogger(options.logLevel);
    const short = options.dev
      ? undefined
      : shortSecret({
          '--secret': options.secret,
          '--business-secret': options.businessSecret,
          '--admin-key': options.adminKey,
          '--webhook-secret': options.webhookSecret,
        });
    if (short) program.error(`error: ${short} must be at least ${MIN_SECRET_BYTES} bytes outside --dev (e.g. openssl rand -base64 24)`);
    let secret = options.secret;
    if (!secret) {
      if (!options.dev) {
        program.error(
          'error: a token secret is required: pass --secret <secret> or set CALLGATE_SECRET (or use --dev for a throw-away one)',
        );
      }
      secret = randomBytes(24).toString('base64url');
      logger.warn(`dev mode: generated token secret ${secret} (mint tokens with: callgate token --user alice --secret ${secret})`);
    }
    const adminKey = options.adminKey || (options.dev ? randomBytes(18).toString('base64url') : undefined);
    const ice: IceServerConfig = { stun: options.stun ?? [] };
    if (options.turnUrl?.length || options.turnSecret) {
      ice.turn = { urls: options.turnUrl ?? [], secret: options.turnSecret ?? '', ttlSeconds: options.turnTtl };
    }
    let iceServers: ReturnType<typeof iceServersFor> = () => [];
    try {
      iceServers = iceServersFor(ice);
    } catch (error) {
      program.error(`error: ${(error as Error).message}`);
    }
    let businessSecret = options.businessSecret || undefined;
    if (!businessSecret && options.dev) {
      businessSecret = randomBytes(24).toString('base64url');
      logger.warn(`dev mode: generated business secret ${businessSecret} (for a business server: CALLGATE_BUSINESS_SECRET=${businessSecret})`);
    }
    if (businessSecret && businessSecret === secret) program.error('error: --business-secret must differ from the token secret');
    if (options.webhookUrl && !options.webhookSecret) program.error('error: --webhook-url needs --webhook-secret (or CALLGATE_WEBHOOK_SECRET)');
    if (!options.webhookUrl && (options.webhookSecret || options.webhookVeto)) {
      program.error('error: --webhook-secret and --webhook-veto need --webhook-url (or CALLGATE_WEBHOOK_URL)');
    }
    if (options.webhookUrl && !/^https?:\/\/./.test(options.webhookUrl)) program.error('error: --webhook-url must be an http:// or https:// URL');
    if (options.publicUrl) {
      try {
        checkPublicUrl(options.publicUrl);
      } catch {
        program.error('error: --public-url must be an http:// or https:// URL, e.g. https://calls.example.com');
      }
    }
    const server = await startServer({
      iceServers,
      ...(options.dev || options.demo ? { demoDir: defaultDemoDir } : {}),
      port: options.port,
      host: options.host,
      secret,
      ...(options.tokenIssuer ? { tokenIssuer: options.tokenIssuer } : {}),
      ...(options.tokenAudience ? { tokenAudience: options.tokenAudience } : {}),
      ringTimeoutMs: options.ringTimeout * 1000,
      graceMs: options.grace * 1000,
      dev: options.dev === true,
      logger,
      allowOrigins: options.allowOrigin ?? [],
      ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
      ...(options.redis
        ? { redis: options.redis, redisPrefix: options.redisPrefix, nodeTimeoutMs: options.nodeTimeout * 1000 }
        : {}),
      ...(options.node ? { node: options.node } : {}),
      limits: {
        maxConnectionsPerIp: options.maxConnectionsPerIp,
        maxHttpConnectionsPerIp: options.maxHttpConnectionsPerIp,
        maxHttpConnections: options.maxHttpConnections,
        messagesPerSecond: options.messageRate,
        messageBurst: options.messageRate * 2,
        controlsPerSecond: options.controlRate,
        controlBurst: options.controlRate * 2,
      },
      ...(businessSecret ? { businessSecret } : {}),
      businessTimeoutMs: options.businessTimeout * 1000,
      businessFailOpen: options.businessFailOpen === true,
      ...(options.webhookUrl && options.webhookSecret
        ? { webhook: { url: options.webhookUrl, secret: options.webhookSecret, veto: options.webhookVeto === true } }
        : {}),
      db: options.db,
      ...(adminKey ? { adminKey } : {}),
      ...(options.queues ? { queuesFile: options.queues } : {}),
    }).catch((error: unknown) => {
      logger.fatal({ err: error }, `cannot start: ${(error as Error).message}`);
      process.exit(1);
    });
    logger.info({ url: server.url }, `Callgate listening on ${server.url} (HTTP ${server.httpUrl})`);
    if (options.dev) logger.warn('dev mode: POST /api/dev/login mints a token for any user; never use --dev in production');
    if (options.dev && !options.adminKey) {
      logger.warn(`dev mode: generated admin key ${adminKey} (curl -H 'Authorization: Bearer ${adminKey}' ${server.httpUrl}/api/calls)`);
    }
    if (options.dev || options.demo) logger.info(`demo page: ${server.httpUrl}/`);
    if (businessSecret) logger.info(`business servers connect to ${server.url}/business`);
    if (options.webhookUrl) logger.info({ webhook: options.webhookUrl, veto: options.webhookVeto === true }, 'call events go to the webhook');

    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting at once');
        process.exit(1);
      }
      stopping = true;
      const drainTimeoutMs = options.drainTimeout * 1000;
      logger.info({ signal, drainTimeoutMs }, 'shutting down: no new connections or calls; live calls may go on until the drain timeout');
      server.close({ drainTimeoutMs }).then(
        () => {
          logger.info('stopped; every call record is written');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });

program
  .command('token')
  .description('mint a user access token (JWT, HS256) and print it')
  .requiredOption('--user <userId>', 'the user id the token is for')
  .addOption(new Option('--ttl <seconds>', 'lifetime in seconds').argParser(nonNegativeNumber).default(3600))
  .addOption(new Option('--secret <secret>', 'the server token secret').env('CALLGATE_SECRET'))
  .option('--role <role>', 'a role claim: agent (serves queues), supervisor (watches them), or your own (shown in presence)')
  .option('--queues <ids>', 'an agent\'s queues, comma-separated', (value: string) => list(value))
  .option('--skills <skills>', 'an agent\'s skills, comma-separated', (value: string) => list(value))
  .addOption(new Option('--priority <0-100>', 'a customer\'s priority in queues (higher is served first)').argParser(priority))
  .option('--issuer <iss>', 'the iss claim (for a server with --token-issuer)')
  .option('--audience <aud>', 'the aud claim (for a server with --token-audience)')
  .action(
    async (options: {
      user: string;
      ttl: number;
      secret?: string;
      role?: string;
      queues?: string[];
      skills?: string[];
      priority?: number;
      issuer?: string;
      audience?: string;
    }) => {
    const secret = options.secret || program.error('error: --secret <secret> (or CALLGATE_SECRET) is required to sign the token');
    if (options.role !== undefined && !ROLE_PATTERN.test(options.role)) program.error('error: --role: 1-32 characters of A-Z a-z 0-9 _ -');
    try {
      const token = await createAccessToken({
        secret,
        userId: options.user,
        ttlSeconds: options.ttl,
        ...(options.role !== undefined ? { role: options.role } : {}),
        ...(options.queues !== undefined ? { queues: options.queues } : {}),
        ...(options.skills !== undefined ? { skills: options.skills } : {}),
        ...(options.priority !== undefined ? { priority: options.priority } : {}),
        ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
        ...(options.audience !== undefined ? { audience: options.audience } : {}),
      });
      process.stdout.write(`${token}\n`);
    } catch (error) {
      program.error(`error: ${(error as Error).message}`);
    }
  });

await program.parseAsync(process.argv);
