/**
 * docs/contact-centre.md's walk-through, as a user runs it: `callgate serve --queues
 * examples/queues.json`, then examples/contact-centre.mjs (two queues, two agents, three customers).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { killChildren, runNode, serveCallgate } from '../support/callgate-process.js';

afterEach(killChildren);

describe('the contact-centre example', () => {
  it('serves the VIP customer first, then the others first come, first served, with their places counting down', async () => {
    const secret = 'example-secret-0123456789';
    const server = await serveCallgate(['--secret', secret, '--queues', 'examples/queues.json']);
    const run = await runNode(['examples/contact-centre.mjs', server.url], { env: { CALLGATE_SECRET: secret } });
    expect(run.code, run.output).toBe(0);
    const lines = run.stdout.trim().split('\n');
    const at = (line: string): number => {
      const index = lines.indexOf(line);
      expect(index, `"${line}" in\n${run.stdout}`).toBeGreaterThanOrEqual(0);
      return index;
    };
    expect(lines.slice(0, 3)).toEqual([
      expect.stringMatching(/^carol: #1 in billing, ~\d+ s$/),
      expect.stringMatching(/^dave: #2 in billing, ~\d+ s$/),
      expect.stringMatching(/^erin: #1 in vip, ~\d+ s$/),
    ]);
    expect(at('anna is offered erin (vip): "erin\'s question"')).toBeLessThan(at('anna is offered carol (billing): "carol\'s question"'));
    expect(lines.findIndex((l) => /^dave: #1 in billing/.test(l))).toBeGreaterThan(at('carol: connected anna'));
    expect(at('bob is offered dave (billing): "dave\'s question"')).toBeGreaterThan(at('anna is offered carol (billing): "carol\'s question"'));
    for (const customer of ['carol', 'dave', 'erin']) expect(lines.filter((l) => l === `${customer}: served`)).toHaveLength(1);
  }, 30_000);
});
