/**
 * Reading-centre benchmark (issue #7): the imaging centre's worklist query with 100 000 open reading tasks, and the
 * latency from a study upload (STOW-RS) to its case being on the centre's worklist. PostgreSQL, a real Orthanc (the
 * test helper starts one on a loopback port), the app in process (requests through Fastify's inject: no network).
 *
 *   cd server && npx tsx ../bench/reading.ts [--tasks 100000] [--uploads 30] [--queries 300]
 *
 * Prints figures and writes bench/results/reading-<tasks>.json. The open tasks are written as FHIR Tasks through the
 * record store (transactions of 1 000) with their engine and case index rows, all addressed to the county imaging
 * department; the worklist query is the one the page uses (GET /api/imaging/cases?view=centre&open=1&count=50) as a
 * radiologist of that department, whose access policy is compiled into it.
 */
import { randomUUID } from 'node:crypto';
import { buildApp } from '../server/src/app.js';
import { loadConfig } from '../server/src/config.js';
import { createUser, hashPassword } from '../server/src/platform/auth/index.js';
import { buildMultipart } from '../server/src/platform/exchange/dicomweb/multipart.js';
import { businessStatus } from '../server/src/platform/workflow/fhir.js';
import { READING_WORKFLOWS } from '../server/src/modules/reading/rules.js';
import { newUid, startOrthanc } from '../server/test/helpers/orthanc.js';
import { ensureDatabase, summarize, writeResult } from './lib.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const TASKS = arg('tasks', 100_000);
const UPLOADS = arg('uploads', 30);
const QUERIES = arg('queries', 300);
const TENANT = 'bench';

async function main() {
  const orthanc = await startOrthanc();
  const url = await ensureDatabase('yiwang_bench_reading', true);
  const config = {
    ...loadConfig({}, { DATABASE_URL: url, YIWANG_TENANT: TENANT, LOG_LEVEL: 'silent', YIWANG_MEMORY: '0' }),
    orthanc: { url: orthanc.url, username: orthanc.username, password: orthanc.password },
  };
  const yiwang = await buildApp(config, { logger: false });
  const repo = yiwang.systemRepository(TENANT);
  const org = (id: string, name: string, partOf?: string, centre?: boolean) =>
    repo.update('Organization', id, {
      resourceType: 'Organization',
      id,
      name,
      ...(centre ? { type: [{ coding: [{ system: 'urn:yiwang:centre-role', code: 'imaging' }] }] } : {}),
      ...(partOf ? { partOf: { reference: `Organization/${partOf}` } } : {}),
    });
  await org('C', '医共体');
  await org('H', '县人民医院', 'C', true);
  await org('IH', '县人民医院医学影像科', 'H', true);
  for (let t = 0; t < 20; t++) await org(`T${t}`, `第${t}乡镇卫生院`, 'C');
  for (const id of ['reader', 'township'])
    await repo.update('Practitioner', id, { resourceType: 'Practitioner', id, name: [{ text: id }] });
  const hash = await hashPassword('Bench-Yiwang-2026!');
  const session = async (roles: string[], organizationId: string, practitionerId: string) => {
    const user = await createUser(yiwang.db, TENANT, {
      username: `u-${randomUUID().slice(0, 8)}`,
      password: '',
      passwordHash: hash,
      roles,
      organizationId,
      practitionerId,
    });
    return (await yiwang.auth.openSession(user)).response.access_token;
  };
  const readerToken = await session(['county-specialist'], 'IH', 'reader');
  const townshipToken = await session(['township-doctor'], 'T0', 'township');

  // 1 000 residents, 100 000 open reading tasks spread over 20 townships, all owned by the imaging department.
  const t0 = Date.now();
  const patients = 1000;
  for (let start = 0; start < patients; start += 500) {
    await repo.withTransaction(async (tx) => {
      for (let i = start; i < Math.min(patients, start + 500); i++) {
        await tx.update('Patient', `p${i}`, {
          resourceType: 'Patient',
          id: `p${i}`,
          name: [{ text: `居民${i}`, family: '居', given: [`民${i}`] }],
          gender: i % 2 ? 'male' : 'female',
          birthDate: `19${40 + (i % 50)}-0${1 + (i % 9)}-1${i % 9}`,
          managingOrganization: { reference: `Organization/T${i % 20}` },
        });
      }
    });
  }
  const readingDef = READING_WORKFLOWS[READING_WORKFLOWS.length - 1]!;
  const canonical = `https://yiwang.cn/fhir/workflow/reading|${readingDef.version}`;
  const now = Date.now();
  for (let start = 0; start < TASKS; start += 1000) {
    const n = Math.min(1000, TASKS - start);
    await repo.withTransaction(async (tx) => {
      const rows: unknown[][] = [];
      for (let k = 0; k < n; k++) {
        const i = start + k;
        const at = new Date(now - (TASKS - i) * 1000).toISOString();
        const id = `bt${i}`;
        await tx.create(
          {
            resourceType: 'Task',
            id,
            instantiatesCanonical: canonical,
            status: 'requested',
            businessStatus: businessStatus('requested', readingDef.states['requested']!),
            intent: 'order',
            priority: 'routine',
            focus: { reference: `ServiceRequest/bsr${i}` },
            for: { reference: `Patient/p${i % patients}` },
            authoredOn: at,
            owner: { reference: 'Organization/IH' },
            requester: { reference: 'Practitioner/township' },
            input: [{ type: { text: 'centre' }, valueCode: 'imaging' }],
          },
          { assignedId: id },
        );
        rows.push([id, at, `Patient/p${i % patients}`, `ServiceRequest/bsr${i}`, `Organization/T${i % 20}`]);
      }
      await tx.query(
        `INSERT INTO workflow_task (tenant, task_id, workflow, version, state, entry, entered_at, due_at, final, priority, owner, requester, requester_org, patient, focus, escalation_level, started_at)
         SELECT $1, r->>0, 'reading', '1', 'requested', 1, (r->>1)::timestamptz, NULL, false, 'routine', 'Organization/IH', 'Practitioner/township', r->>4, r->>2, r->>3, 0, (r->>1)::timestamptz
           FROM json_array_elements($2::json) r`,
        [TENANT, JSON.stringify(rows)],
      );
      await tx.query(
        `INSERT INTO reading_case (tenant, task_id, centre, service_request, patient, requester_org, owner_org, item_code, modality, requested_at, images_at)
         SELECT $1, r->>0, 'imaging', r->>3, r->>2, r->>4, 'Organization/IH', 'CT-head', 'CT', (r->>1)::timestamptz, (r->>1)::timestamptz
           FROM json_array_elements($2::json) r`,
        [TENANT, JSON.stringify(rows)],
      );
    });
    if ((start / 1000) % 10 === 0) process.stdout.write(`\r${start + n} tasks…`);
  }
  await yiwang.db.query('ANALYZE');
  const loadSeconds = (Date.now() - t0) / 1000;
  console.log(`\nloaded ${TASKS} open tasks in ${loadSeconds.toFixed(1)} s`);

  const inject = (token: string, method: 'GET' | 'POST', path: string, payload?: unknown, headers: Record<string, string> = {}) =>
    yiwang.app.inject({
      method,
      url: path,
      headers: {
        authorization: `Bearer ${token}`,
        ...(payload !== undefined && !Buffer.isBuffer(payload) ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(payload !== undefined ? { payload: Buffer.isBuffer(payload) ? payload : JSON.stringify(payload) } : {}),
    });

  // Worklist query p50/p99 (first 20 as warm-up).
  const times: number[] = [];
  for (let i = 0; i < QUERIES + 20; i++) {
    const s = performance.now();
    const res = await inject(readerToken, 'GET', '/api/imaging/cases?view=centre&open=1&count=50');
    const ms = performance.now() - s;
    if (res.statusCode !== 200) throw new Error(`worklist ${res.statusCode} ${res.body.slice(0, 300)}`);
    if (i === 0 && (JSON.parse(res.body) as { items: unknown[] }).items.length !== 50)
      throw new Error('the worklist did not answer 50 items');
    if (i >= 20) times.push(ms);
  }
  const worklist = summarize(times);
  console.log(`worklist (50 of ${TASKS} open) p50 ${worklist.p50.toFixed(1)} ms, p99 ${worklist.p99.toFixed(1)} ms`);

  // Upload to worklist: request (not timed), STOW-RS of one CT, then the worklist until the case is on it.
  await repo.update('Patient', 'pu', {
    resourceType: 'Patient',
    id: 'pu',
    name: [{ text: '王小东', family: '王', given: ['小东'] }],
    gender: 'male',
    birthDate: '1950-03-01',
    managingOrganization: { reference: 'Organization/T0' },
  });
  const latencies: number[] = [];
  const stowTimes: number[] = [];
  for (let i = 0; i < UPLOADS; i++) {
    const req = await inject(townshipToken, 'POST', '/api/imaging/requests', {
      patient: 'Patient/pu',
      item: 'CT-head',
      priority: 'urgent',
      reason: '基准测试',
    });
    if (req.statusCode !== 201) throw new Error(`request ${req.statusCode} ${req.body.slice(0, 300)}`);
    const { serviceRequest, task } = JSON.parse(req.body) as { serviceRequest: { id: string }; task: string };
    const file = await orthanc.modify('single/CT_small.dcm', {
      PatientName: '王^小东',
      PatientBirthDate: '19500301',
      PatientSex: 'M',
      StudyInstanceUID: newUid(),
      SeriesInstanceUID: newUid(),
      SOPInstanceUID: newUid(),
    });
    const { body, contentType } = buildMultipart([file]);
    const s = performance.now();
    const stow = await inject(townshipToken, 'POST', `/dicomweb/studies?request=ServiceRequest/${serviceRequest.id}`, body, {
      'content-type': contentType,
    });
    stowTimes.push(performance.now() - s);
    if (stow.statusCode !== 200) throw new Error(`STOW ${stow.statusCode} ${stow.body.slice(0, 300)}`);
    for (;;) {
      const list = await inject(readerToken, 'GET', '/api/imaging/cases?view=centre&open=1&count=50&state=requested');
      if ((JSON.parse(list.body) as { items: { task: { id: string } }[] }).items.some((x) => x.task.id === task)) break;
    }
    latencies.push(performance.now() - s);
  }
  const upload = summarize(latencies);
  const stowOnly = summarize(stowTimes);
  console.log(
    `upload → on the worklist: p50 ${upload.p50.toFixed(1)} ms, p99 ${upload.p99.toFixed(1)} ms (STOW-RS alone p50 ${stowOnly.p50.toFixed(1)} ms)`,
  );
  const file = writeResult(`reading-${TASKS}`, {
    date: new Date().toISOString(),
    tasks: TASKS,
    loadSeconds,
    worklistMs: worklist,
    uploadToWorklistMs: upload,
    stowMs: stowOnly,
  });
  console.log(`written ${file}`);
  await yiwang.close();
  await orthanc.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
