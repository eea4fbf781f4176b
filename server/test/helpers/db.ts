/**
 * Test databases: every suite runs against the embedded PGlite and against the PostgreSQL server
 * (TEST_DATABASE_URL, default the local 'test' database). Each test app gets a fresh tenant, so tests
 * never truncate tables and never see each other's data.
 */
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, type YiwangApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type Engine = 'pglite' | 'postgres';
export const ENGINES: Engine[] = (process.env.TEST_ENGINES?.split(',') as Engine[] | undefined) ?? ['pglite', 'postgres'];

const shared = new Map<Engine, Promise<YiwangApp>>();

/** One app per engine per test file (PGlite migration takes ~2 s); a fresh tenant per call of `tenantApp`. */
export function sharedApp(engine: Engine): Promise<YiwangApp> {
  let app = shared.get(engine);
  if (!app) {
    const config = loadConfig(
      {},
      {
        ...(engine === 'postgres' ? { DATABASE_URL: POSTGRES_URL } : { YIWANG_MEMORY: '1' }),
        YIWANG_BASE_URL: 'http://yiwang.test/fhir/R4',
        YIWANG_BODY_LIMIT: String(2 * 1024 * 1024),
        LOG_LEVEL: 'silent',
        YIWANG_TEST_TENANT_HEADER: '1',
        YIWANG_IMPORT_DIRS: tmpdir(),
      },
    );
    app = buildApp(config, { logger: false });
    shared.set(engine, app);
  }
  return app;
}

export async function closeApps(): Promise<void> {
  for (const app of shared.values()) await (await app).close();
  shared.clear();
}

export interface TestClient {
  tenant: string;
  yiwang: YiwangApp;
  request(
    method: string,
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse & { json<T = any>(): T }>;
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
}

/** A client whose requests run in their own tenant (the X-Test-Tenant header is honoured in test builds only). */
export async function testClient(engine: Engine): Promise<TestClient> {
  const yiwang = await sharedApp(engine);
  const tenant = 't-' + randomUUID();
  const app: FastifyInstance = yiwang.app;
  const request = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const opts: InjectOptions = {
      method: method as InjectOptions['method'],
      url: url.startsWith('/') ? url : `/fhir/R4/${url}`,
      headers: { 'x-test-tenant': tenant, ...(body !== undefined ? { 'content-type': 'application/fhir+json' } : {}), ...headers },
    };
    if (body !== undefined) opts.payload = typeof body === 'string' ? body : JSON.stringify(body);
    return app.inject(opts) as Promise<LightMyRequestResponse & { json<T = any>(): T }>;
  };
  return { tenant, yiwang, request, get: (url, headers) => request('GET', url, undefined, headers) };
}
