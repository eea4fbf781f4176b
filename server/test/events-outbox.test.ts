/**
 * The transactional outbox: an event row exists if and only if the write committed, one per written version, and
 * drain hands every committed event to the subscribed handlers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { YiwangApp } from '../src/app.js';
import type { ResourceEvent } from '../src/platform/events/types.js';
import { ENGINES } from './helpers/db.js';
import { adminOf, appOn, isolatedDatabase, observation, type IsolatedDatabase } from './events-support.js';

interface Row {
  resource_type: string;
  resource_id: string;
  version: number;
  action: string;
}

describe.each(ENGINES)('event outbox on %s', (engine) => {
  let isolated: IsolatedDatabase;
  let yiwang: YiwangApp;
  beforeAll(async () => {
    isolated = await isolatedDatabase(engine);
    // Background loops off: rows stay in the outbox until a test drains them.
    yiwang = await appOn(isolated.url);
  });
  afterAll(async () => {
    await yiwang?.close();
    await isolated?.drop();
  });

  const outbox = async (tenant: string): Promise<Row[]> =>
    (
      await yiwang.db.query<Row>('SELECT resource_type, resource_id, version, action FROM event_outbox WHERE tenant = $1 ORDER BY seq', [
        tenant,
      ])
    ).rows;

  it('a committed create, update and delete each give exactly one event with the version written', async () => {
    const admin = await adminOf(yiwang);
    const created = await admin.request('POST', 'Observation', observation());
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    const updated = await admin.request('PUT', `Observation/${id}`, { ...observation('2823-3', 6.9), id });
    expect(updated.statusCode, updated.body).toBe(200);
    expect((await admin.request('DELETE', `Observation/${id}`)).statusCode).toBe(200);
    expect(await outbox(admin.tenant)).toEqual([
      { resource_type: 'Observation', resource_id: id, version: 1, action: 'create' },
      { resource_type: 'Observation', resource_id: id, version: 2, action: 'update' },
      { resource_type: 'Observation', resource_id: id, version: 3, action: 'delete' },
    ]);
  });

  it('a refused write writes no event', async () => {
    const admin = await adminOf(yiwang);
    const bad = await admin.request('POST', 'Observation', { ...observation(), status: 'not-a-status' });
    expect(bad.statusCode).toBe(400);
    expect(await outbox(admin.tenant)).toEqual([]);
  });

  it('a transaction bundle gives one event per entry; a failed one gives none', async () => {
    const admin = await adminOf(yiwang);
    const entry = (resource: unknown) => ({ resource, request: { method: 'POST', url: 'Observation' } });
    const ok = await admin.request('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [entry(observation()), entry(observation('6298-4', 5.1))],
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect((await outbox(admin.tenant)).map((r) => [r.action, r.version])).toEqual([
      ['create', 1],
      ['create', 1],
    ]);

    // The second entry fails after the first was written: the whole transaction, its events included, rolls back.
    const other = await adminOf(yiwang);
    const failed = await other.request('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        entry(observation()),
        { resource: { ...observation(), id: 'no-such' }, request: { method: 'PUT', url: 'Observation/no-such', ifMatch: 'W/"3"' } },
      ],
    });
    expect(failed.statusCode).toBeGreaterThanOrEqual(400);
    expect(await outbox(other.tenant)).toEqual([]);
    expect((await other.request('GET', 'Observation')).json().total).toBe(0);
  });

  it('drain hands every committed event to a subscribed handler, once', async () => {
    const admin = await adminOf(yiwang);
    const seen: ResourceEvent[] = [];
    yiwang.events.subscribe({
      name: `outbox-test-${admin.tenant}`,
      types: ['Observation'],
      actions: ['create'],
      handle: async (event) => {
        if (event.tenant === admin.tenant) seen.push(event);
      },
    });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await admin.request('POST', 'Observation', observation())).json().id as string);
    await admin.request('POST', 'Patient', { resourceType: 'Patient', name: [{ family: '王' }] });
    await yiwang.events.drain();
    expect(seen.map((e) => e.id)).toEqual(ids);
    expect(seen.every((e) => e.version === 1 && e.action === 'create' && e.resourceType === 'Observation')).toBe(true);
    expect(new Set(seen.map((e) => e.seq)).size).toBe(3);
    expect(await outbox(admin.tenant)).toEqual([]);
    await yiwang.events.drain();
    expect(seen).toHaveLength(3);
  });
});
