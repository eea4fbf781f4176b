/** Calls of Yiwang's JSON API (/api/…) from tests, and counts of what a tenant holds. */
import type { TestClient } from './db.js';

export const JSON_HEADERS = { 'content-type': 'application/json' };

/** POST with a JSON body (default `{}`). */
export function postJson(c: TestClient, url: string, body: unknown = {}) {
  return c.request('POST', url, body, JSON_HEADERS);
}

/** The cases of a reading centre (/api/<centre>/cases): a case's page, its state code, and its actions. */
export function readingCases(centre: 'imaging' | 'ecg' | 'pathology') {
  const url = (task: string, path = '') => `/api/${centre}/cases/${task}${path}`;
  const detail = async (c: TestClient, task: string) => (await c.get(url(task))).json();
  return {
    url,
    detail,
    state: async (c: TestClient, task: string) => (await detail(c, task)).state.code as string,
    /** POST /api/<centre>/cases/<task>/<action> (claim, release, qc-reject, report, return, sign, amend, …). */
    act: (c: TestClient, task: string, action: string, body: Record<string, unknown> = {}) => postJson(c, url(task, `/${action}`), body),
  };
}

/** A body builder: the defaults with the test's overrides on top (a report, a request…). */
export function withDefaults(defaults: Record<string, unknown>) {
  return (overrides: Record<string, unknown> = {}) => ({ ...defaults, ...overrides });
}

/** The statuses of the report versions in an answer of a reading case (newest first). */
export function versionStatuses(res: { json(): any }): string[] {
  return res.json().reportVersions.map((v: { status: string }) => v.status);
}

/**
 * Rows per resource type in the client's tenant, read from the database (deleted ones too, so "nothing written" means
 * nothing at all): `{ tasks: 'Task', requests: 'ServiceRequest' }` → `{ tasks: 3, requests: 2 }`.
 */
export async function resourceCounts<K extends string>(c: TestClient, types: Record<K, string>): Promise<Record<K, number>> {
  const entries = Object.entries(types) as [K, string][];
  for (const [, type] of entries) if (!/^[A-Z][A-Za-z]+$/.test(type)) throw new Error(`not a resource type: ${type}`);
  const columns = entries.map(([, type], i) => `(SELECT count(*) FROM "${type}" WHERE tenant = $1) AS c${i}`).join(', ');
  const [row] = await c.yiwang.systemRepository(c.tenant).query<Record<string, string | number>>(`SELECT ${columns}`, [c.tenant]);
  return Object.fromEntries(entries.map(([key], i) => [key, Number(row![`c${i}`])])) as Record<K, number>;
}
