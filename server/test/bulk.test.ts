/**
 * FHIR Bulk Data: $export (system, Patient, Group) kick-off → status → manifest → NDJSON download,
 * cancel, $import with bad lines reported per line, resume after an interrupted import, and errors.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BulkRunner } from '../src/platform/bulk/runner.js';
import { closeApps, ENGINES, testClient, type TestClient } from './helpers/db.js';

afterAll(closeApps);

const ASYNC = { prefer: 'respond-async' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pathOf = (url: string) => new URL(url).pathname;

async function kickOff(c: TestClient, url: string): Promise<string> {
  const res = await c.request('GET', url, undefined, ASYNC);
  expect(res.statusCode, res.body).toBe(202);
  return pathOf(res.headers['content-location'] as string);
}

async function finished(c: TestClient, status: string): Promise<any> {
  for (let i = 0; i < 400; i++) {
    const res = await c.get(status);
    if (res.statusCode === 200) return res.json();
    expect(res.statusCode, res.body).toBe(202);
    await sleep(25);
  }
  throw new Error('bulk job did not finish');
}

async function download(c: TestClient, url: string): Promise<any[]> {
  const res = await c.get(pathOf(url));
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toContain('application/fhir+ndjson');
  return res.body
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

async function files(c: TestClient, manifest: any): Promise<Record<string, any[]>> {
  const out: Record<string, any[]> = {};
  for (const o of manifest.output) {
    out[o.type] = await download(c, o.url);
    expect(out[o.type]).toHaveLength(o.count);
  }
  return out;
}

const put = async (c: TestClient, resource: any) => {
  const res = await c.request('PUT', `${resource.resourceType}/${resource.id}`, resource);
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.json();
};
const obs = (id: string, patient: string) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { text: 'BP' },
  subject: { reference: `Patient/${patient}` },
});
const ids = (list: any[] | undefined) => (list ?? []).map((r) => r.id).sort();

describe.each(ENGINES)('Bulk Data on %s', (engine) => {
  it('exports with _type and _since: kick-off, progress, manifest, download', async () => {
    const c = await testClient(engine);
    await put(c, { resourceType: 'Patient', id: 'p1', name: [{ family: '张' }] });
    await put(c, obs('o1', 'p1'));
    await sleep(10);
    const p2 = await put(c, { resourceType: 'Patient', id: 'p2', name: [{ family: '李' }] });
    await put(c, { resourceType: 'Practitioner', id: 'dr1' });

    // While the runner is stopped the job waits, and the status says so.
    await c.yiwang.bulk.stop();
    const status = await kickOff(c, '$export?_type=Patient,Observation&_outputFormat=application/fhir%2Bndjson');
    const waiting = await c.get(status);
    expect(waiting.statusCode).toBe(202);
    expect(waiting.headers['x-progress']).toBeTruthy();
    c.yiwang.bulk.start();
    const manifest = await finished(c, status);
    expect(manifest.request).toContain('$export?_type=Patient%2CObservation');
    expect(manifest.requiresAccessToken).toBe(false);
    expect(Date.parse(manifest.transactionTime)).toBeGreaterThan(0);
    expect(manifest.error).toEqual([]);
    const out = await files(c, manifest);
    expect(Object.keys(out).sort()).toEqual(['Observation', 'Patient']);
    expect(ids(out.Patient)).toEqual(['p1', 'p2']);
    expect(ids(out.Observation)).toEqual(['o1']);

    const since = await finished(c, await kickOff(c, `$export?_since=${encodeURIComponent(p2.meta.lastUpdated)}`));
    const sinceOut = await files(c, since);
    expect(ids(sinceOut.Patient)).toEqual(['p2']);
    expect(ids(sinceOut.Practitioner)).toEqual(['dr1']);
    expect(sinceOut.Observation).toBeUndefined();
  });

  it('exports at Patient level (compartment data only) and Group level (members only)', async () => {
    const c = await testClient(engine);
    for (const p of ['a', 'b', 'c']) {
      await put(c, { resourceType: 'Patient', id: p });
      await put(c, obs(`obs-${p}`, p));
    }
    await put(c, { resourceType: 'Practitioner', id: 'dr' });
    await put(c, { resourceType: 'Organization', id: 'org', name: '卫生院' });
    await put(c, {
      resourceType: 'Group',
      id: 'g',
      type: 'person',
      actual: true,
      member: [{ entity: { reference: 'Patient/a' } }, { entity: { reference: 'Patient/c' } }],
    });

    const patientLevel = await files(c, await finished(c, await kickOff(c, 'Patient/$export')));
    // Group is in the Patient compartment (Group.member); Practitioner and Organization are not.
    expect(Object.keys(patientLevel).sort()).toEqual(['Group', 'Observation', 'Patient']);
    expect(ids(patientLevel.Patient)).toEqual(['a', 'b', 'c']);

    const group = await files(c, await finished(c, await kickOff(c, 'Group/g/$export')));
    expect(ids(group.Patient)).toEqual(['a', 'c']);
    expect(ids(group.Observation)).toEqual(['obs-a', 'obs-c']);
    expect(group.Practitioner).toBeUndefined();

    expect((await c.request('GET', 'Group/nope/$export', undefined, ASYNC)).statusCode).toBe(404);
  });

  it('cancels a job: DELETE removes the job and its files', async () => {
    const c = await testClient(engine);
    await put(c, { resourceType: 'Patient', id: 'x' });
    const status = await kickOff(c, '$export');
    const manifest = await finished(c, status);
    const del = await c.request('DELETE', status);
    expect(del.statusCode).toBe(202);
    const gone = await c.get(status);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().resourceType).toBe('OperationOutcome');
    expect((await c.get(pathOf(manifest.output[0].url))).statusCode).toBe(404);
    // A job cancelled before it ran never runs.
    await c.yiwang.bulk.stop();
    const queued = await kickOff(c, '$export');
    expect((await c.request('DELETE', queued)).statusCode).toBe(202);
    c.yiwang.bulk.start();
    await c.yiwang.bulk.idle();
    expect((await c.get(queued)).statusCode).toBe(404);
  });

  it('imports NDJSON: good lines stored, each bad line reported with its number and reason', async () => {
    const c = await testClient(engine);
    const body = [
      JSON.stringify({ resourceType: 'Patient', id: 'i1', name: [{ family: '周' }] }),
      '{"resourceType": "Patient", broken',
      JSON.stringify({ resourceType: 'Patient', id: 'i3', gender: 'robot' }),
      JSON.stringify(obs('wrong', 'i1')),
      '',
      JSON.stringify({ resourceType: 'Patient', name: [{ family: '吴' }] }),
      JSON.stringify({ resourceType: 'Patient', id: 'i1', name: [{ family: '周', given: ['一'] }] }),
    ].join('\n');
    const res = await c.request('POST', '$import-ndjson?type=Patient', body, { 'content-type': 'application/fhir+ndjson', ...ASYNC });
    expect(res.statusCode, res.body).toBe(202);
    const manifest = await finished(c, pathOf(res.headers['content-location'] as string));
    expect(manifest.output).toEqual([{ type: 'Patient', count: 3 }]);
    expect(manifest.error[0].count).toBe(3);
    const errors = await download(c, manifest.error[0].url);
    expect(errors.map((e) => e.issue[0].diagnostics)).toEqual([
      expect.stringMatching(/line 2$/),
      expect.stringMatching(/line 3 \(Patient\/i3\)$/),
      expect.stringMatching(/line 4 \(Observation\/wrong\)$/),
    ]);
    expect(errors[0].issue[0].details.text).toMatch(/Malformed JSON/);
    expect(JSON.stringify(errors[1].issue)).toMatch(/robot/);
    expect(errors[2].issue[0].details.text).toMatch(/does not match the input's type 'Patient'/);
    const patients = (await c.get('Patient?_total=accurate')).json();
    expect(patients.total).toBe(2);
    const i1 = (await c.get('Patient/i1')).json();
    expect(i1.meta.versionId).toBe('2');
    expect(i1.name[0].given).toEqual(['一']);

    // The same through Parameters naming a local file.
    const dir = mkdtempSync(join(tmpdir(), 'yiwang-bulk-'));
    const file = join(dir, 'obs.ndjson');
    writeFileSync(file, [JSON.stringify(obs('f1', 'i1')), JSON.stringify({ resourceType: 'Observation', id: 'f2' })].join('\n') + '\n');
    const kick = await c.request(
      'POST',
      '$import',
      {
        resourceType: 'Parameters',
        parameter: [
          { name: 'inputFormat', valueCode: 'application/fhir+ndjson' },
          {
            name: 'input',
            part: [
              { name: 'type', valueCode: 'Observation' },
              { name: 'url', valueUrl: `file://${file}` },
            ],
          },
        ],
      },
      ASYNC,
    );
    expect(kick.statusCode, kick.body).toBe(202);
    const m2 = await finished(c, pathOf(kick.headers['content-location'] as string));
    expect(m2.output).toEqual([{ type: 'Observation', count: 1 }]);
    const e2 = await download(c, m2.error[0].url);
    expect(e2[0].issue[0].diagnostics).toBe(`${file} line 2 (Observation/f2)`);
    expect(JSON.stringify(e2[0].issue)).toMatch(/status|code/);
  });

  it('resumes an interrupted import from its checkpoint without duplicates', async () => {
    const c = await testClient(engine);
    const lines: string[] = [];
    for (let i = 1; i <= 10; i++) {
      lines.push(
        JSON.stringify(i % 2 ? { resourceType: 'Patient', id: `r${i}` } : { resourceType: 'Patient', name: [{ family: `n${i}` }] }),
      );
    }
    lines.splice(4, 0, 'not json');
    await c.yiwang.bulk.stop();
    const res = await c.request('POST', '$import-ndjson', lines.join('\n'), { 'content-type': 'application/fhir+ndjson', ...ASYNC });
    const status = pathOf(res.headers['content-location'] as string);

    // A "process" that dies after two chunks of three lines.
    let chunks = 0;
    const first = new BulkRunner(c.yiwang.db, { chunkSize: 3 });
    first.afterChunk = () => {
      if (++chunks === 2) void first.stop();
    };
    first.start();
    await first.idle();
    expect((await c.get(status)).statusCode).toBe(202);
    expect((await c.get('Patient?_total=accurate')).json().total).toBe(5);

    // The next "process" resumes at line 7.
    const second = new BulkRunner(c.yiwang.db, { chunkSize: 3 });
    second.start();
    await second.idle();
    c.yiwang.bulk.start();
    const manifest = await finished(c, status);
    expect(manifest.output).toEqual([{ type: 'Patient', count: 10 }]);
    expect(manifest.error[0].count).toBe(1);
    expect((await download(c, manifest.error[0].url))[0].issue[0].diagnostics).toBe('input 0 line 5');
    expect((await c.get('Patient?_total=accurate')).json().total).toBe(10);
    expect((await c.get('Patient/r1')).json().meta.versionId).toBe('1');
    expect((await c.get('Patient/r9')).json().meta.versionId).toBe('1');
  });

  it('answers unknown jobs with 404 and bad parameters with 400, both as OperationOutcomes', async () => {
    const c = await testClient(engine);
    const unknown = await c.get('$bulk-status/00000000-0000-0000-0000-000000000000');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().resourceType).toBe('OperationOutcome');
    expect((await c.get('$bulk-file/00000000-0000-0000-0000-000000000000/Patient.ndjson')).statusCode).toBe(404);

    const bad = async (method: string, url: string, expression: string, body?: unknown, headers: Record<string, string> = ASYNC) => {
      const res = await c.request(method, url, body, headers);
      expect(res.statusCode, res.body).toBe(400);
      const outcome = res.json();
      expect(outcome.resourceType).toBe('OperationOutcome');
      expect(outcome.issue[0].expression).toEqual([expression]);
    };
    await bad('GET', '$export?_type=Patient,Nonsense', '_type');
    await bad('GET', '$export?_outputFormat=text/csv', '_outputFormat');
    await bad('GET', '$export?_since=yesterday', '_since');
    await bad('GET', 'Patient/$export?_type=Practitioner', '_type');
    await bad('GET', '$export', 'Prefer', undefined, {});
    await bad('POST', '$import', 'Parameters.parameter[0].part.url', {
      resourceType: 'Parameters',
      parameter: [{ name: 'input', part: [{ name: 'url', valueUrl: 'https://example.org/data.ndjson' }] }],
    });
    await bad('POST', '$import', 'Parameters.parameter[0].part.url', {
      resourceType: 'Parameters',
      parameter: [{ name: 'input', part: [{ name: 'url', valueUrl: 'file:///etc/passwd' }] }],
    });
    await bad('POST', '$import', 'Parameters.parameter', { resourceType: 'Parameters', parameter: [] });
  });
});
