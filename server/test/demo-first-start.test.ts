/**
 * The demo county of the first start: `yiwang serve` on an empty tenant loads it (before listening), never over
 * existing data, not with YIWANG_DEMO=0 and not in production unless asked; a load cut short is finished next time.
 * Its centre readers work out of the box: an ECG requested by the demo township doctor reaches `ecg.reader`, who
 * claims and reports it (the hospital's `county.specialist` may not), `ecg.reader2` signs, and a STEMI report goes to
 * the chest-pain team (心血管内科).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoOnFirstStart, firstStartDemo } from '../src/cli/demo.js';
import { DEMO_PASSWORD, demoMarker, demoMarkers } from '../src/demo/load.js';
import { jsonTracing } from './ecg-fixtures.js';
import { closeApps, ENGINES, sharedApp } from './helpers/db.js';

const SMALL = { YIWANG_DEMO_RESIDENTS: '30' };

describe('demo county on first start: the switch', () => {
  it('is on by default, off with YIWANG_DEMO=0, off in production and tests unless YIWANG_DEMO=1', () => {
    expect(demoOnFirstStart({}).enabled).toBe(true);
    expect(demoOnFirstStart({ NODE_ENV: 'development' }).enabled).toBe(true);
    expect(demoOnFirstStart({ YIWANG_DEMO: '0' }).enabled).toBe(false);
    expect(demoOnFirstStart({ YIWANG_DEMO: 'false' }).enabled).toBe(false);
    expect(demoOnFirstStart({ NODE_ENV: 'production' }).enabled).toBe(false);
    expect(demoOnFirstStart({ NODE_ENV: 'test' }).enabled).toBe(false);
    expect(demoOnFirstStart({ NODE_ENV: 'production', YIWANG_DEMO: '1' }).enabled).toBe(true);
  });
});

describe.each(ENGINES)('demo county on first start (%s)', (engine) => {
  afterAll(closeApps);

  const organizations = async (tenant: string) => {
    const yiwang = await sharedApp(engine);
    const r = await yiwang.db.query<{ n: number }>('SELECT count(*)::int AS n FROM "Organization" WHERE tenant = $1 AND NOT deleted', [
      tenant,
    ]);
    return r.rows[0]!.n;
  };

  it('loads into an empty tenant once', async () => {
    const yiwang = await sharedApp(engine);
    const tenant = 't-' + randomUUID();
    const result = await firstStartDemo(yiwang, SMALL, tenant);
    expect(result?.facts.residents).toBe(30);
    expect(result?.usersCreated).toContain('admin');
    expect(await organizations(tenant)).toBe(result!.facts.institutions);
    expect(await demoMarkers(yiwang.db, tenant)).toMatchObject([{ status: 'complete', seed: 1, residents: 30 }]);
    expect(await firstStartDemo(yiwang, SMALL, tenant)).toBeUndefined();
    expect(await organizations(tenant)).toBe(result!.facts.institutions);
  });

  it("lets the demo's centre readers work the ECG centre: request, claim, report, a second reader's signature", async () => {
    const yiwang = await sharedApp(engine);
    const tenant = 't-' + randomUUID();
    // 60 residents: enough for some to live in the villages of township.doctor's centre.
    expect(await firstStartDemo(yiwang, { YIWANG_DEMO_RESIDENTS: '60' }, tenant)).toBeDefined();
    const as = async (username: string) => {
      const login = await yiwang.app.inject({
        method: 'POST',
        url: '/auth/login',
        headers: { 'x-test-tenant': tenant },
        payload: { username, password: DEMO_PASSWORD },
      });
      expect(login.statusCode, `${username}: ${login.body}`).toBe(200);
      const token = (login.json() as { access_token: string }).access_token;
      return (method: 'GET' | 'POST', url: string, payload?: unknown, contentType = 'application/json') =>
        yiwang.app.inject({
          method,
          url,
          headers: { 'x-test-tenant': tenant, authorization: `Bearer ${token}`, ...(payload ? { 'content-type': contentType } : {}) },
          ...(payload ? { payload: Buffer.isBuffer(payload) ? payload : JSON.stringify(payload) } : {}),
        });
    };
    const [township, reader, reader2, specialist, radiologist] = await Promise.all(
      ['township.doctor', 'ecg.reader', 'ecg.reader2', 'county.specialist', 'radiologist'].map(as),
    );
    // The imaging centre's worklist answers its reader as the centre.
    const imaging = await radiologist!('GET', '/api/imaging/cases?view=centre&open=1');
    expect(imaging.statusCode, imaging.body).toBe(200);
    expect(imaging.json().items).toEqual([]);

    const patients = (await township!('GET', '/fhir/R4/Patient?_count=1')).json() as { entry?: { resource: { id: string } }[] };
    const patient = `Patient/${patients.entry![0]!.resource.id}`;
    const req = await township!('POST', '/api/ecg/requests', { patient, item: 'ECG-12', priority: 'stat', reason: '胸痛2小时，伴大汗' });
    expect(req.statusCode, req.body).toBe(201);
    const { serviceRequest, task } = req.json() as { serviceRequest: { id: string; performer: { reference: string }[] }; task: string };
    const tracing = await township!('POST', `/api/ecg/requests/${serviceRequest.id}/tracing`, jsonTracing());
    expect(tracing.statusCode, tracing.body).toBe(201);

    // Addressed to 心电图室, on ecg.reader's worklist as the centre.
    const centre = (await yiwang.systemRepository(tenant).read('Organization', serviceRequest.performer[0]!.reference.split('/')[1]!)) as {
      name?: string;
    };
    expect(centre.name).toBe('南川区人民医院心电图室');
    const worklist = await reader!('GET', '/api/ecg/cases?view=centre&open=1');
    expect(worklist.statusCode, worklist.body).toBe(200);
    expect(worklist.json().items.map((i: { case: { task: string } }) => i.case.task)).toEqual([task]);
    // The hospital's own specialist works above the department: not the centre, may not claim.
    expect((await specialist!('POST', `/api/ecg/cases/${task}/claim`, {})).statusCode).toBe(403);
    const claim = await reader!('POST', `/api/ecg/cases/${task}/claim`, {});
    expect(claim.statusCode, claim.body).toBe(200);
    const report = await reader!('POST', `/api/ecg/cases/${task}/report`, {
      template: 'ecg-inferior-stemi',
      findings: '窦性心律，II、III、aVF 导联 ST 段抬高。',
      impression: '急性下壁ST段抬高型心肌梗死',
      positive: true,
      conclusions: ['sinus-rhythm', 'st-elevation-inferior', 'stemi'],
    });
    expect(report.statusCode, report.body).toBe(200);
    // The chest-pain record goes to the team: 心血管内科, the demo's chest-pain centre.
    const record = report.json().chestPain as { id: string };
    const episode = (await yiwang.systemRepository(tenant).read('EpisodeOfCare', record.id)) as {
      managingOrganization?: { reference?: string };
    };
    const team = (await yiwang.systemRepository(tenant).read('Organization', episode.managingOrganization!.reference!.split('/')[1]!)) as {
      name?: string;
    };
    expect(team.name).toBe('南川区人民医院心血管内科');
    // Two readers: the reporter may not sign, the second reader does.
    expect((await reader!('POST', `/api/ecg/cases/${task}/sign`, {})).statusCode).toBe(403);
    const signed = await reader2!('POST', `/api/ecg/cases/${task}/sign`, {});
    expect(signed.statusCode, signed.body).toBe(200);
    expect(signed.json().state.code).toBe('final');
  }, 240_000);

  it('leaves a tenant with data alone', async () => {
    const yiwang = await sharedApp(engine);
    const tenant = 't-' + randomUUID();
    await yiwang.systemRepository(tenant).create({ resourceType: 'Organization', name: '某县人民医院' });
    expect(await firstStartDemo(yiwang, SMALL, tenant)).toBeUndefined();
    expect(await organizations(tenant)).toBe(1);
    expect(await demoMarkers(yiwang.db, tenant)).toEqual([]);
  });

  it('does nothing with YIWANG_DEMO=0 or in production', async () => {
    const yiwang = await sharedApp(engine);
    const tenant = 't-' + randomUUID();
    expect(await firstStartDemo(yiwang, { ...SMALL, YIWANG_DEMO: '0' }, tenant)).toBeUndefined();
    expect(await firstStartDemo(yiwang, { ...SMALL, NODE_ENV: 'production' }, tenant)).toBeUndefined();
    expect(await organizations(tenant)).toBe(0);
  });

  it('finishes a county a previous start left half loaded', async () => {
    const yiwang = await sharedApp(engine);
    const tenant = 't-' + randomUUID();
    await yiwang
      .systemRepository(tenant)
      .update('Basic', 'yiwang-demo-s9-r20', demoMarker({ seed: 9, residents: 20, today: '2026-11-23' }, 'loading'));
    const result = await firstStartDemo(yiwang, SMALL, tenant);
    expect(result?.facts.residents).toBe(20);
    expect(await demoMarkers(yiwang.db, tenant)).toMatchObject([{ status: 'complete', seed: 9, residents: 20 }]);
  });
});

describe('yiwang serve on an empty database', () => {
  it('loads the demo county before listening, and not again on the next start', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'yiwang-first-')), 'db');
    const start = async (env: Record<string, string>) => {
      const port = 19000 + Math.floor(Math.random() * 1000);
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          join(import.meta.dirname, '..', 'src', 'main.ts'),
          'serve',
          '--data-dir',
          dataDir,
          '--port',
          String(port),
          '--host',
          '127.0.0.1',
        ],
        { env: { ...process.env, LOG_LEVEL: 'info', YIWANG_DEMO_RESIDENTS: '40', YIWANG_MLLP_PORT: '0', ...env } },
      );
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const base = `http://127.0.0.1:${port}`;
      let up = false;
      for (let i = 0; i < 1200 && !up && child.exitCode === null; i++) {
        up = await fetch(`${base}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (!up) await new Promise((r) => setTimeout(r, 100));
      }
      expect(up, output).toBe(true);
      const stop = async () => {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
        return output;
      };
      return { base, stop, output: () => output };
    };

    // Vitest runs with NODE_ENV=test, where the first-start demo is off unless asked for.
    const first = await start({ YIWANG_DEMO: '1' });
    expect(first.output()).toMatch(/demo county: tenant 'default' is empty, loading \(seed 1, 40 residents\) before listening/);
    const login = await fetch(`${first.base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'village.doctor', password: DEMO_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const token = ((await login.json()) as { access_token: string }).access_token;
    const orgs = await fetch(`${first.base}/fhir/R4/Organization?_summary=count`, { headers: { authorization: `Bearer ${token}` } });
    expect(orgs.status).toBe(200);
    expect(((await orgs.json()) as { total: number }).total).toBeGreaterThan(10);
    await first.stop();

    const second = await start({ YIWANG_DEMO: '1' });
    const out = await second.stop();
    expect(out).not.toMatch(/demo county: /);
  }, 240_000);
});
