import { randomBytes } from 'node:crypto';
import type { Command, Option } from 'commander';
import type { Logger } from 'pino';
import { createLogger } from '../logger.js';
import { ServerOptionsError } from '../options/option-error.js';
import { startServer, type RunningServer } from '../server.js';
import { applyConfigFile, ConfigFileError, type ConfigFile } from './config-file.js';
import { describeForCli } from './option-sources.js';
import { serveOptions, type JsonKind, type ServeFlags } from './serve-options.js';
import { toServerOptions, type DevDefaults } from './to-server-options.js';

const generated = (): string => randomBytes(24).toString('base64url');

/** `callgate serve`: the options, a --config file under them, and the server until SIGTERM/SIGINT. */
export function addServeCommand(program: Command): void {
  const serve = program.command('serve').description('run the Callgate server');
  const kinds = new Map<Option, JsonKind>();
  for (const { option, kind } of serveOptions()) {
    serve.addOption(option);
    kinds.set(option, kind);
  }
  serve.action(async (_options: ServeFlags, command: Command) => {
    let config: ConfigFile | undefined;
    try {
      const file = command.getOptionValue('config') as string | undefined;
      if (file) config = applyConfigFile(command, file, kinds);
    } catch (error) {
      if (error instanceof ConfigFileError) program.error(`error: ${error.message}`);
      throw error;
    }
    const flags = command.opts<ServeFlags>();
    const logger = createLogger(flags.logLevel);
    if (config) logger.info({ config: config.file }, `options from ${config.file}`);
    const dev: DevDefaults = {};
    if (flags.dev && !flags.secret) {
      dev.secret = generated();
      logger.warn(`dev mode: generated token secret ${dev.secret} (mint tokens with: callgate token --user alice --secret ${dev.secret})`);
    }
    if (flags.dev && !flags.adminKey) dev.adminKey = randomBytes(18).toString('base64url');
    if (flags.dev && !flags.businessSecret) {
      dev.businessSecret = generated();
      logger.warn(`dev mode: generated business secret ${dev.businessSecret} (for a business server: CALLGATE_BUSINESS_SECRET=${dev.businessSecret})`);
    }
    const options = toServerOptions(flags, dev, logger);
    const server = await startServer(options).catch((error: unknown): never => {
      if (error instanceof ServerOptionsError) program.error(`error: ${describeForCli(error, command, config)}`);
      logger.fatal({ err: error }, `cannot start: ${(error as Error).message}`);
      process.exit(1);
    });
    logger.info({ url: server.url }, `Callgate listening on ${server.url} (HTTP ${server.httpUrl})`);
    if (flags.dev) logger.warn('dev mode: POST /api/dev/login mints a token for any user; never use --dev in production');
    if (dev.adminKey) {
      logger.warn(`dev mode: generated admin key ${dev.adminKey} (curl -H 'Authorization: Bearer ${dev.adminKey}' ${server.httpUrl}/api/calls)`);
    }
    if (flags.dev || flags.demo) logger.info(`demo page: ${server.httpUrl}/`);
    if (options.businessSecret) logger.info(`business servers connect to ${server.url}/business`);
    if (flags.webhookUrl) logger.info({ webhook: flags.webhookUrl, veto: flags.webhookVeto === true }, 'call events go to the webhook');
    stopOnSignals(server, flags.drainTimeout * 1000, logger);
  });
}

function stopOnSignals(server: RunningServer, drainTimeoutMs: number, logger: Logger): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    stopping = true;
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
}
