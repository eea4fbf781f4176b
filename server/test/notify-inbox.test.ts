/** Notifications: stored per recipient, read only by them, unread counts, idempotent senders, live push over SSE. */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoggingChannel, type Notification } from '../src/platform/notify/notifier.js';
import { closeApps, ENGINES, sharedApp, testClient } from './helpers/db.js';

afterAll(closeApps);

const JSON_BODY = { 'content-type': 'application/json' };

describe.each(ENGINES)('inbox on %s', (engine) => {
  // Building the app (migrations) can take long on a loaded machine: in the hook, not in the first test.
  beforeAll(() => sharedApp(engine));

  async function setup() {
    const admin = await testClient(engine);
    const doctorId = randomUUID();
    const doctor = await admin.as({ roles: ['village-doctor'], practitionerId: doctorId });
    const other = await admin.as({ roles: ['village-doctor'], practitionerId: randomUUID() });
    return { admin, doctor, other, doctorId, notifier: admin.yiwang.notifier, tenant: admin.tenant };
  }

  it('shows a notification to its recipient only, counts unread, marks read only the own', async () => {
    const { doctor, other, doctorId, notifier, tenant } = await setup();
    const n = await notifier.send({
      tenant,
      recipient: `Practitioner/${doctorId}`,
      category: 'referral',
      title: '转诊已接收',
      body: '南川区人民医院已接收转诊',
      link: '/referrals/1',
    });
    await notifier.send({ tenant, recipient: `Practitioner/${doctorId}`, category: 'task', priority: 'urgent', title: '随访逾期' });
    const inbox = (await doctor.get('/api/inbox')).json<{ items: Notification[]; unread: { total: number } }>();
    expect(inbox.items.map((i) => i.title)).toEqual(['随访逾期', '转诊已接收']);
    expect(inbox.unread.total).toBe(2);
    expect((await other.get('/api/inbox')).json<{ items: unknown[] }>().items).toHaveLength(0);
    expect((await other.request('POST', '/api/inbox/read', { ids: [n.id] }, JSON_BODY)).json()).toEqual({ updated: 0 });
    expect((await doctor.request('POST', '/api/inbox/read', { ids: [n.id] }, JSON_BODY)).json()).toEqual({ updated: 1 });
    expect((await doctor.get('/api/inbox/count')).json()).toEqual({ total: 1, byCategory: { task: 1 } });
    const unread = (await doctor.get('/api/inbox?unread=1')).json<{ items: Notification[] }>();
    expect(unread.items.map((i) => i.category)).toEqual(['task']);
    expect((await doctor.request('POST', '/api/inbox/read', { all: true }, JSON_BODY)).json()).toEqual({ updated: 1 });
    expect((await doctor.get('/api/inbox/count')).json<{ total: number }>().total).toBe(0);
  });

  it('answers bad requests with 400 and needs a token', async () => {
    const { doctor } = await setup();
    expect((await doctor.request('POST', '/api/inbox/read', { ids: 'x' }, JSON_BODY)).statusCode).toBe(400);
    expect((await doctor.request('POST', '/api/inbox/read', {}, JSON_BODY)).statusCode).toBe(400);
    expect((await doctor.get('/api/inbox?limit=0')).statusCode).toBe(400);
    expect((await doctor.get('/api/inbox?before=yesterday')).statusCode).toBe(400);
    expect((await doctor.get('/api/inbox', { authorization: '' })).statusCode).toBe(401);
  });

  it('the same dedup key for the same recipient is one notification; urgent ones go out through the channels', async () => {
    const { doctorId, notifier, tenant } = await setup();
    const channel = new LoggingChannel();
    notifier.addChannel(channel);
    const input = {
      tenant,
      recipient: `Practitioner/${doctorId}`,
      category: 'critical-value',
      priority: 'stat' as const,
      title: '危急值',
      dedupKey: 'obs-1',
    };
    const a = await notifier.send(input);
    const b = await notifier.send(input);
    expect(b.id).toBe(a.id);
    expect((await notifier.inbox(tenant, [`Practitioner/${doctorId}`])).length).toBe(1);
    expect(channel.sent.filter((s) => s.tenant === tenant)).toHaveLength(1);
    const stored = await notifier.get(tenant, a.id);
    expect(stored?.deliveries.find((d) => d.channel === 'log')?.status).toBe('sent');
    await notifier.send({ tenant, recipient: `Practitioner/${doctorId}`, category: 'referral', title: 'routine' });
    expect(channel.sent.filter((s) => s.tenant === tenant)).toHaveLength(1);
  });

  it('pushes new notifications live to the recipient’s open stream (SSE)', async () => {
    const { admin, doctor, doctorId, notifier, tenant } = await setup();
    const app = admin.yiwang.app;
    if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    const controller = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/api/inbox/stream`, {
      headers: { authorization: `Bearer ${doctor.token}`, 'x-test-tenant': tenant },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        text += new TextDecoder().decode(value);
      }
    };
    await readUntil('event: count');
    await notifier.send({ tenant, recipient: `Practitioner/${randomUUID()}`, category: 'task', title: '别人的消息' });
    await notifier.send({
      tenant,
      recipient: `Practitioner/${doctorId}`,
      category: 'critical-value',
      priority: 'stat',
      title: '血钾 6.8 mmol/L',
    });
    await readUntil('血钾');
    controller.abort();
    expect(text).toContain('event: notification');
    expect(text).not.toContain('别人的消息');
  });
});
