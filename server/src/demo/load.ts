/**
 * Loads the demo county into a tenant through the record store: transaction bundles of PUTs (so validation, the
 * access hooks and every write hook run as for any client), then the demo users and an OAuth2 system client.
 *
 * A marker resource (`Basic/yiwang-demo-s<seed>-r<residents>[-y<years>]`) says which county was loaded and whether loading
 * finished: a second run with the same seed and size finds it and writes nothing; an interrupted run left it at
 * `loading` and is simply run again (PUTs by id are idempotent).
 */
import type { Basic, Bundle } from '@medplum/fhirtypes';
import type { Queryable } from '../platform/db/database.js';
import { createClient, findClient, findUserByUsername, createUser, hashPassword } from '../platform/auth/index.js';
import type { Repository } from '../platform/fhir/repository.js';
import { processBundle } from '../platform/fhir/transaction.js';
import { YIWANG_TAG_SYSTEM } from './catalogues.js';
import { streamCounty, type CountyFacts } from './county.js';
import type { CountyOptions, DemoUser } from './types.js';

/**
 * The one password of every demo user (and the secret of the demo client). It is public: the demo county is for
 * trying Yiwang out, never for real data. It passes the 等保 complexity rule and contains no demo username.
 */
export const DEMO_PASSWORD = 'Yiwang@2026';
export const DEMO_CLIENT_ID = 'demo-his';
const MARKER_PREFIX = 'yiwang-demo-';
const MARKER_URL = 'urn:yiwang:demo-county';

export interface DemoProgress {
  resources: number;
  residents: number;
  bundles: number;
}

export interface LoadDemoOptions extends CountyOptions {
  /** Transaction bundles in flight at once (PostgreSQL gains from 2–4; PGlite runs one at a time anyway). */
  concurrency?: number;
  /** Write the county even when its marker says it is loaded. */
  force?: boolean;
  baseUrl?: string;
  onProgress?: (p: DemoProgress) => void;
}

export interface LoadDemoResult {
  /** True when the marker said this county was loaded already and nothing was written. */
  alreadyLoaded: boolean;
  facts: CountyFacts;
  users: DemoUser[];
  /** Names of the institutions, by Organization id (the registries only: a few hundred). */
  institutionNames: Map<string, string>;
  usersCreated: string[];
  usersExisting: string[];
  client?: { clientId: string; created: boolean };
  elapsedMs: number;
}

export interface DemoTarget {
  db: Queryable;
  repo: Repository;
  tenant: string;
}

const REGISTRY_TYPES = new Set(['Location', 'Organization', 'Practitioner', 'PractitionerRole']);
const isRegistry = (b: Bundle) => (b.entry ?? []).every((e) => REGISTRY_TYPES.has(e.resource?.resourceType ?? ''));

/** `yiwang-demo-s<seed>-r<residents>`, with `-y<years>` for more than one year of care (a different county). */
const markerId = (o: CountyOptions) => `${MARKER_PREFIX}s${o.seed}-r${o.residents}${(o.years ?? 1) > 1 ? `-y${o.years}` : ''}`;

/** The marker of a county (exported for tests that simulate an interrupted load). */
export function demoMarker(o: CountyOptions, status: 'loading' | 'complete', facts?: CountyFacts): Basic {
  const ext = (url: string, value: Record<string, unknown>) => ({ url, ...value });
  return {
    resourceType: 'Basic',
    id: markerId(o),
    meta: { tag: [{ system: YIWANG_TAG_SYSTEM, code: 'demo', display: '演示数据' }] },
    code: { coding: [{ system: YIWANG_TAG_SYSTEM, code: 'demo-county', display: '演示县数据' }], text: 'Yiwang demo county' },
    extension: [
      {
        url: MARKER_URL,
        extension: [
          ext('seed', { valueInteger: o.seed }),
          ext('residents', { valueInteger: o.residents }),
          ext('today', { valueDate: o.today ?? '2026-11-23' }),
          ...((o.years ?? 1) > 1 ? [ext('years', { valueInteger: o.years })] : []),
          ext('status', { valueCode: status }),
          ...(facts ? [ext('resources', { valueInteger: facts.resources })] : []),
        ],
      },
    ],
  };
}

/** The demo markers of a tenant with their status (empty when no demo county was ever loaded). */
export interface DemoMarker {
  id: string;
  status: string;
  seed?: number;
  residents?: number;
  today?: string;
  years?: number;
}

export async function demoMarkers(db: Queryable, tenant: string): Promise<DemoMarker[]> {
  const r = await db.query<{ id: string; content: string }>(
    `SELECT id, content FROM "Basic" WHERE tenant = $1 AND id LIKE $2 AND NOT deleted ORDER BY id`,
    [tenant, MARKER_PREFIX + '%'],
  );
  return r.rows.map((row) => {
    let basic: Basic | undefined;
    try {
      basic = JSON.parse(row.content) as Basic;
    } catch {
      // Not readable as plain JSON (e.g. stored in another form): still a marker, status unknown.
    }
    const part = (url: string) => basic?.extension?.[0]?.extension?.find((e) => e.url === url);
    return {
      id: row.id,
      status: part('status')?.valueCode ?? 'unknown',
      seed: part('seed')?.valueInteger,
      residents: part('residents')?.valueInteger,
      today: part('today')?.valueDate,
      years: part('years')?.valueInteger ?? (basic ? 1 : undefined),
    };
  });
}

/** Whether the tenant holds any institution (a county that is in use, or a demo county). */
export async function hasOrganizations(db: Queryable, tenant: string): Promise<boolean> {
  const r = await db.query('SELECT 1 FROM "Organization" WHERE tenant = $1 AND NOT deleted LIMIT 1', [tenant]);
  return r.rows.length > 0;
}

/** Creates the demo users that do not exist yet (an existing username, e.g. a bootstrap `admin`, is left alone). */
export async function ensureDemoUsers(
  db: Queryable,
  tenant: string,
  users: DemoUser[],
): Promise<{ created: string[]; existing: string[] }> {
  const created: string[] = [];
  const existing: string[] = [];
  for (const u of users) {
    if (await findUserByUsername(db, tenant, u.username)) {
      existing.push(u.username);
      continue;
    }
    await createUser(db, tenant, { ...u, password: DEMO_PASSWORD });
    created.push(u.username);
  }
  return { created, existing };
}

/** The demo HIS of the county hospital as an OAuth2 client-credentials client, with the documented demo secret. */
export async function ensureDemoClient(
  db: Queryable,
  tenant: string,
  organizationId: string,
): Promise<{ clientId: string; created: boolean }> {
  if (await findClient(db, tenant, DEMO_CLIENT_ID)) return { clientId: DEMO_CLIENT_ID, created: false };
  await createClient(db, tenant, {
    clientId: DEMO_CLIENT_ID,
    name: '南川区人民医院 HIS (demo)',
    scopes: ['system/*.cruds'],
    organizationId,
  });
  // createClient issues a random secret; the demo documents a fixed one so that it can be tried from the README.
  await db.query('UPDATE auth_client SET secret_hash = $3 WHERE tenant = $1 AND client_id = $2', [
    tenant,
    DEMO_CLIENT_ID,
    await hashPassword(DEMO_PASSWORD),
  ]);
  return { clientId: DEMO_CLIENT_ID, created: true };
}

/** Runs `work` on every item with at most `limit` in flight; stops at the first failure. */
async function pipeline<T>(items: Iterable<T>, limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  for (const item of items) {
    if (failure) break;
    const p: Promise<void> = work(item).then(
      () => void inFlight.delete(p),
      (err: unknown) => {
        inFlight.delete(p);
        failure ??= err;
      },
    );
    inFlight.add(p);
    if (inFlight.size >= limit) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
}

/** Generates and loads the demo county (streaming: memory stays flat whatever the size). */
export async function loadDemoCounty(target: DemoTarget, options: LoadDemoOptions): Promise<LoadDemoResult> {
  const started = Date.now();
  const { db, repo, tenant } = target;
  const stream = streamCounty(options);
  const id = markerId(options);
  const done = (await demoMarkers(db, tenant)).find((m) => m.id === id)?.status === 'complete';
  const ctx = { baseUrl: options.baseUrl ?? 'urn:yiwang' };
  const progress: DemoProgress = { resources: 0, residents: 0, bundles: 0 };
  const institutionNames = new Map<string, string>();
  const noteNames = (bundle: Bundle) => {
    if (!isRegistry(bundle)) return;
    for (const e of bundle.entry ?? [])
      if (e.resource?.resourceType === 'Organization') institutionNames.set(e.resource.id!, e.resource.name ?? '');
  };
  const write = async (bundle: Bundle): Promise<void> => {
    const residents = stream.facts.residents;
    await processBundle(repo, bundle, ctx);
    progress.resources += bundle.entry?.length ?? 0;
    progress.residents = Math.max(progress.residents, residents);
    progress.bundles++;
    options.onProgress?.({ ...progress });
  };

  if (done && !options.force) {
    // Users and facts come from generating without writing (cheap next to loading).
    for (const bundle of stream.bundles()) noteNames(bundle);
  } else {
    await repo.update('Basic', id, demoMarker(options, 'loading'));
    const bundles = stream.bundles();
    // Registries first and one bundle at a time: everything else refers to them.
    let next = bundles.next();
    for (; !next.done && isRegistry(next.value); next = bundles.next()) {
      noteNames(next.value);
      await write(next.value);
    }
    const rest = next.done ? [] : [next.value];
    await pipeline(
      (function* () {
        yield* rest;
        yield* bundles;
      })(),
      Math.max(1, options.concurrency ?? 1),
      write,
    );
  }
  const users = await ensureDemoUsers(db, tenant, stream.users);
  const hospital = stream.users.find((u) => u.username === 'county.specialist')?.organizationId;
  const client = hospital ? await ensureDemoClient(db, tenant, hospital) : undefined;
  if (!done || options.force) await repo.update('Basic', id, demoMarker(options, 'complete', stream.facts));
  return {
    alreadyLoaded: done && !options.force,
    facts: stream.facts,
    users: stream.users,
    institutionNames,
    usersCreated: users.created,
    usersExisting: users.existing,
    client,
    elapsedMs: Date.now() - started,
  };
}
