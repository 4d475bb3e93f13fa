import { Command, Option } from 'commander';
import { ROLE_PATTERN } from '@callgate/protocol';
import { createAccessToken } from './auth/tokens.js';
import { addServeCommand } from './cli/serve-command.js';
import { list, nonNegativeNumber, priority } from './cli/parsers.js';

const program = new Command('callgate')
  .description('Callgate: call-control server for 1:1 video calls')
  .showHelpAfterError('(add --help for more information)');

addServeCommand(program);

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
