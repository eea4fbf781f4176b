/**
 * `yiwang demo` as an operator runs it on the embedded database: a progress line and a summary whose counts are
 * those in the database, a demo user per role who can sign in with the documented password and gets the role,
 * linked to the county's records, and a second run that writes nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type YiwangApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { DEMO_CLIENT_ID, DEMO_PASSWORD } from '../src/demo/load.js';
import { DEMO_ROLES } from '../src/demo/index.js';
import { DERIVED_TYPES, exactPart } from './helpers/derived.js';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');
const dir = mkdtempSync(join(tmpdir(), 'yiwang-demo-'));
const dataDir = join(dir, 'db');
const ARGS = ['demo', '--data-dir', dataDir, '--residents', '200', '--seed', '5', '--today', '2026-11-23'];

function yiwang(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'warn' },
    timeout: 180_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const int = (s: string) => Number(s.replace(/ /g, ''));

/** The resource counts of the summary table (the indented lines under "resources"). */
function summaryCounts(out: string): Record<string, number> {
  return Object.fromEntries([...out.matchAll(/^ {4}([A-Za-z]+) +([\d ]+)$/gm)].map((m) => [m[1]!, int(m[2]!)]));
}

function summaryValue(out: string, label: string): number {
  const m = new RegExp(`^  ${label} +([\\d ]+)`, 'm').exec(out);
  if (!m) throw new Error(`no '${label}' in:\n${out}`);
  return int(m[1]!);
}

describe('yiwang demo', () => {
  let first: ReturnType<typeof yiwang>;
  let second: ReturnType<typeof yiwang>;
  let app: YiwangApp | undefined;

  const open = async () =>
    buildApp(loadConfig({ 'data-dir': dataDir }, { LOG_LEVEL: 'silent', YIWANG_TEST_TENANT_HEADER: '1' }), { logger: false });
  const counts = async (a: YiwangApp, types: string[]) => {
    const out: Record<string, number> = {};
    for (const t of types) {
      const r = await a.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${t}" WHERE tenant = 'default' AND NOT deleted`);
      out[t] = r.rows[0]!.n;
    }
    return out;
  };
  const history = async (a: YiwangApp) =>
    (await a.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Patient_History" WHERE tenant = 'default'`)).rows[0]!.n;
  const users = async (a: YiwangApp) =>
    (await a.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM auth_user WHERE tenant = 'default'`)).rows[0]!.n;

  beforeAll(() => {
    first = yiwang(ARGS);
  }, 200_000);

  afterAll(async () => {
    await app?.close();
  });

  it('prints a progress line and a summary table', () => {
    expect(first.code, first.err).toBe(0);
    expect(first.err).toMatch(/demo county .* 100\.0% 200\/200 residents · [\d ]+ resources · [\d ]+\/s · ETA/);
    expect(first.out).toContain('Demo county 南川区 · seed 5 · 200 residents · today 2026-11-23');
    expect(summaryValue(first.out, 'residents')).toBe(200);
    for (const label of ['institutions', 'staff', 'households', 'poverty households', 'chronic patients', 'resources'])
      expect(summaryValue(first.out, label), label).toBeGreaterThanOrEqual(0);
    expect(first.out).toMatch(/^ {2}elapsed +[\d.]+ s$/m);
    expect(first.out).toMatch(/^ {2}rate +[\d ]+ resources\/s$/m);
    expect(first.out).toContain(`OAuth2 client`);
    const byType = summaryCounts(first.out);
    expect(byType['Patient']).toBe(200);
    // Charge items for the encounters (validated and stored like every other resource).
    expect(byType['ChargeItem']).toBeGreaterThan(byType['Encounter']!);
    expect(Object.values(byType).reduce((a, b) => a + b, 0)).toBe(summaryValue(first.out, 'resources'));
  });

  it('stored what the summary says, and a user per role who signs in with that role', async () => {
    app = await open();
    const byType = summaryCounts(first.out);
    const stored = await counts(app, Object.keys(byType));
    // Every resource the summary lists is stored; the modules add what they derive (the chronic-disease registry
    // enrols the demo's hypertension and diabetes patients, raised readings are flagged): at least the demo's own.
    expect(exactPart(stored)).toEqual(exactPart(byType));
    for (const t of DERIVED_TYPES.filter((t) => t in byType)) expect(stored[t], t).toBeGreaterThanOrEqual(byType[t]!);
    expect(summaryValue(first.out, 'institutions')).toBe(byType['Organization']);

    const rows = await app.db.query<{
      username: string;
      roles: string[];
      organization_id: string;
      practitioner_id: string | null;
      patient_id: string | null;
    }>(`SELECT username, roles, organization_id, practitioner_id, patient_id FROM auth_user WHERE tenant = 'default' ORDER BY username`);
    expect(new Set(rows.rows.flatMap((r) => r.roles))).toEqual(new Set(DEMO_ROLES));
    for (const u of rows.rows) {
      const login = await app.app.inject({
        method: 'POST',
        url: '/auth/login',
        headers: { 'x-test-tenant': 'default' },
        payload: { username: u.username, password: DEMO_PASSWORD },
      });
      expect(login.statusCode, `${u.username}: ${login.body}`).toBe(200);
      const me = await app.app.inject({
        method: 'GET',
        url: '/auth/me',
        headers: { 'x-test-tenant': 'default', authorization: `Bearer ${login.json().access_token}` },
      });
      expect(me.statusCode, me.body).toBe(200);
      expect(me.json().roles).toEqual(u.roles);
      // Linked to records of the county that exist.
      const exists = async (type: string, id: string) =>
        (await app!.db.query(`SELECT 1 FROM "${type}" WHERE tenant = 'default' AND id = $1`, [id])).rows.length === 1;
      expect(await exists('Organization', u.organization_id), u.username).toBe(true);
      if (u.practitioner_id) expect(await exists('Practitioner', u.practitioner_id)).toBe(true);
      if (u.patient_id) expect(await exists('Patient', u.patient_id)).toBe(true);
      if (u.roles.includes('resident')) expect(u.patient_id).toBeTruthy();
      if (u.roles.some((r) => r.endsWith('doctor') || r === 'county-specialist' || r === 'pharmacist'))
        expect(u.practitioner_id).toBeTruthy();
    }
    // The readers of the reading centres (two each: the second signs) and the consultation centre's organiser work in
    // the department that holds the centre role, not at the hospital above it.
    const orgName = async (id: string) => {
      const r = await app!.db.query<{ content: string }>(`SELECT content FROM "Organization" WHERE tenant = 'default' AND id = $1`, [id]);
      return (JSON.parse(r.rows[0]!.content) as { name: string }).name;
    };
    const centreUsers: [string, string][] = [
      ['radiologist', '医学影像科'],
      ['radiologist2', '医学影像科'],
      ['ecg.reader', '心电图室'],
      ['ecg.reader2', '心电图室'],
      ['pathologist', '病理科'],
      ['pathologist2', '病理科'],
      ['consultation.centre', '全科医学科'],
    ];
    for (const [username, dept] of centreUsers) {
      const u = rows.rows.find((r) => r.username === username);
      expect(u?.roles, username).toEqual(['county-specialist']);
      expect(await orgName(u!.organization_id), username).toBe(`南川区人民医院${dept}`);
      expect(first.out).toMatch(new RegExp(`^ {2}${username.replace('.', '\\.')} +county-specialist +\\S+ · 南川区人民医院${dept}$`, 'm'));
    }
    expect(await orgName(rows.rows.find((r) => r.username === 'county.specialist')!.organization_id)).toBe('南川区人民医院');
    const token = await app.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { 'x-test-tenant': 'default', 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=client_credentials&client_id=${DEMO_CLIENT_ID}&client_secret=${encodeURIComponent(DEMO_PASSWORD)}`,
    });
    expect(token.statusCode, token.body).toBe(200);
    expect(token.json().access_token).toBeTruthy();
  });

  it('writes nothing the second time, and --force rewrites the same resources without duplicates', async () => {
    const types = Object.keys(summaryCounts(first.out));
    const before = { counts: await counts(app!, types), history: await history(app!), users: await users(app!) };
    await app!.close();
    app = undefined;
    second = yiwang(ARGS);
    expect(second.code, second.err).toBe(0);
    expect(second.out).toMatch(/^ {2}written +0 \(already loaded/m);
    expect(second.out).toMatch(/^ {2}users already there +.*village\.doctor/m);
    expect(summaryCounts(second.out)).toEqual(summaryCounts(first.out));
    app = await open();
    expect({ counts: await counts(app, types), history: await history(app), users: await users(app) }).toEqual(before);
    await app.close();
    app = undefined;

    const forced = yiwang([...ARGS, '--force']);
    expect(forced.code, forced.err).toBe(0);
    expect(forced.out).toMatch(/^ {2}users created +0$/m);
    app = await open();
    expect(await counts(app, types)).toEqual(before.counts);
    expect(await users(app)).toBe(before.users);
  }, 240_000);

  it('loads more years of care with --years, as a county of its own', async () => {
    await app?.close();
    app = undefined;
    const run = yiwang(['demo', '--data-dir', dataDir, '--residents', '40', '--seed', '5', '--years', '3', '--today', '2026-11-23']);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toContain('Demo county 南川区 · seed 5 · 40 residents · 3 years of care · today 2026-11-23');
    const byType = summaryCounts(run.out);
    expect(byType['Coverage']).toBeGreaterThan(100);
    expect(summaryValue(run.out, 'resources') / 40).toBeGreaterThan(15);
    app = await open();
    const marker = await app.db.query(`SELECT 1 FROM "Basic" WHERE tenant = 'default' AND id = 'yiwang-demo-s5-r40-y3'`);
    expect(marker.rows).toHaveLength(1);
  }, 200_000);

  it('rejects bad options', () => {
    const bad = yiwang(['demo', '--data-dir', dataDir, '--residents', 'many']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('--residents must be an integer');
    for (const years of ['0', '21', 'two']) {
      const r = yiwang(['demo', '--data-dir', dataDir, '--years', years]);
      expect(r.code, years).toBe(1);
      expect(r.err, years).toMatch(/--years must be/);
    }
  });
});
