/**
 * Delivery by the dispatcher: retries with backoff, dead letters and their retry, failures that hold up nobody,
 * duplicate delivery after a claim expires (idempotent handlers), and two dispatchers on one PostgreSQL database.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { YiwangApp } from '../src/app.js';
import { EventDispatcher, type EventTransport } from '../src/platform/events/dispatcher.js';
import type { EventHandler, ResourceEvent } from '../src/platform/events/types.js';
import { ENGINES } from './helpers/db.js';
import { adminOf, appOn, isolatedDatabase, observation, waitFor, type IsolatedDatabase } from './events-support.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(ENGINES)('event delivery on %s', (engine) => {
  let isolated: IsolatedDatabase;
  let yiwang: YiwangApp;
  const dispatchers: EventDispatcher[] = [];
  const dispatcher = (options: Partial<ConstructorParameters<typeof EventDispatcher>[1]> = {}) => {
    const d = new EventDispatcher(yiwang.db, { repositoryFor: yiwang.systemRepository, retryBaseMs: 25, pollMs: 20, ...options });
    dispatchers.push(d);
    return d;
  };
  beforeAll(async () => {
    isolated = await isolatedDatabase(engine);
    yiwang = await appOn(isolated.url);
  });
  // A dispatcher left running would take the next test's events to handlers that ignore them.
  afterEach(async () => {
    for (const d of dispatchers.splice(0)) await d.stop();
  });
  afterAll(async () => {
    await yiwang?.close();
    await isolated?.drop();
  });

  it('a failing handler is retried with growing delays, then becomes a dead letter; others and later events go on', async () => {
    const admin = await adminOf(yiwang);
    const d = dispatcher();
    const attempts: { at: number; attempt: number }[] = [];
    const good: string[] = [];
    const name = `flaky-${admin.tenant}`;
    d.subscribe({
      name,
      types: ['Observation'],
      maxAttempts: 4,
      handle: async (event, ctx) => {
        if (event.tenant !== admin.tenant) return;
        attempts.push({ at: Date.now(), attempt: ctx.attempt });
        throw new Error('downstream is down');
      },
    });
    d.subscribe({
      name: `good-${admin.tenant}`,
      types: ['Observation'],
      handle: async (event) => {
        if (event.tenant === admin.tenant) good.push(event.id);
      },
    });
    await d.start();
    const first = (await admin.request('POST', 'Observation', observation())).json().id as string;
    const second = (await admin.request('POST', 'Observation', observation())).json().id as string;
    // The healthy handler gets both events at once, although the flaky one fails on each.
    await waitFor(() => good.length === 2, 5000, 'the healthy handler');
    expect(good).toEqual([first, second]);

    await waitFor(async () => (await d.deadLetters(admin.tenant)).length === 2, 10_000, 'two dead letters');
    expect(attempts.map((a) => a.attempt).sort()).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
    // Backoff: base 25 ms doubling — attempts 2, 3, 4 of one event come ≥ 25, 50, 100 ms after the one before.
    const times = (n: number) => attempts.filter((a) => a.attempt === n).map((a) => a.at);
    expect(Math.min(...times(4)) - Math.min(...times(3))).toBeGreaterThanOrEqual(95);
    expect(Math.min(...times(3)) - Math.min(...times(2))).toBeGreaterThanOrEqual(45);
    await sleep(300);
    expect(attempts).toHaveLength(8); // no attempt after the last one

    const dead = await d.deadLetters(admin.tenant);
    expect(dead.map((x) => x.event.id).sort()).toEqual([first, second].sort());
    expect(dead[0]).toMatchObject({ handler: name, attempts: 4, lastError: 'downstream is down' });
    expect(await d.deadLetters('another-tenant')).toEqual([]);
  });

  it('a dead letter retried after the cause is fixed is delivered once and leaves the list', async () => {
    const admin = await adminOf(yiwang);
    const d = dispatcher();
    let broken = true;
    const delivered: ResourceEvent[] = [];
    const name = `fixable-${admin.tenant}`;
    d.subscribe({
      name,
      types: ['Observation'],
      maxAttempts: 2,
      handle: async (event, ctx) => {
        if (event.tenant !== admin.tenant) return;
        if (broken) throw new Error('not yet');
        delivered.push({ ...event, seq: `${event.seq}@${ctx.attempt}` });
      },
    });
    await d.start();
    await admin.request('POST', 'Observation', observation());
    await waitFor(async () => (await d.deadLetters(admin.tenant)).length === 1, 5000, 'a dead letter');
    const [letter] = await d.deadLetters(admin.tenant);
    broken = false;
    expect(await d.retryDeadLetter(name, '0')).toBe(false);
    expect(await d.retryDeadLetter(name, letter!.event.seq, 'another-tenant')).toBe(false);
    expect(await d.retryDeadLetter(name, letter!.event.seq)).toBe(true);
    await waitFor(() => delivered.length === 1, 5000, 'the retried delivery');
    await d.drain();
    // Delivered: gone from retries and dead letters, and never offered again.
    const rows = await yiwang.db.query('SELECT 1 FROM event_delivery WHERE handler = $1', [name]);
    expect(rows.rows).toHaveLength(0);
    await sleep(200);
    await d.retryDue();
    expect(delivered).toHaveLength(1);
  });

  // Several dispatchers share a PostgreSQL database; an embedded PGlite belongs to one process.
  const itOnPostgres = (name: string, fn: () => Promise<void>) => {
    if (engine === 'postgres') it(name, fn);
  };

  itOnPostgres('an event offered again (a claim that expired) is handled once by an idempotent handler', async () => {
    const admin = await adminOf(yiwang);
    let offers = 0;
    // Idempotent: the effect (a Basic named after the event) is written only when it is not there yet.
    const handler: EventHandler = {
      name: `idempotent-${admin.tenant}`,
      types: ['Observation'],
      handle: async (event, { repository }) => {
        if (event.tenant !== admin.tenant) return;
        offers++;
        const id = `effect-${event.seq}`;
        const exists = await repository.read('Basic', id).then(
          () => true,
          () => false,
        );
        if (!exists) await repository.create({ resourceType: 'Basic', code: { text: `effect of ${event.id}` } }, { assignedId: id });
      },
    };
    // The first process delivers, then "crashes" before removing the events from the outbox: its publish never ends.
    const crashing: EventDispatcher = dispatcher({ claimMs: 150 });
    const hang: EventTransport = {
      name: 'crashing',
      publish: async (events) => {
        for (const e of events) await crashing.deliverToAll(e);
        await new Promise(() => undefined);
      },
    };
    const first = new EventDispatcher(yiwang.db, { repositoryFor: yiwang.systemRepository, claimMs: 150, transport: hang });
    first.subscribe(handler);
    crashing.subscribe(handler);
    for (let i = 0; i < 3; i++) await admin.request('POST', 'Observation', observation());
    void first.drain(60_000).catch(() => undefined);
    await waitFor(() => offers === 3, 5000, 'the first delivery');
    await sleep(250); // the claim expires
    const second = dispatcher();
    second.subscribe(handler);
    await second.drain();
    expect(offers).toBe(6); // every event offered twice …
    const effects = (await admin.request('GET', 'Basic?_count=100')).json();
    expect(effects.total).toBe(3); // … and acted on once
  });

  itOnPostgres('two dispatchers on one PostgreSQL database deliver each event to a handler exactly once', async () => {
    const admin = await adminOf(yiwang);
    const seen = new Map<string, string[]>();
    const make = (label: string) => {
      const d = dispatcher({ batchSize: 25 });
      d.subscribe({
        name: `pair-${admin.tenant}`,
        types: ['Observation'],
        handle: async (event) => {
          if (event.tenant !== admin.tenant) return;
          seen.set(event.seq, [...(seen.get(event.seq) ?? []), label]);
          await sleep(1); // a handler that takes a moment, so the two overlap
        },
      });
      return d;
    };
    const a = make('a');
    const b = make('b');
    await Promise.all([a.start(), b.start()]);
    const entry = () => ({ resource: observation(), request: { method: 'POST', url: 'Observation' } });
    await Promise.all(
      Array.from({ length: 6 }, () =>
        admin.request('POST', '', { resourceType: 'Bundle', type: 'transaction', entry: Array.from({ length: 50 }, entry) }),
      ),
    );
    await waitFor(() => seen.size === 300, 20_000, '300 events');
    await Promise.all([a.drain(), b.drain()]);
    const twice = [...seen.values()].filter((labels) => labels.length > 1);
    expect(twice).toEqual([]);
    expect(seen.size).toBe(300);
  });
});
