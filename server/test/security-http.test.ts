/**
 * Security through HTTP, as a client meets it: every route needs a token (route inventory), bad tokens
 * get 401, missing scopes 403, one resident cannot reach another by id, search, _include, history or
 * $everything, break-glass needs a role and a reason, identity fields are masked per role, and every
 * access to personal data lands in the audit trail (which the resident can read as "who accessed me").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../src/platform/auth/index.js';
import { signToken } from '../src/platform/auth/token.js';
import { computeCheckCharacter } from '../src/platform/identity/id-number.js';
import { RESIDENT_ID_SYSTEM } from '../src/platform/identity/empi/person.js';
import { closeApps, ENGINES, testClient, type TestClient } from './helpers/db.js';

afterAll(closeApps);

const idNumber = (first17: string): string => first17 + computeCheckCharacter(first17);
const ID_P1 = idNumber('50011919800101123');
const ID_P2 = idNumber('50011919751231456');

/** Routes reachable without a token: exactly these (a new public route must be added here on purpose). */
const PUBLIC_ROUTES = [
  'GET /healthz',
  'GET /readyz',
  'POST /auth/login',
  'POST /auth/logout',
  'POST /auth/refresh',
  'POST /oauth2/token',
  'GET /fhir/R4/.well-known/smart-configuration',
  // The web app's static files and its single-page fallback (no data: every API call needs a token).
  'GET /*',
];

const ids = (res: { json(): any }): string[] =>
  (res.json().entry ?? []).map((e: any) => `${e.resource.resourceType}/${e.resource.id}`).sort();

describe.each(ENGINES)('security over HTTP (%s)', (engine) => {
  let admin: TestClient;

  beforeAll(async () => {
    admin = await testClient(engine);
    const put = async (resource: any) => {
      const res = await admin.request('PUT', `${resource.resourceType}/${resource.id}`, resource);
      expect(res.statusCode, res.body).toBeLessThan(300);
    };
    const org = (id: string, name: string, partOf?: string) =>
      put({ resourceType: 'Organization', id, name, ...(partOf ? { partOf: { reference: `Organization/${partOf}` } } : {}) });
    await org('C', '南川区卫生健康委员会');
    await org('H', '南川区人民医院', 'C');
    await org('T1', '大观镇卫生院', 'C');
    await org('V1', '大观镇金龙村卫生室', 'T1');
    await org('T2', '南平镇卫生院', 'C');
    await org('V3', '南平镇文家村卫生室', 'T2');
    const patient = (id: string, managing: string, idNo: string, name: string) =>
      put({
        resourceType: 'Patient',
        id,
        identifier: [{ system: RESIDENT_ID_SYSTEM, value: idNo }],
        name: [{ text: name }],
        telecom: [{ system: 'phone', value: '13812345678' }],
        address: [{ line: ['金龙村3组12号'], city: '重庆市', district: '南川区' }],
        managingOrganization: { reference: `Organization/${managing}` },
      });
    await patient('p1', 'V1', ID_P1, '张秀英');
    await patient('p2', 'V3', ID_P2, '李建国');
    const obs = (id: string, pid: string) =>
      put({
        resourceType: 'Observation',
        id,
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
        subject: { reference: `Patient/${pid}` },
        valueQuantity: { value: 150, unit: 'mm[Hg]' },
      });
    await obs('o1', 'p1');
    await obs('o2', 'p2');
    // The county's insurance bureau (here the commission C) covers p1: that is what puts p1 in its catchment.
    await put({
      resourceType: 'Coverage',
      id: 'cov1',
      status: 'active',
      beneficiary: { reference: 'Patient/p1' },
      payor: [{ reference: 'Organization/C' }],
    });
  });

  it('requires a token on every route except login, health and metadata (route inventory)', async () => {
    const routes = admin.yiwang.routes.filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS');
    expect(routes.length).toBeGreaterThan(15);
    expect(
      routes
        .filter((r) => r.public)
        .map((r) => `${r.method} ${r.url}`)
        .sort(),
    ).toEqual([...PUBLIC_ROUTES].sort());
    for (const r of routes.filter((x) => !x.public)) {
      const url = r.url.replace(/:[A-Za-z]+/g, 'x').replace(/\*$/, 'Patient');
      const res = await admin.request(r.method, url, r.method === 'GET' || r.method === 'DELETE' ? undefined : {}, { authorization: '' });
      expect(res.statusCode, `${r.method} ${url}`).toBe(401);
    }
    expect((await admin.request('GET', 'metadata', undefined, { authorization: '' })).statusCode).toBe(200);
    expect((await admin.request('GET', '/healthz', undefined, { authorization: '' })).statusCode).toBe(200);
    const meta = (await admin.request('GET', 'metadata', undefined, { authorization: '' })).json();
    expect(meta.rest[0].security.service[0].coding[0].code).toBe('SMART-on-FHIR');
    const smart = await admin.request('GET', '.well-known/smart-configuration', undefined, { authorization: '' });
    expect(smart.statusCode).toBe(200);
    expect(smart.json()).toMatchObject({
      token_endpoint: expect.stringMatching(/\/oauth2\/token$/),
      grant_types_supported: ['client_credentials'],
    });
  });

  it('refuses missing, malformed, tampered, expired, wrong-audience and other-county tokens with 401', async () => {
    const none = await admin.request('GET', 'Patient/p1', undefined, { authorization: '' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(none.json().resourceType).toBe('OperationOutcome');
    expect(none.json().issue[0].code).toBe('login');
    expect((await admin.get('Patient/p1', { authorization: 'Bearer not-a-token' })).statusCode).toBe(401);
    expect((await admin.get('Patient/p1', { authorization: `Basic ${admin.token}` })).statusCode).toBe(401);

    const [h, payload, sig] = admin.token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, roles: ['admin', 'system'] })).toString('base64url');
    expect((await admin.get('Patient/p1', { authorization: `Bearer ${h}.${forged}.${sig}` })).statusCode).toBe(401);

    const key = (admin.yiwang.auth as unknown as { config: { tokenKey: Buffer } }).config.tokenKey;
    const now = Math.floor(Date.now() / 1000);
    const expired = signToken({ ...claims, iat: now - 3600, exp: now - 60 }, key);
    expect((await admin.get('Patient/p1', { authorization: `Bearer ${expired}` })).statusCode).toBe(401);
    const otherAudience = signToken({ ...claims, aud: 'another-system' }, key);
    expect((await admin.get('Patient/p1', { authorization: `Bearer ${otherAudience}` })).statusCode).toBe(401);
    // A valid token of one county is refused by another county.
    const other = await testClient(engine);
    expect((await other.get('Patient/p1', { authorization: `Bearer ${admin.token}` })).statusCode).toBe(401);
    const ok = await admin.get('Patient/p1');
    expect(ok.statusCode).toBe(200);
    // A signed-in caller's answers must never be served from a cache to someone else.
    expect(ok.headers['cache-control']).toBe('no-store');
  });

  it('answers 403 with an OperationOutcome when the token lacks the scope', async () => {
    const { client, clientSecret } = await createClient(admin.yiwang.db, admin.tenant, { scopes: ['system/Observation.rs'] });
    const tokenRes = await admin.request(
      'POST',
      '/oauth2/token',
      JSON.stringify({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: clientSecret }),
      { 'content-type': 'application/json', authorization: '' },
    );
    expect(tokenRes.statusCode).toBe(200);
    const auth = { authorization: `Bearer ${tokenRes.json().access_token}` };
    expect((await admin.get('Observation/o1', auth)).statusCode).toBe(200);
    const denied = await admin.get('Patient/p1', auth);
    expect(denied.statusCode).toBe(403);
    expect(denied.json().issue[0].details.text).toMatch(/scopes do not allow read on Patient/);
    const write = await admin.request('POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'x' } }, auth);
    expect(write.statusCode).toBe(403);
    // Included resources of a type outside the scopes are left out, not leaked.
    const inc = await admin.get('Observation?_include=Observation:subject', auth);
    expect(ids(inc)).toEqual(['Observation/o1', 'Observation/o2']);
    // Bulk export needs whole-county rights: a scope-limited client may not start one.
    expect((await admin.get('$export', { ...auth, prefer: 'respond-async' })).statusCode).toBe(403);
  });

  it('keeps one resident out of another resident’s record, by every path, and audits the attempts', async () => {
    const r1 = await admin.as({ roles: ['resident'], patientId: 'p1', username: 'resident.p1' });
    expect((await r1.get('Patient/p1')).statusCode).toBe(200);
    expect((await r1.get('Patient/p2')).statusCode).toBe(404);
    expect((await r1.get('Patient/p2/_history')).statusCode).toBe(404);
    expect((await r1.get('Patient/p2/$everything')).statusCode).toBe(404);
    expect(ids(await r1.get('Observation?subject=Patient/p2'))).toEqual([]);
    expect(ids(await r1.get('Observation?_include=Observation:subject'))).toEqual(['Observation/o1', 'Patient/p1']);
    expect(ids(await r1.get('Patient?name=李建国'))).toEqual([]);
    expect(ids(await r1.get(`Patient?identifier=${encodeURIComponent(`${RESIDENT_ID_SYSTEM}|${ID_P2}`)}`))).toEqual([]);
    // Injection in a search value is a value, never SQL.
    expect(ids(await r1.get(`Patient?name=${encodeURIComponent("' OR 1=1 --")}`))).toEqual([]);
    expect(ids(await r1.get(`Patient?_id=${encodeURIComponent("p2') OR ('a'='a")}`))).toEqual([]);
    const write = await r1.request('PUT', 'Patient/p2', { resourceType: 'Patient', id: 'p2', name: [{ text: '改名' }] });
    expect(write.statusCode).toBe(403);

    await admin.yiwang.audit.flush();
    const { events } = await admin.yiwang.audit.query({ tenant: admin.tenant, patientId: 'p2', userId: 'Patient/p1' });
    const refused = events.filter((e) => e.outcome === 4).map((e) => e.action);
    expect(refused).toEqual(expect.arrayContaining(['read', 'history']));
    expect(events.find((e) => e.detail?.includes('$everything'))?.outcome).toBe(4);
  });

  it('allows break-glass to clinicians with a stated reason, records it and reports it', async () => {
    const doctor = await admin.as({ roles: ['village-doctor'], organizationId: 'V1', username: 'dr.zhang' });
    expect((await doctor.get('Patient/p1')).statusCode).toBe(200);
    expect((await doctor.get('Patient/p2')).statusCode).toBe(404);
    const reason = encodeURIComponent('急诊抢救，患者昏迷');
    const opened = await doctor.get('Patient/p2', { 'x-break-glass-reason': reason, 'x-purpose-of-use': 'ETREAT' });
    expect(opened.statusCode).toBe(200);
    expect((await doctor.get('Patient/p2', { 'x-break-glass-reason': 'x' })).statusCode).toBe(403);
    const teacher = await admin.as({ roles: ['teacher'], organizationId: 'V1' });
    expect((await teacher.get('Patient/p2', { 'x-break-glass-reason': reason })).statusCode).toBe(403);

    const report = await admin.get('/admin/break-glass');
    expect(report.statusCode).toBe(200);
    // The privacy officer sees the granted access and the refused attempts (reason too short, role not allowed).
    const rows = report.json().events;
    const granted = rows.filter((e: any) => e.outcome === 0);
    expect(granted).toHaveLength(1);
    expect(granted[0]).toMatchObject({
      patientId: 'p2',
      userDisplay: 'dr.zhang',
      breakGlass: '急诊抢救，患者昏迷',
      purpose: 'ETREAT',
      role: 'village-doctor',
    });
    expect(
      rows
        .filter((e: any) => e.outcome === 4)
        .map((e: any) => e.role)
        .sort(),
    ).toEqual(['teacher', 'village-doctor']);
    expect((await doctor.get('/admin/break-glass')).statusCode).toBe(403);
  });

  it('masks identity fields per role and refuses masked values on write', async () => {
    const manager = await admin.as({ roles: ['manager'], organizationId: 'C' });
    const shown = (await manager.get('Patient/p1')).json();
    expect(shown.identifier[0].value).toBe(`${ID_P1.slice(0, 4)}**********${ID_P1.slice(-4)}`);
    expect(shown.telecom[0].value).toBe('138****5678');
    expect(shown.address[0].line).toEqual(['****']);
    expect(shown.address[0].district).toBe('南川区');
    const found = (await manager.get('Patient?_id=p1,p2')).json();
    expect(found.entry.map((e: any) => e.resource.identifier[0].value).join()).not.toMatch(/\d{10}/);

    const insurance = await admin.as({ roles: ['insurance-officer'], organizationId: 'C' });
    const full = (await insurance.get('Patient/p1')).json();
    expect(full.identifier[0].value).toBe(ID_P1);
    expect(full.telecom[0].value).toBe('138****5678');
    // Roles add up: a field is masked only if every role of the caller masks it.
    const both = await admin.as({ roles: ['manager', 'village-doctor'], organizationId: 'V1' });
    expect((await both.get('Patient/p1')).json().telecom[0].value).toBe('13812345678');

    const doctor = await admin.as({ roles: ['township-doctor'], organizationId: 'T1' });
    const back = await doctor.request('PUT', 'Patient/p1', { ...shown, meta: undefined });
    expect(back.statusCode).toBe(400);
    expect(JSON.stringify(back.json().issue)).toMatch(/masked value|identifier/);
    expect((await admin.get('Patient/p1')).json().telecom[0].value).toBe('13812345678');
  });

  it('records who read a resident’s record; the resident sees it, only admins search the trail', async () => {
    const doctor = await admin.as({ roles: ['township-doctor'], organizationId: 'T1', practitionerId: 'dr-li', username: 'dr.li' });
    expect((await doctor.get('Patient/p1')).statusCode).toBe(200);
    expect((await doctor.get('Observation?subject=Patient/p1')).statusCode).toBe(200);
    expect((await doctor.get('Organization')).statusCode).toBe(200);

    const resident = await admin.as({ roles: ['resident'], patientId: 'p1' });
    await resident.get('Patient/p1');
    const log = await resident.get('/me/access-log');
    expect(log.statusCode).toBe(200);
    const mine = log.json().accesses.filter((a: any) => a.accessor === 'dr.li');
    expect(mine.map((a: any) => a.action).sort()).toEqual(['read', 'search-type']);
    expect(mine[0]).toMatchObject({ role: 'township-doctor', institution: 'T1', breakGlass: false });
    // The resident's own reads are not listed as accesses by others.
    expect(log.json().accesses.every((a: any) => a.accessorId !== 'Patient/p1')).toBe(true);
    expect((await doctor.get('/me/access-log')).statusCode).toBe(403);
    expect((await doctor.get('/admin/audit?patient=p1')).statusCode).toBe(403);

    const search = await admin.get('/admin/audit?patient=p1&user=Practitioner/dr-li');
    expect(search.statusCode).toBe(200);
    expect(search.json().events.length).toBe(2);
    expect(search.json().events.every((e: any) => e.sourceIp && e.institution === 'T1')).toBe(true);
    // Reference data (institutions) is not personal data: no audit row for the Organization search.
    expect(search.json().events.some((e: any) => (e.query ?? '').startsWith('Organization'))).toBe(false);
    expect((await admin.get('/admin/audit?from=yesterday')).statusCode).toBe(400);
    const exported = await admin.get('/admin/audit/export?patient=p1');
    const lines = exported.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.every((l: any) => l.resourceType === 'AuditEvent')).toBe(true);
    expect((await admin.get('/admin/audit/verify')).json().ok).toBe(true);
  });

  it('lets administrators manage accounts; changes are audited', async () => {
    const json = { 'content-type': 'application/json' };
    const created = await admin.request(
      'POST',
      '/admin/users',
      JSON.stringify({ username: 'dr.chen', password: 'Xiang-Zhen-2026!', roles: ['township-doctor'], organizationId: 'T1' }),
      json,
    );
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    expect(created.json().passwordHash).toBeUndefined();
    const weak = await admin.request(
      'POST',
      '/admin/users',
      JSON.stringify({ username: 'dr.weak', password: '123456', roles: ['township-doctor'] }),
      json,
    );
    expect(weak.statusCode).toBe(400);
    const badRole = await admin.request(
      'POST',
      '/admin/users',
      JSON.stringify({ username: 'dr.x', password: 'Xiang-Zhen-2026!', roles: ['god'] }),
      json,
    );
    expect(badRole.statusCode).toBe(400);
    const login = () =>
      admin.request('POST', '/auth/login', JSON.stringify({ username: 'dr.chen', password: 'Xiang-Zhen-2026!' }), {
        ...json,
        authorization: '',
      });
    expect((await login()).statusCode).toBe(200);
    expect((await admin.request('PATCH', `/admin/users/${id}`, JSON.stringify({ status: 'disabled' }), json)).json().status).toBe(
      'disabled',
    );
    expect((await login()).statusCode).toBe(401);
    const list = await admin.get('/admin/users');
    expect(list.json().users.map((u: any) => u.username)).toContain('dr.chen');
    const doctor = await admin.as({ roles: ['township-doctor'], organizationId: 'T1' });
    expect((await doctor.get('/admin/users')).statusCode).toBe(403);
    await admin.yiwang.audit.flush();
    const changes = await admin.yiwang.audit.query({ tenant: admin.tenant, action: 'policy-change' });
    expect(changes.events.map((e) => e.detail)).toEqual(expect.arrayContaining([`user ${id} disabled`]));
    // The access policy in force is a security event too, recorded when the server starts.
    const started = await admin.yiwang.audit.query({ tenant: admin.yiwang.config.tenant, action: 'policy-change' });
    expect(started.events.some((e) => /^access policy 2026-11-23 in force/.test(e.detail ?? ''))).toBe(true);
  });
});
