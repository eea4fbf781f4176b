/**
 * Events on PostgreSQL: throughput of the outbox dispatcher and the latency from a result's write to the
 * responsible doctor's notification, with the in-process transport and with NATS JetStream.
 *
 *   cd /work/main/server && npx tsx ../bench/events.ts [--events 20000] [--samples 400] [--rate 20] [--skip-nats]
 *
 * Throughput: `--events` Observations are written as transaction bundles of 500 through the FHIR API while no
 * dispatcher runs; then a dispatcher with a no-op handler (and the platform's Subscription handler, always there)
 * starts and the time until every event was delivered gives events/s.
 * Latency: `--samples` Observations are POSTed one by one at `--rate` per second while the dispatcher runs; a
 * handler reads each one and sends a notification to its doctor (stored in the inbox, pushed live), and a
 * listener on the notifier (what the SSE stream of /api/inbox/stream uses) stops the clock. The server and the
 * benchmark run in one process here, so the memory figure is of both.
 */
import { randomUUID } from 'node:crypto';
import { buildApp, type YiwangApp } from '../server/src/app.js';
import { loadConfig } from '../server/src/config.js';
import { createUser } from '../server/src/platform/auth/index.js';
import { EventDispatcher, type EventTransport } from '../server/src/platform/events/dispatcher.js';
import { NatsTransport } from '../server/src/platform/events/nats.js';
import type { EventHandler } from '../server/src/platform/events/types.js';
import { arg, ensureDatabase, summarize, writeResult } from './lib.js';

const EVENTS = arg('events', 20_000);
const SAMPLES = arg('samples', 400);
const RATE = arg('rate', 20);
const SKIP_NATS = process.argv.includes('--skip-nats');
const NATS_URL = process.env.YIWANG_NATS_URL ?? 'nats://127.0.0.1:4222';
const BUNDLE = 500;

let peakRss = 0;
const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
const rssTimer = setInterval(sampleRss, 100);

const observation = (marker: string, value = 4.2) => ({
  resourceType: 'Observation',
  status: 'final',
  identifier: [{ system: 'urn:bench', value: marker }],
  code: { coding: [{ system: 'http://loinc.org', code: '2823-3', display: 'Potassium' }] },
  subject: { reference: 'Patient/bench' },
  valueQuantity: { value, unit: 'mmol/L' },
});

async function adminToken(yiwang: YiwangApp, tenant: string): Promise<string> {
  const user = await createUser(yiwang.db, tenant, {
    username: `bench-${randomUUID().slice(0, 6)}`,
    password: 'Bench-Yiwang-2026!',
    roles: ['admin'],
  });
  return (await yiwang.auth.openSession(user)).response.access_token;
}

function client(yiwang: YiwangApp, tenant: string, token: string) {
  return async (method: 'GET' | 'POST', url: string, body?: unknown) => {
    const res = await yiwang.app.inject({
      method,
      url: `/fhir/R4/${url}`,
      headers: { 'x-test-tenant': tenant, authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
      ...(body ? { payload: JSON.stringify(body) } : {}),
    });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
    return res.json() as { id?: string };
  };
}

async function transportFor(kind: 'in-process' | 'nats', stream: string): Promise<EventTransport | undefined> {
  if (kind === 'in-process') return undefined;
  return NatsTransport.connect({ servers: NATS_URL, log: (m, e) => console.error(m, e), stream, subjectPrefix: `bench.${stream}` });
}

async function throughput(
  yiwang: YiwangApp,
  kind: 'in-process' | 'nats',
): Promise<{ events: number; seconds: number; perSecond: number; writePerSecond: number }> {
  const tenant = `bench-${randomUUID().slice(0, 8)}`;
  const request = client(yiwang, tenant, await adminToken(yiwang, tenant));
  const t0 = performance.now();
  for (let b = 0; b < EVENTS / BUNDLE; b++) {
    await request('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: Array.from({ length: BUNDLE }, (_, i) => ({
        resource: observation(`${b}-${i}`),
        request: { method: 'POST', url: 'Observation' },
      })),
    });
  }
  const writeSeconds = (performance.now() - t0) / 1000;
  const stream = `YIWANG_BENCH_${randomUUID().slice(0, 8).toUpperCase()}`;
  const transport = await transportFor(kind, stream);
  const dispatcher = new EventDispatcher(yiwang.db, { repositoryFor: yiwang.systemRepository, transport });
  let seen = 0;
  const noop: EventHandler = {
    name: 'bench-noop',
    types: '*',
    handle: async (event) => {
      if (event.tenant === tenant) seen++;
    },
  };
  dispatcher.subscribe(noop);
  dispatcher.subscribe(yiwang.subscriptions.handler);
  const t1 = performance.now();
  await dispatcher.start();
  await dispatcher.drain(600_000);
  const seconds = (performance.now() - t1) / 1000;
  await dispatcher.stop();
  if (kind === 'nats') await NatsTransport.deleteStream(NATS_URL, stream);
  if (seen !== EVENTS) throw new Error(`delivered ${seen} of ${EVENTS}`);
  return {
    events: EVENTS,
    seconds: +seconds.toFixed(2),
    perSecond: Math.round(EVENTS / seconds),
    writePerSecond: Math.round(EVENTS / writeSeconds),
  };
}

async function latency(yiwang: YiwangApp, kind: 'in-process' | 'nats') {
  const tenant = `bench-${randomUUID().slice(0, 8)}`;
  const request = client(yiwang, tenant, await adminToken(yiwang, tenant));
  const stream = `YIWANG_BENCH_${randomUUID().slice(0, 8).toUpperCase()}`;
  const transport = await transportFor(kind, stream);
  const dispatcher = new EventDispatcher(yiwang.db, { repositoryFor: yiwang.systemRepository, transport });
  const doctor = 'Practitioner/bench-doctor';
  // What a critical-value module does: read the result, notify the doctor who ordered it.
  dispatcher.subscribe({
    name: 'bench-notify',
    types: ['Observation'],
    actions: ['create'],
    handle: async (event, { repository }) => {
      if (event.tenant !== tenant) return;
      const obs = (await repository.read('Observation', event.id)) as { identifier?: { value?: string }[] };
      const marker = obs.identifier?.[0]?.value ?? '';
      await yiwang.notifier.send({
        tenant,
        recipient: doctor,
        category: 'critical-value',
        priority: 'routine',
        title: '危急值 K+',
        body: marker,
        focus: `Observation/${event.id}`,
        dedupKey: `bench-${event.id}`,
      });
    },
  });
  dispatcher.subscribe(yiwang.subscriptions.handler);
  await dispatcher.start();
  const sentAt = new Map<string, number>();
  const times: number[] = [];
  const unlisten = yiwang.notifier.listen(tenant, [doctor], (n) => {
    const t = sentAt.get(n.body);
    if (t !== undefined) times.push(performance.now() - t);
  });
  const gap = 1000 / RATE;
  const start = performance.now();
  const posts: Promise<unknown>[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const due = start + i * gap;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const marker = `lat-${i}`;
    sentAt.set(marker, performance.now());
    posts.push(request('POST', 'Observation', observation(marker, 6.9)));
  }
  await Promise.all(posts);
  const until = Date.now() + 30_000;
  while (times.length < SAMPLES && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  unlisten();
  await dispatcher.stop();
  if (kind === 'nats') await NatsTransport.deleteStream(NATS_URL, stream);
  const s = summarize(times);
  return { samples: s.n, of: SAMPLES, p50Ms: +s.p50.toFixed(1), p99Ms: +s.p99.toFixed(1), meanMs: +s.mean.toFixed(1), ratePerSecond: RATE };
}

async function main(): Promise<void> {
  const url = await ensureDatabase('yiwang_bench_events', true);
  const config = loadConfig(
    {},
    { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn', YIWANG_TEST_TENANT_HEADER: '1', NODE_ENV: 'development' },
  );
  // The app's own loops are off: each measurement runs a dispatcher of its own (and never two at once).
  const yiwang = await buildApp(config, { logger: false, background: false });
  const result: Record<string, unknown> = { date: new Date().toISOString(), events: EVENTS, samples: SAMPLES, rate: RATE };
  for (const kind of SKIP_NATS ? (['in-process'] as const) : (['in-process', 'nats'] as const)) {
    const t = await throughput(yiwang, kind);
    console.log(`${kind}: ${t.events} events written at ${t.writePerSecond}/s, dispatched in ${t.seconds} s → ${t.perSecond} events/s`);
    const l = await latency(yiwang, kind);
    console.log(`${kind}: write → notification p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms (${l.samples}/${l.of} at ${RATE}/s)`);
    result[kind] = { throughput: t, latency: l };
  }
  sampleRss();
  result.peakRssMb = Math.round(peakRss / 1024 / 1024);
  console.log(`peak RSS (server and benchmark in one process): ${result.peakRssMb} MB`);
  console.log(`written to ${writeResult('events', result)}`);
  clearInterval(rssTimer);
  await yiwang.close();
}

await main();
