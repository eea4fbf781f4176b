/**
 * Test databases: every suite runs against the embedded PGlite and against the PostgreSQL server
 * (TEST_DATABASE_URL, default the local 'test' database). Each test app gets a fresh tenant, so tests
 * never truncate tables and never see each other's data.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { tmpdir } from 'node:os';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, type YiwangApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createUser, hashPassword } from '../../src/platform/auth/index.js';
import type { Clock } from '../../src/platform/clock.js';

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type Engine = 'pglite' | 'postgres';
export const ENGINES: Engine[] = (process.env.TEST_ENGINES?.split(',') as Engine[] | undefined) ?? ['pglite', 'postgres'];

const shared = new Map<Engine, Promise<YiwangApp>>();

/** The configuration of a test app on `engine` (PostgreSQL: the test database; PGlite: in memory). */
export function testConfig(engine: Engine, pgliteDir?: string) {
  return loadConfig(
    {},
    {
      ...(engine === 'postgres' ? { DATABASE_URL: POSTGRES_URL } : pgliteDir ? { YIWANG_DATA_DIR: pgliteDir } : { YIWANG_MEMORY: '1' }),
      YIWANG_BASE_URL: 'http://yiwang.test/fhir/R4',
      YIWANG_BODY_LIMIT: String(2 * 1024 * 1024),
      LOG_LEVEL: 'silent',
      YIWANG_TEST_TENANT_HEADER: '1',
      YIWANG_IMPORT_DIRS: tmpdir(),
    },
  );
}

/** One app per engine per test file (PGlite migration takes ~2 s); a fresh tenant per call of `tenantApp`. */
export function sharedApp(engine: Engine): Promise<YiwangApp> {
  let app = shared.get(engine);
  if (!app) {
    app = buildApp(testConfig(engine), { logger: false });
    shared.set(engine, app);
  }
  return app;
}

/**
 * An app of its own (the caller closes it) with a ManualClock and no background loops, for tests that move time and
 * run the scheduler by hand (`yiwang.scheduler.runDue()`). A restart: on PostgreSQL, a second app shares the database;
 * on PGlite, give a data directory (`pgliteDir`) and build again on it after closing the first.
 */
export async function clockedApp(engine: Engine, clock: Clock, pgliteDir?: string): Promise<YiwangApp> {
  const config = testConfig(engine, pgliteDir);
  if (engine === 'postgres') config.databaseUrl = await clockedDatabaseUrl();
  return buildApp(config, { logger: false, clock, background: false });
}

let clockedDatabase: Promise<string> | undefined;

/**
 * Apps on a ManualClock get a PostgreSQL database of their own (one per test worker, so a "restart" in a test finds
 * the first app's data): in the run's shared database the background dispatcher and scheduler of another worker's
 * app would deliver their events and run their timed jobs on the real clock. Named like the run's database, so the
 * next run's global setup drops it once this worker is gone.
 */
function clockedDatabaseUrl(): Promise<string> {
  clockedDatabase ??= (async () => {
    const name = `yiwang_test_${process.pid}`;
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    try {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (!exists.rowCount) await admin.query(`CREATE DATABASE "${name}"`);
    } finally {
      await admin.end();
    }
    return POSTGRES_URL.replace(/\/[^/]*$/, `/${name}`);
  })();
  return clockedDatabase;
}

/** A client of `yiwang` signed in as an administrator of `tenant` (default: a fresh tenant). */
export async function adminClient(yiwang: YiwangApp, tenant = 't-' + randomUUID()): Promise<TestClient> {
  return clientFor(yiwang, tenant, await signIn(yiwang, tenant, { roles: ['admin'], username: 'admin-' + randomUUID().slice(0, 6) }));
}

export async function closeApps(): Promise<void> {
  for (const app of shared.values()) await (await app).close();
  shared.clear();
}

export interface TestUser {
  roles: string[];
  username?: string;
  organizationId?: string;
  practitionerId?: string;
  patientId?: string;
}

export interface TestClient {
  tenant: string;
  yiwang: YiwangApp;
  /** The bearer token every request carries (pass `authorization: ''` to send none). */
  token: string;
  request(
    method: string,
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse & { json<T = any>(): T }>;
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** A client of the same tenant signed in as another user (created on the fly). */
  as(user: TestUser): Promise<TestClient>;
}

/** Test users share one scrypt hash, computed once per process: creating a user then costs one INSERT. */
export const TEST_PASSWORD = 'Test-Yiwang-2026!';
let testHash: Promise<string> | undefined;

/** Creates a user in the tenant and opens a session for it, without the cost of a password login. */
export async function signIn(yiwang: YiwangApp, tenant: string, user: TestUser): Promise<string> {
  testHash ??= hashPassword(TEST_PASSWORD);
  const record = await createUser(yiwang.db, tenant, {
    username: user.username ?? `u-${randomUUID().slice(0, 8)}`,
    password: TEST_PASSWORD,
    passwordHash: await testHash,
    roles: user.roles,
    organizationId: user.organizationId,
    practitionerId: user.practitionerId,
    patientId: user.patientId,
  });
  return (await yiwang.auth.openSession(record)).response.access_token;
}

function clientFor(yiwang: YiwangApp, tenant: string, token: string): TestClient {
  const app: FastifyInstance = yiwang.app;
  const request = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const all: Record<string, string> = {
      'x-test-tenant': tenant,
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/fhir+json' } : {}),
      ...headers,
    };
    if (all.authorization === '') delete all.authorization;
    const opts: InjectOptions = {
      method: method as InjectOptions['method'],
      url: url.startsWith('/') ? url : `/fhir/R4/${url}`,
      headers: all,
    };
    if (body !== undefined) opts.payload = typeof body === 'string' ? body : JSON.stringify(body);
    return app.inject(opts) as Promise<LightMyRequestResponse & { json<T = any>(): T }>;
  };
  return {
    tenant,
    yiwang,
    token,
    request,
    get: (url, headers) => request('GET', url, undefined, headers),
    as: async (user) => clientFor(yiwang, tenant, await signIn(yiwang, tenant, user)),
  };
}

/**
 * A client whose requests run in their own tenant (the X-Test-Tenant header is honoured in test builds only),
 * signed in as an administrator of that tenant.
 */
export async function testClient(engine: Engine): Promise<TestClient> {
  const yiwang = await sharedApp(engine);
  const tenant = 't-' + randomUUID();
  return clientFor(yiwang, tenant, await signIn(yiwang, tenant, { roles: ['admin'], username: 'admin' }));
}
