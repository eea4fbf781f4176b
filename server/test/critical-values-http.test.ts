/**
 * Critical values end to end through the app: a critical potassium by HL7 v2 ORU^R01 (POST /hl7/v2) → Flag,
 * Communication, Task and an urgent notification for the ordering doctor only; the same message resent and the same
 * event delivered twice → one alert; acknowledgement with wrong and correct read-back; lists; access.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeApps, ENGINES, testClient, type TestClient } from './helpers/db.js';
import { haveHl7Data, HL7_DATA } from './helpers/hl7v2.js';
import {
  criticalCounty,
  haemorrhageReport,
  isoMinutesFromNow,
  postHl7,
  potassiumOru,
  potassiumOverFhir,
  type CriticalCounty,
} from './critical-fixtures.js';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

afterAll(closeApps);

const TASKS = 'Task?code=https://yiwang.cn/fhir/CodeSystem/workflow|critical-value';

async function search(client: TestClient, url: string): Promise<any[]> {
  const res = await client.get(url);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().entry ?? []).map((e: any) => e.resource);
}

describe.each(ENGINES)('critical values over HTTP on %s', (engine) => {
  let admin: TestClient;
  let county: CriticalCounty;
  let system: TestClient;

  beforeAll(async () => {
    admin = await testClient(engine);
    county = await criticalCounty(admin);
    system = await admin.as({ roles: ['system'] });
  });

  it('a critical potassium by HL7 v2 raises Flag, Communication, Task and a stat notification for the ordering doctor only', async () => {
    const res = await postHl7(system, potassiumOru('K-1'));
    expect(res.headers['x-hl7-ack-code'], res.body).toBe('AA');
    await admin.yiwang.events.drain();

    const [obs] = await search(admin, 'Observation?code=http://loinc.org|2823-3&identifier=urn:yiwang:hl7v2:obx:NCRMYY|LIS-K1-1');
    expect(obs.valueQuantity.value).toBe(7.1);
    const tasks = await search(admin, `${TASKS}&focus=Observation/${obs.id}`);
    expect(tasks).toHaveLength(1);
    const task = tasks[0];
    expect(task).toMatchObject({
      status: 'requested',
      intent: 'order',
      priority: 'stat',
      owner: { reference: `Practitioner/${county.doctorA}` },
      focus: { reference: `Observation/${obs.id}` },
      for: { reference: obs.subject.reference },
    });
    // Due 15 minutes after the notification (workflow data).
    expect(Date.parse(task.restriction.period.end) - Date.parse(task.authoredOn)).toBe(15 * 60_000);

    const flags = await search(
      admin,
      `Flag?patient=${obs.subject.reference}&identifier=urn:yiwang:critical-value|Observation/${obs.id}/potassium`,
    );
    expect(flags).toHaveLength(1);
    expect(flags[0].status).toBe('active');
    expect(flags[0].category[0].coding).toContainEqual(expect.objectContaining({ code: 'critical-value' }));
    expect(flags[0].code.coding[0]).toMatchObject({ system: 'urn:yiwang:critical-value-item', code: 'potassium' });
    const ext = Object.fromEntries(flags[0].extension[0].extension.map((e: any) => [e.url, e]));
    // In force today: 2026-12-05 (2026-12-01's limits plus pathology findings).
    expect(ext.catalogueVersion.valueString).toBe('2026-12-05');
    expect(ext.value.valueQuantity.value).toBe(7.1);
    expect(ext.limit.valueQuantity.value).toBe(6.2);
    expect(ext.direction.valueCode).toBe('high');

    const comms = await search(admin, `Communication?category=critical-value&patient=${obs.subject.reference}`);
    expect(comms).toHaveLength(1);
    expect(comms[0]).toMatchObject({ status: 'completed', recipient: [{ reference: `Practitioner/${county.doctorA}` }] });
    expect(comms[0].about.map((a: any) => a.reference)).toContain(`Observation/${obs.id}`);
    expect(comms[0].payload[0].contentString).toContain('血钾 7.1 mmol/L');
    expect(comms[0].payload[0].contentString).toContain('>6.2 mmol/L');

    const inboxA = (await county.doctorAClient.get('/api/inbox?category=critical-value')).json();
    expect(inboxA.items).toHaveLength(1);
    expect(inboxA.items[0]).toMatchObject({ priority: 'stat', link: `/critical-values/${task.id}`, focus: `Task/${task.id}` });
    const inboxB = (await county.doctorBClient.get('/api/inbox?category=critical-value')).json();
    expect(inboxB.items).toHaveLength(0);
    const inboxHead = (await county.headClient.get('/api/inbox')).json();
    expect(inboxHead.items).toHaveLength(0);

    // Open alerts are plain FHIR searches.
    expect(await search(admin, `${TASKS}&status=requested&owner=Practitioner/${county.doctorA}`)).toHaveLength(1);
    expect(await search(admin, `Flag?status=active&category=critical-value&patient=${obs.subject.reference}`)).toHaveLength(1);
    expect(await search(admin, `Flag?status=inactive&category=urn:yiwang:flag-category|critical-value`)).toHaveLength(0);
  });

  it('the same message resent, a corrected resend and the same event delivered twice raise no second alert', async () => {
    const before = await search(admin, TASKS);
    const again = await postHl7(system, potassiumOru('K-1'));
    expect(again.headers['x-hl7-ack-code']).toBe('AA');
    expect(again.body).toContain('Duplicate');
    // A new control id with the same result: the Observation is updated (a new version, a new event).
    const resend = await postHl7(system, potassiumOru('K-1-RESEND', '7.1'));
    expect(resend.headers['x-hl7-ack-code']).toBe('AA');
    await admin.yiwang.events.drain();
    const [obs] = await search(admin, 'Observation?identifier=urn:yiwang:hl7v2:obx:NCRMYY|LIS-K1-1');
    expect(Number(obs.meta.versionId)).toBeGreaterThan(1);
    // The same event offered twice more, as after a crash or a second transport.
    const event = {
      seq: '999999999',
      tenant: admin.tenant,
      resourceType: 'Observation',
      id: obs.id,
      version: Number(obs.meta.versionId),
      action: 'update' as const,
      occurredAt: new Date().toISOString(),
    };
    await Promise.all([admin.yiwang.events.deliverToAll(event), admin.yiwang.events.deliverToAll(event)]);
    const after = await search(admin, TASKS);
    expect(after.map((t) => t.id)).toEqual(before.map((t) => t.id));
    expect(await search(admin, `Flag?identifier=urn:yiwang:critical-value|Observation/${obs.id}/potassium`)).toHaveLength(1);
    expect(
      await search(admin, `Communication?identifier=urn:yiwang:critical-value|Observation/${obs.id}/potassium/notification`),
    ).toHaveLength(1);
    expect((await county.doctorAClient.get('/api/inbox?category=critical-value')).json().items).toHaveLength(1);
  });

  it('a normal result raises nothing; a result in an unrecognised unit is reported to the doctor, not compared', async () => {
    const res = await postHl7(system, potassiumOru('K-N', '4.2', { filler: 'LIS-N1', mrn: 'MRN-N1' }));
    expect(res.headers['x-hl7-ack-code']).toBe('AA');
    const odd = await postHl7(system, potassiumOru('K-U', '9.9', { filler: 'LIS-U1', mrn: 'MRN-U1' }).replace('|9.9|mmol/L|', '|9.9|g/L|'));
    expect(odd.headers['x-hl7-ack-code']).toBe('AA');
    await admin.yiwang.events.drain();
    const [normal] = await search(admin, 'Observation?identifier=urn:yiwang:hl7v2:obx:NCRMYY|LIS-N1-1');
    expect(await search(admin, `${TASKS}&focus=Observation/${normal.id}`)).toHaveLength(0);
    const [wrong] = await search(admin, 'Observation?identifier=urn:yiwang:hl7v2:obx:NCRMYY|LIS-U1-1');
    expect(await search(admin, `${TASKS}&focus=Observation/${wrong.id}`)).toHaveLength(0);
    const unit = (await county.doctorAClient.get('/api/inbox?category=critical-value-unit')).json().items;
    expect(unit).toHaveLength(1);
    expect(unit[0].body).toContain('Unit not recognised');
    // History (a result from ten days ago, e.g. loaded by bulk import) is judged but pages nobody.
    await admin.request('PUT', 'Patient/p-old', { resourceType: 'Patient', id: 'p-old', name: [{ text: '郑八' }] });
    const old = await potassiumOverFhir(admin, 'p-old', 7.9, { effective: isoMinutesFromNow(-10 * 24 * 60) });
    await admin.yiwang.events.drain();
    expect(await search(admin, `${TASKS}&focus=Observation/${old}`)).toHaveLength(0);
  });

  it('lists: open and mine for the doctor; another doctor sees nothing and cannot open or acknowledge it', async () => {
    const mine = await county.doctorAClient.get('/api/critical-values?view=mine');
    expect(mine.statusCode, mine.body).toBe(200);
    const items = mine.json().items;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      state: 'open',
      item: { id: 'potassium', name: '血钾' },
      value: '7.1 mmol/L',
      limit: '>6.2 mmol/L',
      direction: 'high',
      catalogueVersion: '2026-12-05',
      owner: { reference: `Practitioner/${county.doctorA}` },
      responsibleSource: 'service-request',
      institution: `Organization/${county.department}`,
      overdue: false,
      escalationLevel: 0,
    });
    expect(items[0].link).toBe(`/critical-values/${items[0].taskId}`);
    expect((await county.doctorAClient.get('/api/critical-values?view=open')).json().items).toHaveLength(1);
    expect((await county.doctorBClient.get('/api/critical-values?view=mine')).json().items).toHaveLength(0);
    expect((await county.doctorBClient.get('/api/critical-values?view=open')).json().items).toHaveLength(0);
    const taskId = items[0].taskId;
    expect((await county.doctorBClient.get(`/api/critical-values/${taskId}`)).statusCode).toBe(404);
    const ack = await county.doctorBClient.request('POST', `/api/critical-values/${taskId}/acknowledge`, { readBack: '血钾 7.1 mmol/L' });
    expect(ack.statusCode).toBe(404);
    // Bad input: a clear OperationOutcome saying where.
    const bad = await county.doctorAClient.get('/api/critical-values?view=everything');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issue[0].expression).toEqual(['view']);
    expect((await county.doctorAClient.get('/api/critical-values?from=yesterday')).statusCode).toBe(400);
    expect((await county.doctorAClient.get('/api/critical-values/no-such-task')).statusCode).toBe(404);
    // The catalogue in force on a date (for the web app's reference page).
    const before = (await county.doctorAClient.get('/api/critical-values/catalogue?date=2026-11-30')).json();
    expect(before.catalogue.version).toBe('2020-01-01');
    expect(before.catalogue.measurements.find((m: any) => m.id === 'potassium').high).toBe(6.5);
    const now = (await county.doctorAClient.get('/api/critical-values/catalogue')).json();
    expect(now).toMatchObject({
      catalogue: { version: '2026-12-05' },
      workflow: { id: 'critical-value' },
      versions: ['2020-01-01', '2026-12-01', '2026-12-05'],
    });
    expect((await county.doctorAClient.get('/api/critical-values/catalogue?date=2026-12-02')).json().catalogue.version).toBe('2026-12-01');
    expect((await county.doctorAClient.get('/api/critical-values/catalogue?date=2019-01-01')).statusCode).toBe(400);
    expect((await admin.get('/api/critical-values', { authorization: '' })).statusCode).toBe(401);
  });

  it('acknowledgement: wrong read-back 422 and nothing written; correct read-back completes the Task, clears the Flag, records Provenance', async () => {
    const [item] = (await county.doctorAClient.get('/api/critical-values?view=mine')).json().items;
    const url = `/api/critical-values/${item.taskId}/acknowledge`;
    const missing = await county.doctorAClient.request('POST', url, { action: '补钾' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().issue[0].expression).toEqual(['readBack']);
    const wrong = await county.doctorAClient.request('POST', url, { readBack: '血钾 1.7 mmol/L' });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json().resourceType).toBe('OperationOutcome');
    // The refusal says what is wrong, never the expected value (a read-back copied from the error would prove nothing).
    expect(wrong.json().issue[0].details.text).toContain('does not match');
    expect(wrong.json().issue[0].details.text).not.toContain('7.1');
    const noUnit = await county.doctorAClient.request('POST', url, { readBack: '7.1' });
    expect(noUnit.statusCode).toBe(422);
    const task = (await admin.get(`Task/${item.taskId}`)).json();
    expect(task.status).toBe('requested');
    expect(task.meta.versionId).toBe('1');
    // Someone who was never told may not acknowledge (even if they may see the record).
    const admins = await admin.request('POST', url, { readBack: '血钾 7.1 mmol/L' });
    expect(admins.statusCode).toBe(403);
    // The engine's generic transition route checks the read-back too (the module's hook runs in its transaction).
    const generic = `/api/tasks/${item.taskId}/transition`;
    const other = { type: { text: 'note' }, valueString: 'ok' };
    const json = { 'content-type': 'application/json' };
    const bypass = await county.doctorAClient.request('POST', generic, { action: 'acknowledge', output: [other] }, json);
    expect(bypass.statusCode).toBe(400);
    expect(bypass.json().issue[0].expression).toEqual(['readBack']);
    const readBackOutput = (text: string) => ({
      type: { coding: [{ system: 'urn:yiwang:critical-value-input', code: 'read-back' }] },
      valueString: text,
    });
    const wrongGeneric = await county.doctorAClient.request(
      'POST',
      generic,
      { action: 'acknowledge', output: [readBackOutput('血钾 5.1 mmol/L')] },
      json,
    );
    expect(wrongGeneric.statusCode).toBe(422);
    const byAdmin = await admin.request('POST', generic, { action: 'acknowledge', output: [readBackOutput('血钾 7.1 mmol/L')] }, json);
    expect(byAdmin.statusCode).toBe(403);
    expect((await admin.get(`Task/${item.taskId}`)).json().status).toBe('requested');

    const ok = await county.doctorAClient.request('POST', url, { readBack: '血钾 7.1 mmol/L', action: '停用补钾，复查血钾' });
    expect(ok.statusCode, ok.body).toBe(200);
    const chain = ok.json();
    expect(chain).toMatchObject({ state: 'acknowledged', late: false, readBack: '血钾 7.1 mmol/L', action: '停用补钾，复查血钾' });
    expect(chain.acknowledgedBy.reference).toBe(`Practitioner/${county.doctorA}`);
    expect(chain.events.map((e: any) => e.kind)).toEqual(['result', 'released', 'detected', 'notified', 'acknowledged']);
    const done = (await admin.get(`Task/${item.taskId}`)).json();
    expect(done.status).toBe('completed');
    const flag = (await admin.get(chain.flag)).json();
    expect(flag.status).toBe('inactive');
    expect(flag.period.end).toBeDefined();
    // The engine's Provenance of each step (start, acknowledge) and the module's with the read-back.
    const provenance = await search(admin, `Provenance?target=Task/${item.taskId}`);
    expect(provenance.map((p) => p.activity.coding[0].code).sort()).toEqual(['acknowledge', 'critical-value-acknowledgement', 'start']);
    const readBack = provenance.find((p) => p.activity.coding[0].code === 'critical-value-acknowledgement');
    expect(JSON.stringify(readBack.extension)).toContain('血钾 7.1 mmol/L');
    expect(readBack.agent[0].who.reference).toBe(`Practitioner/${county.doctorA}`);
    // The engine's worklist has it as done.
    const done2 = await county.doctorAClient.get(`/api/tasks/${item.taskId}`);
    expect(done2.statusCode, done2.body).toBe(200);
    const twice = await county.doctorAClient.request('POST', url, { readBack: '血钾 7.1 mmol/L' });
    expect(twice.statusCode).toBe(409);
    expect((await county.doctorAClient.get('/api/critical-values?view=open')).json().items).toHaveLength(0);
    expect(await search(admin, `${TASKS}&status=requested&owner=Practitioner/${county.doctorA}`)).toHaveLength(0);
    expect(await search(admin, `Flag?status=active&category=critical-value&patient=${flag.subject.reference}`)).toHaveLength(0);
    expect(await search(admin, `Flag?status=inactive&category=critical-value&patient=${flag.subject.reference}`)).toHaveLength(1);
    // The chain is readable by the doctor.
    const again = await county.doctorAClient.get(`/api/critical-values/${item.taskId}`);
    expect(again.statusCode).toBe(200);
    expect(again.json().events.at(-1).kind).toBe('acknowledged');
  });

  it('a result written over FHIR is detected too, with the ordering doctor from ServiceRequest.requester', async () => {
    await admin.request('PUT', 'Patient/p-fhir', { resourceType: 'Patient', id: 'p-fhir', name: [{ text: '孙五' }] });
    const obsId = await potassiumOverFhir(admin, 'p-fhir', 2.1, { requester: county.doctorB });
    await admin.yiwang.events.drain();
    const [task] = await search(admin, `${TASKS}&focus=Observation/${obsId}`);
    expect(task.owner.reference).toBe(`Practitioner/${county.doctorB}`);
    expect(task.description).toContain('<2.8 mmol/L');
    expect((await county.doctorBClient.get('/api/inbox?category=critical-value')).json().items).toHaveLength(1);
    expect((await county.doctorBClient.get('/api/critical-values?view=mine')).json().items[0]).toMatchObject({
      direction: 'low',
      value: '2.1 mmol/L',
    });
  });

  it('who is told: the report order, an imaging finding in a report conclusion, the general practitioner', async () => {
    await admin.request('PUT', 'Patient/p-who', {
      resourceType: 'Patient',
      id: 'p-who',
      name: [{ text: '吴七' }],
      generalPractitioner: [{ reference: `Practitioner/${county.doctorA}` }],
    });
    await admin.request('PUT', 'ServiceRequest/sr-ct', {
      resourceType: 'ServiceRequest',
      id: 'sr-ct',
      status: 'active',
      intent: 'order',
      subject: { reference: 'Patient/p-who' },
      requester: { reference: 'PractitionerRole/role-b' },
      code: { text: '头颅CT' },
    });
    // A CT report whose conclusion is an intracranial haemorrhage: its order's requester (a PractitionerRole) is told.
    await admin.request('PUT', 'DiagnosticReport/dr-ct', haemorrhageReport('p-who', isoMinutesFromNow(-15)));
    // A glucose with no order of its own, held by a report that has one (the report is written first).
    await admin.request('PUT', 'DiagnosticReport/dr-glu', {
      resourceType: 'DiagnosticReport',
      id: 'dr-glu',
      status: 'final',
      basedOn: [{ reference: 'ServiceRequest/sr-ct' }],
      code: { text: '生化' },
      subject: { reference: 'Patient/p-who' },
      result: [{ reference: 'Observation/o-glu' }],
    });
    await admin.request('PUT', 'Observation/o-glu', {
      resourceType: 'Observation',
      id: 'o-glu',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }] },
      subject: { reference: 'Patient/p-who' },
      effectiveDateTime: isoMinutesFromNow(-15),
      valueQuantity: { value: 30, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
    });
    // A sodium without any order: the resident's general practitioner.
    await admin.request('PUT', 'Observation/o-na', {
      resourceType: 'Observation',
      id: 'o-na',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '2951-2' }] },
      subject: { reference: 'Patient/p-who' },
      effectiveDateTime: isoMinutesFromNow(-15),
      valueQuantity: { value: 118, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
    });
    await admin.yiwang.events.drain();
    const [ct] = await search(admin, `${TASKS}&focus=DiagnosticReport/dr-ct`);
    expect(ct.owner.reference).toBe(`Practitioner/${county.doctorB}`);
    expect(ct.description).toContain('颅内出血');
    // The report without a conclusion code raises nothing itself; its glucose goes to the report order's requester.
    expect(await search(admin, `${TASKS}&focus=DiagnosticReport/dr-glu`)).toHaveLength(0);
    const [glu] = await search(admin, `${TASKS}&focus=Observation/o-glu`);
    expect(glu.owner.reference).toBe(`Practitioner/${county.doctorB}`);
    expect((await county.doctorBClient.get(`/api/critical-values/${glu.id}`)).json().responsibleSource).toBe('report-order');
    const [na] = await search(admin, `${TASKS}&focus=Observation/o-na`);
    expect(na.owner.reference).toBe(`Practitioner/${county.doctorA}`);
    const summary = (await county.doctorAClient.get(`/api/critical-values/${na.id}`)).json();
    expect(summary).toMatchObject({ responsibleSource: 'general-practitioner', direction: 'low', limit: '<120 mmol/L' });
  });

  it.runIf(haveHl7Data)('real sample ORU messages from the shared corpus are judged without errors', async () => {
    const dir = join(HL7_DATA, 'microsoft-fhir-converter/messages');
    const files = readdirSync(dir).filter((f) => /^ORU/i.test(f));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) await postHl7(system, readFileSync(join(dir, f), 'latin1'));
    await admin.yiwang.events.drain();
    // Every event was taken by the handler: none left as a retry or dead letter.
    const dead = await admin.yiwang.events.deadLetters(admin.tenant);
    expect(dead.filter((d) => d.handler === 'critical-values.detect')).toEqual([]);
    const rows = await admin.yiwang.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM event_delivery WHERE tenant = $1 AND handler = 'critical-values.detect'`,
      [admin.tenant],
    );
    expect(Number(rows.rows[0]!.n)).toBe(0);
  });
});
