/**
 * The NATS JetStream transport with two server processes (two apps, two dispatchers) on one PostgreSQL database.
 * Needs nats-server with JetStream on YIWANG_NATS_URL (default nats://127.0.0.1:4222): when it is not reachable
 * these tests fail and say so. Each run uses a stream of its own and deletes it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { YiwangApp } from '../src/app.js';
import { EventDispatcher } from '../src/platform/events/dispatcher.js';
import { NatsTransport } from '../src/platform/events/nats.js';
import { adminOf, appOn, isolatedDatabase, observation, waitFor, type IsolatedDatabase } from './events-support.js';

const NATS_URL = process.env.YIWANG_NATS_URL ?? 'nats://127.0.0.1:4222';
const quiet = () => undefined;

describe('NATS JetStream transport, two processes on one PostgreSQL database', () => {
  let isolated: IsolatedDatabase;
  let apps: YiwangApp[] = [];
  const streams: string[] = [];
  let running: { dispatcher: EventDispatcher; transport: NatsTransport }[] = [];

  beforeAll(async () => {
    // Fails the suite with the reason when NATS is down, rather than skipping it.
    await NatsTransport.deleteStream(NATS_URL, 'YIWANG_PROBE_NONE').catch((err: unknown) => {
      throw new Error(`NATS JetStream is needed at ${NATS_URL} for these tests: ${String(err)}`);
    });
    isolated = await isolatedDatabase('postgres');
    apps = [await appOn(isolated.url), await appOn(isolated.url)];
  });
  afterEach(async () => {
    for (const r of running.splice(0)) await Promise.race([r.dispatcher.stop(), new Promise((r) => setTimeout(r, 3000))]);
  });
  afterAll(async () => {
    for (const s of streams) await NatsTransport.deleteStream(NATS_URL, s).catch(quiet);
    for (const app of apps) await app.close();
    await isolated?.drop();
  });

  async function serverProcess(app: YiwangApp, stream: string, options: { ackWaitMs?: number; claimMs?: number } = {}) {
    const transport = await NatsTransport.connect({ servers: NATS_URL, log: quiet, stream, subjectPrefix: `test.${stream}`, ...options });
    const dispatcher = new EventDispatcher(app.db, {
      repositoryFor: app.systemRepository,
      transport,
      pollMs: 20,
      claimMs: options.claimMs,
    });
    running.push({ dispatcher, transport });
    return { dispatcher, transport };
  }
  const newStream = () => {
    const name = `YIWANG_TEST_${randomUUID().slice(0, 8).toUpperCase()}`;
    streams.push(name);
    return name;
  };
  const bundle = (n: number) => ({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: Array.from({ length: n }, () => ({ resource: observation(), request: { method: 'POST', url: 'Observation' } })),
  });

  it('refuses to start with a clear message when NATS is unreachable', async () => {
    await expect(NatsTransport.connect({ servers: 'nats://127.0.0.1:1', log: quiet, connectTimeoutMs: 1000 })).rejects.toThrow(
      /NATS at nats:\/\/127\.0\.0\.1:1 is unreachable/,
    );
  });

  it('every event is delivered exactly once across both processes; drain waits for the other process', async () => {
    const stream = newStream();
    const admin = await adminOf(apps[0]!);
    const seen = new Map<string, string[]>();
    const procs = [await serverProcess(apps[0]!, stream), await serverProcess(apps[1]!, stream)];
    procs.forEach(({ dispatcher }, i) =>
      dispatcher.subscribe({
        name: 'nats-count',
        types: ['Observation'],
        handle: async (event) => {
          if (event.tenant !== admin.tenant) return;
          seen.set(event.seq, [...(seen.get(event.seq) ?? []), `p${i}`]);
          await new Promise((r) => setTimeout(r, 1));
        },
      }),
    );
    for (const p of procs) await p.dispatcher.start();
    // Writes arrive at both processes, as behind a load balancer.
    await Promise.all([
      admin.request('POST', '', bundle(100)),
      (await adminOf(apps[1]!, admin.tenant, admin.token)).request('POST', '', bundle(100)),
    ]);
    await procs[0]!.dispatcher.drain();
    expect(seen.size).toBe(200);
    expect([...seen.values()].filter((by) => by.length > 1)).toEqual([]);
    const byProcess = [...seen.values()].flat();
    expect(byProcess.length).toBe(200);
  });

  it('a process that dies mid-way: the events it held go to the other one', async () => {
    const stream = newStream();
    const admin = await adminOf(apps[0]!);
    const completed = { dying: new Set<string>(), survivor: new Set<string>() };
    let blocked = '';
    const dying = await serverProcess(apps[0]!, stream, { ackWaitMs: 1000, claimMs: 1000 });
    let handled = 0;
    dying.dispatcher.subscribe({
      name: 'nats-crash',
      types: ['Observation'],
      handle: async (event) => {
        if (event.tenant !== admin.tenant) return;
        // The fifth event is the one this process never finishes: it dies while handling it.
        if (++handled === 5) {
          blocked = event.seq;
          await new Promise(() => undefined);
        }
        completed.dying.add(event.seq);
      },
    });
    await dying.dispatcher.start();
    await admin.request('POST', '', bundle(60));
    await waitFor(() => blocked !== '', 10_000, 'the dying process to start');
    await dying.transport.abort();
    void dying.dispatcher.stop();
    running = running.filter((r) => r !== dying);
    const before = completed.dying.size;

    const survivor = await serverProcess(apps[1]!, stream, { ackWaitMs: 1000 });
    survivor.dispatcher.subscribe({
      name: 'nats-crash',
      types: ['Observation'],
      handle: async (event) => {
        if (event.tenant === admin.tenant) completed.survivor.add(event.seq);
      },
    });
    await survivor.dispatcher.start();
    const all = () => new Set([...completed.dying, ...completed.survivor]);
    await waitFor(() => all().size === 60, 20_000, 'all 60 events');
    await survivor.dispatcher.drain();
    expect(completed.dying.size).toBe(before); // the dead process did nothing more
    expect(completed.dying.has(blocked)).toBe(false);
    expect(completed.survivor.has(blocked)).toBe(true); // what it was handling when it died was redelivered
    expect(completed.survivor.size).toBeGreaterThan(0);
    expect(all().size).toBe(60);
  });
});
