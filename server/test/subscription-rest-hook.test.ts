/**
 * FHIR R4 Subscriptions, rest-hook channel: validation on write, activation, criteria matching, payload and id-only
 * notifications, a dead endpoint (retries, status error, dead letter, admin retry) and its recovery.
 * Notifications go to an HTTP server this test starts on 127.0.0.1.
 */
import type { OperationOutcome, Subscription } from '@medplum/fhirtypes';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { YiwangApp } from '../src/app.js';
import { EventDispatcher } from '../src/platform/events/dispatcher.js';
import { SUBSCRIPTION_HANDLER } from '../src/platform/subscriptions/handler.js';
import { signIn, ENGINES } from './helpers/db.js';
import {
  adminOf,
  appOn,
  hookServer,
  isolatedDatabase,
  observation,
  waitFor,
  type Caller,
  type IsolatedDatabase,
} from './events-support.js';

const LOINC_K = 'http://loinc.org|2823-3';

describe.each(ENGINES)('FHIR Subscription rest-hook on %s', (engine) => {
  let isolated: IsolatedDatabase;
  let yiwang: YiwangApp;
  let hook: Awaited<ReturnType<typeof hookServer>>;
  let dispatcher: EventDispatcher;

  beforeAll(async () => {
    isolated = await isolatedDatabase(engine);
    yiwang = await appOn(isolated.url);
    hook = await hookServer();
  });
  afterEach(async () => {
    await dispatcher?.stop();
  });
  afterAll(async () => {
    await hook?.close();
    await yiwang?.close();
    await isolated?.drop();
  });

  /** A dispatcher with quick retries carrying the app's subscription handler (the app's own loop is off). */
  async function startDispatcher(): Promise<EventDispatcher> {
    dispatcher = new EventDispatcher(yiwang.db, { repositoryFor: yiwang.systemRepository, retryBaseMs: 20, pollMs: 20 });
    dispatcher.subscribe(yiwang.subscriptions.handler);
    await dispatcher.start();
    return dispatcher;
  }

  const subscription = (
    channel: Partial<Subscription['channel']>,
    criteria = `Observation?code=${LOINC_K}&patient=Patient/p1`,
  ): Subscription => ({
    resourceType: 'Subscription',
    status: 'requested',
    reason: 'potassium results for the county lab system',
    criteria,
    channel: { type: 'rest-hook', endpoint: `${hook.url}/fhir`, payload: 'application/fhir+json', ...channel },
  });

  async function activeSubscription(admin: Caller, sub: Subscription): Promise<string> {
    const res = await admin.request('POST', 'Subscription', sub);
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().id as string;
    await dispatcher.drain();
    expect((await admin.request('GET', `Subscription/${id}`)).json().status).toBe('active');
    return id;
  }

  it('refuses bad criteria, channels and endpoints with a 400 naming the element, and stores nothing', async () => {
    const admin = await adminOf(yiwang);
    const cases: [Partial<Subscription>, string, RegExp][] = [
      [{ criteria: 'Nonsense?code=1' }, 'Subscription.criteria', /resource type/],
      [{ criteria: 'Observation?no-such-param=1' }, 'Subscription.criteria', /no-such-param/],
      [{ criteria: 'Observation?date=notadate' }, 'Subscription.criteria', /not a search/],
      [{ channel: { type: 'email', endpoint: 'mailto:a@b.cn' } }, 'Subscription.channel.type', /not supported/],
      [{ channel: { type: 'rest-hook' } }, 'Subscription.channel.endpoint', /needs an endpoint/],
      [{ channel: { type: 'rest-hook', endpoint: 'ftp://his.local/in' } }, 'Subscription.channel.endpoint', /http or https/],
      [{ channel: { type: 'rest-hook', endpoint: 'http://169.254.169.254/latest' } }, 'Subscription.channel.endpoint', /link-local/],
      [{ channel: { type: 'rest-hook', endpoint: 'http://[fe80::1]/x' } }, 'Subscription.channel.endpoint', /link-local/],
      [{ channel: { type: 'rest-hook', endpoint: 'http://user:pw@his.local/x' } }, 'Subscription.channel.endpoint', /credentials/],
      [
        { channel: { type: 'rest-hook', endpoint: 'http://his.local/x', payload: 'text/xml' } },
        'Subscription.channel.payload',
        /not supported/,
      ],
      [
        { channel: { type: 'rest-hook', endpoint: 'http://his.local/x', header: ['no colon here'] } },
        'Subscription.channel.header[0]',
        /Name: value/,
      ],
    ];
    for (const [change, expression, text] of cases) {
      const body = { ...subscription({}), ...change };
      const res = await admin.request('POST', 'Subscription', body);
      expect(res.statusCode, `${JSON.stringify(change)} → ${res.body}`).toBe(400);
      const outcome = res.json() as OperationOutcome;
      const issue = outcome.issue.find((i) => i.expression?.includes(expression));
      expect(issue, `${expression} in ${res.body}`).toBeDefined();
      expect(issue!.details?.text).toMatch(text);
    }
    expect((await admin.request('GET', 'Subscription')).json().total).toBe(0);
    const events = await yiwang.db.query('SELECT 1 FROM event_outbox WHERE tenant = $1', [admin.tenant]);
    expect(events.rows).toEqual([]);
    // Only administrators and system clients write Subscriptions (they make this server send requests).
    const doctor = await adminOf(yiwang, admin.tenant, await signIn(yiwang, admin.tenant, { roles: ['township-doctor'] }));
    expect((await doctor.request('POST', 'Subscription', subscription({}))).statusCode).toBe(403);
  });

  it('activates a requested subscription and sends matching resources (PUT with payload), nothing else', async () => {
    await startDispatcher();
    const admin = await adminOf(yiwang);
    hook.received.length = 0;
    await activeSubscription(admin, subscription({ header: ['Authorization: Bearer his-secret'] }));
    const match = (await admin.request('POST', 'Observation', observation('2823-3', 6.8))).json().id as string;
    await admin.request('POST', 'Observation', observation('2951-2', 140)); // another code
    await admin.request('POST', 'Observation', observation('2823-3', 6.1, 'Patient/p2')); // another patient
    await dispatcher.drain();
    expect(hook.received.map((r) => `${r.method} ${r.url}`)).toEqual([`PUT /fhir/Observation/${match}`]);
    const [first] = hook.received;
    expect(first!.headers.authorization).toBe('Bearer his-secret');
    expect(first!.headers['content-type']).toMatch(/^application\/fhir\+json/);
    expect(JSON.parse(first!.body)).toMatchObject({ resourceType: 'Observation', id: match, valueQuantity: { value: 6.8 } });

    // An update that still matches notifies again; a delete does not.
    const current = (await admin.request('GET', `Observation/${match}`)).json();
    await admin.request('PUT', `Observation/${match}`, { ...current, valueQuantity: { value: 7.1, unit: 'mmol/L' } });
    await dispatcher.drain();
    expect(hook.received).toHaveLength(2);
    expect(JSON.parse(hook.received[1]!.body).meta.versionId).toBe('2');
    await admin.request('DELETE', `Observation/${match}`);
    await dispatcher.drain();
    expect(hook.received).toHaveLength(2);
  });

  it('without a payload sends an empty POST to the endpoint (id-only)', async () => {
    await startDispatcher();
    const admin = await adminOf(yiwang);
    hook.received.length = 0;
    await activeSubscription(admin, subscription({ payload: undefined, endpoint: `${hook.url}/ping-only` }, 'Observation'));
    await admin.request('POST', 'Observation', observation());
    await dispatcher.drain();
    expect(hook.received.map((r) => [r.method, r.url, r.body])).toEqual([['POST', '/ping-only', '']]);
  });

  it('a dead endpoint: retries with backoff, then status error and a dead letter; recovery makes it active again', async () => {
    await startDispatcher();
    const admin = await adminOf(yiwang);
    const healthy = await hookServer();
    try {
      const deadId = await activeSubscription(admin, subscription({ endpoint: `${hook.url}/dead` }));
      await activeSubscription(admin, subscription({ endpoint: `${healthy.url}/fhir` }));
      hook.received.length = 0;
      hook.status = 503;
      await admin.request('POST', 'Observation', observation());

      const maxAttempts = yiwang.subscriptions.handler.maxAttempts!;
      await waitFor(async () => (await dispatcher.deadLetters(admin.tenant)).length === 1, 15_000, 'a dead letter');
      expect(hook.received).toHaveLength(maxAttempts);
      // The healthy endpoint got the notification once, although the event was offered six times.
      expect(healthy.received).toHaveLength(1);
      const failed = (await admin.request('GET', `Subscription/${deadId}`)).json() as Subscription;
      expect(failed.status).toBe('error');
      expect(failed.error).toMatch(/HTTP 503 .*after 6 attempts/);

      // The administrator sees the dead letter; other roles may not.
      const list = await admin.request('GET', '/admin/events/dead-letters');
      expect(list.statusCode).toBe(200);
      const [letter] = list.json().items;
      expect(letter).toMatchObject({ handler: SUBSCRIPTION_HANDLER, attempts: maxAttempts });
      expect(letter.lastError).toMatch(/503/);
      const doctor = await adminOf(yiwang, admin.tenant, await signIn(yiwang, admin.tenant, { roles: ['township-doctor'] }));
      expect((await doctor.request('GET', '/admin/events/dead-letters')).statusCode).toBe(403);
      expect(
        (await doctor.request('POST', '/admin/events/dead-letters/retry', { handler: SUBSCRIPTION_HANDLER, seq: letter.event.seq }))
          .statusCode,
      ).toBe(403);
      expect((await admin.request('POST', '/admin/events/dead-letters/retry', { handler: SUBSCRIPTION_HANDLER })).statusCode).toBe(400);
      expect((await admin.request('POST', '/admin/events/dead-letters/retry', { handler: 'x', seq: '1' })).statusCode).toBe(404);

      // The endpoint is back; the administrator retries the dead letter: delivered, active again, list empty.
      hook.status = 200;
      const retry = await admin.request('POST', '/admin/events/dead-letters/retry', {
        handler: SUBSCRIPTION_HANDLER,
        seq: letter.event.seq,
      });
      expect(retry.statusCode, retry.body).toBe(200);
      await waitFor(async () => (await admin.request('GET', `Subscription/${deadId}`)).json().status === 'active', 10_000, 'active again');
      expect(hook.received).toHaveLength(maxAttempts + 1);
      expect(healthy.received).toHaveLength(1);
      expect((await admin.request('GET', '/admin/events/dead-letters')).json().items).toEqual([]);
      expect((await admin.request('GET', `Subscription/${deadId}`)).json().error).toBeUndefined();
    } finally {
      hook.status = 200;
      await healthy.close();
    }
  });
});
