/**
 * Support for the event tests: apps on a database of their own. The shared test apps of other suites run their
 * dispatchers on the run's one PostgreSQL database, and a dispatcher takes any committed event it finds: a test that
 * counts deliveries must not share its outbox with them. A PGlite app is always alone in its memory.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { buildApp, type BuildOptions, type YiwangApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { signIn, type Engine } from './helpers/db.js';

const ADMIN_URL = process.env.TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const PREFIX = 'yiwang_evtest_';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface IsolatedDatabase {
  /** DATABASE_URL of the new database (undefined for PGlite: in memory, per app). */
  url: string | undefined;
  drop(): Promise<void>;
}

/** A fresh PostgreSQL database for one suite (dropped by `drop`), or nothing to do for PGlite. */
export async function isolatedDatabase(engine: Engine): Promise<IsolatedDatabase> {
  if (engine === 'pglite') return { url: undefined, drop: async () => undefined };
  // Not under the run's 'yiwang_test_' prefix: the global setup of every run drops those it cannot tie to a live pid.
  const name = `${PREFIX}${process.pid}_${randomUUID().slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const leftovers = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE starts_with(datname, '${PREFIX}')`);
  for (const { datname } of leftovers.rows) {
    const pid = Number(datname.slice(PREFIX.length).split('_')[0]);
    if (Number.isInteger(pid) && !alive(pid)) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  }
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  return {
    url: ADMIN_URL.replace(/\/[^/]*$/, `/${name}`),
    drop: async () => {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

/** An app on the given database (PGlite in memory when `url` is undefined); background loops off unless asked. */
export function appOn(url: string | undefined, options: BuildOptions = {}, env: Record<string, string> = {}): Promise<YiwangApp> {
  const config = loadConfig(
    {},
    {
      ...(url ? { DATABASE_URL: url } : { YIWANG_MEMORY: '1' }),
      YIWANG_BASE_URL: 'http://yiwang.test/fhir/R4',
      LOG_LEVEL: 'silent',
      YIWANG_TEST_TENANT_HEADER: '1',
      ...env,
    },
  );
  return buildApp(config, { logger: false, background: false, ...options });
}

export interface Caller {
  tenant: string;
  token: string;
  request(method: string, url: string, body?: unknown): Promise<{ statusCode: number; body: string; json(): any }>;
}

/** An administrator of a fresh tenant of `yiwang` (or of `tenant`, signed in with `existingToken`), calling through `inject`. */
export async function adminOf(yiwang: YiwangApp, tenant = 't-' + randomUUID(), existingToken?: string): Promise<Caller> {
  const token = existingToken ?? (await signIn(yiwang, tenant, { roles: ['admin'], username: 'admin' }));
  return {
    tenant,
    token,
    request: async (method, url, body) => {
      const res = await yiwang.app.inject({
        method: method as 'GET',
        url: url.startsWith('/') ? url : `/fhir/R4/${url}`,
        headers: {
          'x-test-tenant': tenant,
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'content-type': url.startsWith('/') ? 'application/json' : 'application/fhir+json' } : {}),
        },
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
      });
      return res as unknown as { statusCode: number; body: string; json(): any };
    },
  };
}

export const observation = (code = '2823-3', value = 4.2, patient = 'Patient/p1') => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code }] },
  subject: { reference: patient },
  valueQuantity: { value, unit: 'mmol/L' },
});

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local HTTP endpoint that records requests; `status` decides the answer (a dead endpoint answers 503). */
export async function hookServer(): Promise<{ url: string; received: Received[]; status: number; close(): Promise<void>; server: Server }> {
  const state = {
    url: '',
    received: [] as Received[],
    status: 200,
    server: undefined as unknown as Server,
    close: async () => undefined as void,
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(state.status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.server = server;
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((r) => server.close(() => r()));
  return state;
}
