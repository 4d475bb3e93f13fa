/**
 * The REST API is strict (issue 12 item 6) and described (issue 17 item 3): unknown or malformed
 * parameters are 400 BAD_QUERY, every 4xx — fastify's own too — is `{ error: { code, message } }`,
 * the dev login takes JSON without a Content-Type, and the server serves its OpenAPI document and
 * the docs page.
 */
import { request } from 'node:http';
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiGet, type ApiErrorBody } from '../support/history.js';
import { startTestServer, type TestServer } from '../support/servers.js';

const ADMIN = 'rest-api-admin-key-0123';
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ dev: true, adminKey: ADMIN });
});
afterAll(async () => {
  await server.close();
});

/** One request over node:http, with exactly the headers given (fetch adds a Content-Type of its own). */
function raw(method: string, path: string, headers: Record<string, string | number>, body = ''): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const sent = request(`${server.httpUrl}${path}`, { method, headers }, (answer) => {
      let text = '';
      answer.setEncoding('utf8');
      answer.on('data', (chunk: string) => (text += chunk));
      answer.on('end', () => {
        const json = answer.headers['content-type']?.includes('application/json');
        resolve({ status: answer.statusCode ?? 0, body: json ? JSON.parse(text) : text });
      });
    });
    sent.on('error', reject);
    sent.end(body);
  });
}

const errorShape = { error: { code: expect.any(String), message: expect.any(String) } };

describe('a strict REST API', () => {
  it('refuses unknown and malformed query parameters on every route with 400 BAD_QUERY', async () => {
    const paths = ['/api/calls', '/api/calls/some-call', '/api/queues', '/api/queues/billing', '/api/queues/billing/stats', '/api/queue-entries',
      '/api/queue-entries/some-entry', '/healthz', '/readyz', '/metrics', '/api/openapi.json'];
    for (const path of paths) {
      for (const query of ['foo=bar', 'USER=', 'user[]=']) {
        const answer = await apiGet<ApiErrorBody>(server, `${path}?${query}`, ADMIN);
        expect([answer.status, answer.body.error?.code], `${path}?${query}`).toEqual([400, 'BAD_QUERY']);
        expect(answer.body.error.message, `${path}?${query}`).toMatch(/unknown parameter/);
      }
    }
    expect((await apiGet<ApiErrorBody>(server, '/api/calls?user=a&user=b', ADMIN)).body.error.code).toBe('BAD_QUERY');
    expect((await apiGet<ApiErrorBody>(server, '/api/calls?role=both&user=a', ADMIN)).body.error.code).toBe('BAD_QUERY');
    // What is known still works, an empty value as if left out.
    expect((await apiGet(server, '/api/calls?limit=5&user=&outcome=completed', ADMIN)).status).toBe(200);
  });

  it("answers fastify's own 4xx in the API's shape", async () => {
    const unknown = await apiGet<ApiErrorBody>(server, '/api/nothing-here', ADMIN);
    expect([unknown.status, unknown.body]).toEqual([404, { error: { code: 'NOT_FOUND', message: 'no route GET /api/nothing-here' } }]);
    const badUrl = await raw('GET', '/api/calls/%E0%A4%A', { authorization: `Bearer ${ADMIN}` });
    expect(badUrl).toMatchObject({ status: 400, body: errorShape });
    const login = (headers: Record<string, string | number>, body: string) => raw('POST', '/api/dev/login', { ...headers, 'content-length': Buffer.byteLength(body) }, body);
    expect(await login({ 'content-type': 'text/plain' }, '{"userId":"x"}')).toEqual({ status: 415, body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: expect.any(String) } } });
    expect(await login({ 'content-type': 'application/xml' }, '<x/>')).toMatchObject({ status: 415, body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE' } } });
    expect(await login({ 'content-type': 'application/json' }, '{"userId":')).toMatchObject({ status: 400, body: { error: { code: 'BAD_BODY' } } });
    expect(await login({ 'content-type': 'application/json' }, JSON.stringify({ userId: 'x'.repeat(8000) }))).toMatchObject({ status: 413, body: { error: { code: 'TOO_LARGE' } } });
    expect(await login({ 'content-type': 'application/json' }, '{"userId":"ann","admin":true}')).toMatchObject({ status: 400, body: { error: { code: 'BAD_BODY', message: 'admin: unknown parameter' } } });
    expect(await login({ 'content-type': 'application/json' }, '{}')).toMatchObject({ status: 400, body: { error: { code: 'BAD_USER_ID' } } });
    expect(await login({ 'content-type': 'application/json' }, '{"userId":"a b"}')).toMatchObject({ status: 400, body: { error: { code: 'BAD_USER_ID' } } });
    expect(await login({ 'content-type': 'application/json' }, '{"userId":"ann","role":"no role!"}')).toMatchObject({ status: 400, body: { error: { code: 'BAD_ROLE' } } });
    const put = await raw('PUT', '/api/queues/billing', { authorization: `Bearer ${ADMIN}`, 'content-type': 'text/plain', 'content-length': 2 }, '{}');
    expect(put).toMatchObject({ status: 415, body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE' } } });
  });

  it('the dev login takes a JSON body without a Content-Type header', async () => {
    const body = '{"userId":"no-type","role":"agent"}';
    const answer = await raw('POST', '/api/dev/login', { 'content-length': body.length }, body);
    expect(answer).toMatchObject({ status: 200, body: { userId: 'no-type', role: 'agent', token: expect.any(String) } });
    expect(await raw('POST', '/api/dev/login', { 'content-length': 8 }, 'not json')).toMatchObject({ status: 400, body: { error: { code: 'BAD_BODY' } } });
    expect(await raw('POST', '/api/dev/login', {})).toMatchObject({ status: 400, body: { error: { code: 'BAD_BODY' } } });
  });
});

describe('the OpenAPI document and its page', () => {
  it('serves a valid OpenAPI 3.1 document at /api/openapi.json that lists the routes', async () => {
    const answer = await fetch(`${server.httpUrl}/api/openapi.json`);
    expect(answer.status).toBe(200);
    const document = (await answer.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    await SwaggerParser.validate(structuredClone(document) as never);
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/api/calls', '/api/calls/{callId}', '/api/queues/{id}/stats', '/api/queue-entries', '/api/dev/login', '/healthz']));
  });

  it('serves the docs page at /api/docs', async () => {
    const page = await fetch(`${server.httpUrl}/api/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toMatch(/swagger-ui/i);
  });
});
