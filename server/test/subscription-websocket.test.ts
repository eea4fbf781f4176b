/**
 * The R4 websocket channel: a client with a bearer token binds to a websocket Subscription, gets `bound <id>`, then
 * `ping <id>` when a matching resource is written. No token, no socket; binding to what is not a websocket
 * Subscription of the caller's tenant is refused.
 */
import type { Subscription } from '@medplum/fhirtypes';
import { WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { YiwangApp } from '../src/app.js';
import { WEBSOCKET_PATH } from '../src/platform/subscriptions/websocket.js';
import { ENGINES } from './helpers/db.js';
import { adminOf, appOn, isolatedDatabase, observation, waitFor, type Caller, type IsolatedDatabase } from './events-support.js';

describe.each(ENGINES)('FHIR Subscription websocket on %s', (engine) => {
  let isolated: IsolatedDatabase;
  let yiwang: YiwangApp;
  let url: string;
  beforeAll(async () => {
    isolated = await isolatedDatabase(engine);
    yiwang = await appOn(isolated.url);
    // A real socket on a port: the path a hospital system's client takes (fastify's injectWS sends a numeric
    // Sec-WebSocket-Version, which ws 8.23 refuses).
    await yiwang.app.listen({ port: 0, host: '127.0.0.1' });
    url = `ws://127.0.0.1:${(yiwang.app.server.address() as AddressInfo).port}${WEBSOCKET_PATH}`;
  });
  afterAll(async () => {
    await yiwang?.close();
    await isolated?.drop();
  });

  const connect = (headers: Record<string, string>): Promise<WebSocket> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      ws.once('open', () => resolve(ws));
      ws.once('unexpected-response', (req, res) => {
        req.destroy(); // or the refused connection stays open and holds the server's close
        reject(new Error(`HTTP ${res.statusCode}`));
      });
      ws.once('error', reject);
    });
  const open = async (caller: Caller) => {
    const ws = await connect({ authorization: `Bearer ${caller.token}`, 'x-test-tenant': caller.tenant });
    const messages: string[] = [];
    ws.on('message', (m: Buffer) => messages.push(String(m)));
    return { ws, messages };
  };
  const next = async (messages: string[], n: number) => {
    await waitFor(() => messages.length >= n, 5000, `message ${n}`);
    return messages[n - 1];
  };
  const create = async (admin: Caller, channel: Subscription['channel'], criteria = 'Observation?code=http://loinc.org|2823-3') => {
    const res = await admin.request('POST', 'Subscription', {
      resourceType: 'Subscription',
      status: 'requested',
      reason: 'ward screen',
      criteria,
      channel,
    });
    expect(res.statusCode, res.body).toBe(201);
    await yiwang.events.drain();
    return res.json().id as string;
  };

  it('bind → bound, then a ping for each matching write and none for others', async () => {
    const admin = await adminOf(yiwang);
    const id = await create(admin, { type: 'websocket' });
    const { ws, messages } = await open(admin);
    ws.send(`bind ${id}`);
    expect(await next(messages, 1)).toBe(`bound ${id}`);
    await admin.request('POST', 'Observation', observation('2823-3'));
    await admin.request('POST', 'Observation', observation('2951-2'));
    await yiwang.events.drain();
    expect(await next(messages, 2)).toBe(`ping ${id}`);
    await admin.request('POST', 'Observation', observation('2823-3'));
    await yiwang.events.drain();
    expect(await next(messages, 3)).toBe(`ping ${id}`);
    await new Promise((r) => setTimeout(r, 100));
    expect(messages).toHaveLength(3);
    ws.terminate();
  });

  it('refuses a bind to a rest-hook subscription, to an unknown id, to another tenant, and bad commands', async () => {
    const admin = await adminOf(yiwang);
    const restHook = await create(admin, { type: 'rest-hook', endpoint: 'http://127.0.0.1:9/none' });
    const other = await adminOf(yiwang);
    const theirs = await create(other, { type: 'websocket' });
    const { ws, messages } = await open(admin);
    ws.send(`bind ${restHook}`);
    expect(await next(messages, 1)).toBe(`error ${restHook} Subscription/${restHook} is not a websocket subscription`);
    ws.send('bind no-such-id');
    expect(await next(messages, 2)).toBe('error no-such-id Subscription/no-such-id not found');
    ws.send(`bind ${theirs}`);
    expect(await next(messages, 3)).toMatch(/not found/);
    ws.send('subscribe everything');
    expect(await next(messages, 4)).toMatch(/^error .*expected 'bind <subscription id>'/);
    // Nothing bound: a write of the other tenant pings nobody here.
    await other.request('POST', 'Observation', observation('2823-3'));
    await yiwang.events.drain();
    await new Promise((r) => setTimeout(r, 100));
    expect(messages).toHaveLength(4);
    ws.terminate();
  });

  it('needs a bearer token', async () => {
    await expect(connect({ 'x-test-tenant': 't-x' })).rejects.toThrow(/HTTP 401/);
    await expect(connect({ 'x-test-tenant': 't-x', authorization: 'Bearer forged' })).rejects.toThrow(/HTTP 401/);
  });
});
