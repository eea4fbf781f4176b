/**
 * Reading-centre benchmark (issue #7): the centres' worklist queries with 100 000 open reading tasks, and the latency
 * from a sending site's upload to the case being on the centre's worklist; the signing of the report (which writes its
 * PDF) per centre. PostgreSQL, a real Orthanc (the test helper starts one on a loopback port), the app in process
 * (requests through Fastify's inject: no network).
 *
 *   cd server && npx tsx ../bench/reading.ts [--tasks 100000] [--centres imaging,ecg,pathology] [--uploads 30]
 *                                            [--queries 300] [--reuse]
 *
 * - imaging: STOW-RS of one CT → the case on the radiologist's worklist;
 * - ecg: the tracing upload (POST /api/ecg/requests/:id/tracing), a 12-lead JSON tracing at 500 Hz × 10 s and the
 *   public DICOM waveform sample (pydicom's waveform_ecg.dcm, 12 leads at 1000 Hz × 10 s) → the case on the ECG
 *   reader's worklist;
 * - pathology: the request with two specimens → sent (送检) → received (/receive) → the case on the pathologist's
 *   worklist (the whole chain timed, and each step);
 * - every uploaded case is then claimed, reported and signed by a second reader: the `sign` call (which renders the
 *   report's PDF; the ECG one with its 12-lead page) is timed, the PDF's size kept, and the PDF rendered again alone
 *   from the signed report (reading/pdf.ts) to show its share.
 *
 * The open tasks (--tasks in all) are written once as FHIR Tasks through the record store (transactions of 1 000) with
 * their engine and case index rows, spread evenly over the measured centres' departments; each worklist query is the
 * one the page uses (GET /api/<centre>/cases?view=centre&open=1&count=50) as a reader of that department, whose access
 * policy is compiled into it. --reuse keeps the database of an earlier run with the same --tasks and --centres (its
 * uploaded cases stay: signed ones are closed). Prints figures and writes bench/results/reading-<tasks>[-<centres>].json
 * with the memory at the end (bench and app are one process) and the load average.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { DiagnosticReport, Observation, Patient } from '@medplum/fhirtypes';
import { buildApp } from '../server/src/app.js';
import { loadConfig } from '../server/src/config.js';
import { createUser, hashPassword } from '../server/src/platform/auth/index.js';
import { buildMultipart } from '../server/src/platform/exchange/dicomweb/multipart.js';
import { findCjkFont } from '../server/src/platform/print/font.js';
import { businessStatus } from '../server/src/platform/workflow/fhir.js';
import { leadsOf } from '../server/src/modules/ecg/fhir.js';
import { drawTracing } from '../server/src/modules/ecg/print.js';
import { reportPdf } from '../server/src/modules/reading/pdf.js';
import { READING_WORKFLOWS } from '../server/src/modules/reading/rules.js';
import { jsonTracing } from '../server/test/ecg-fixtures.js';
import { newUid, PYDICOM, startOrthanc, type TestOrthanc } from '../server/test/helpers/orthanc.js';
import { ensureDatabase, summarize, writeResult } from './lib.js';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '100000' },
    centres: { type: 'string', default: 'imaging' },
    uploads: { type: 'string', default: '30' },
    queries: { type: 'string', default: '300' },
    reuse: { type: 'boolean', default: false },
  },
});
const TASKS = Number(values.tasks);
const UPLOADS = Number(values.uploads);
const QUERIES = Number(values.queries);
const TENANT = 'bench';

type Centre = 'imaging' | 'ecg' | 'pathology';
/** Each centre's department, its name and the item and modality of the background cases. */
const CENTRES: Record<Centre, { org: string; name: string; item: string; modality: string }> = {
  imaging: { org: 'IH', name: '县人民医院医学影像科', item: 'CT-head', modality: 'CT' },
  ecg: { org: 'EH', name: '县人民医院心电诊断中心', item: 'ECG-12', modality: 'ECG' },
  pathology: { org: 'PH', name: '县人民医院病理科', item: 'PATH-surgical', modality: 'SM' },
};
const centres = values.centres.split(',').map((c) => c.trim()) as Centre[];
for (const c of centres) if (!(c in CENTRES)) throw new Error(`unknown centre '${c}' (imaging, ecg, pathology)`);

const ms = (x: number) => `${x.toFixed(1)} ms`;
const fig = (name: string, s: { p50: number; p99: number }) => `${name} p50 ${ms(s.p50)}, p99 ${ms(s.p99)}`;
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

/** Orthanc is stopped whatever happens (a refused --reuse, a failed step): it would outlive the bench otherwise. */
async function main() {
  const orthanc = await startOrthanc();
  try {
    await run(orthanc);
  } finally {
    await orthanc.stop();
  }
}

async function run(orthanc: TestOrthanc) {
  const loadAtStart = loadavg();
  const url = await ensureDatabase('yiwang_bench_reading', !values.reuse);
  const config = {
    ...loadConfig({}, { DATABASE_URL: url, YIWANG_TENANT: TENANT, LOG_LEVEL: 'silent', YIWANG_MEMORY: '0' }),
    orthanc: { url: orthanc.url, username: orthanc.username, password: orthanc.password },
  };
  const yiwang = await buildApp(config, { logger: false });
  const repo = yiwang.systemRepository(TENANT);
  const org = (id: string, name: string, partOf?: string, role?: Centre) =>
    repo.update('Organization', id, {
      resourceType: 'Organization',
      id,
      name,
      ...(role ? { type: [{ coding: [{ system: 'urn:yiwang:centre-role', code: role }] }] } : {}),
      ...(partOf ? { partOf: { reference: `Organization/${partOf}` } } : {}),
    });
  await org('C', '医共体');
  await org('H', '县人民医院', 'C', 'imaging');
  for (const c of Object.keys(CENTRES) as Centre[]) await org(CENTRES[c].org, CENTRES[c].name, 'H', c);
  for (let t = 0; t < 20; t++) await org(`T${t}`, `第${t}乡镇卫生院`, 'C');
  for (const id of ['township', ...Object.keys(CENTRES).flatMap((c) => [`${c}-reader1`, `${c}-reader2`])])
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
  const townshipToken = await session(['township-doctor'], 'T0', 'township');
  const readers = {} as Record<Centre, [string, string]>;
  for (const c of centres)
    readers[c] = [
      await session(['county-specialist'], CENTRES[c].org, `${c}-reader1`),
      await session(['county-specialist'], CENTRES[c].org, `${c}-reader2`),
    ];

  // 1 000 residents, the open reading tasks spread over 20 townships and the measured centres' departments.
  const t0 = Date.now();
  const patients = 1000;
  const expected = Object.fromEntries(
    centres.map((c, k) => [c, Math.floor(TASKS / centres.length) + (k < TASKS % centres.length ? 1 : 0)]),
  );
  const loaded = values.reuse
    ? await repo.query<{ centre: string; n: string }>(
        `SELECT centre, count(*) AS n FROM reading_case WHERE tenant = $1 AND task_id LIKE 'bt%' GROUP BY centre`,
        [TENANT],
      )
    : [];
  const reused = values.reuse && loaded.length === centres.length && loaded.every((r) => Number(r.n) === expected[r.centre as Centre]);
  if (values.reuse && !reused)
    throw new Error(`--reuse: the database holds ${JSON.stringify(loaded)}, not ${JSON.stringify(expected)}; run once without --reuse`);
  if (!reused) {
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
          const centre = centres[i % centres.length]!;
          const { org: owner, item, modality } = CENTRES[centre];
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
              owner: { reference: `Organization/${owner}` },
              requester: { reference: 'Practitioner/township' },
              input: [{ type: { text: 'centre' }, valueCode: centre }],
            },
            { assignedId: id },
          );
          rows.push([
            id,
            at,
            `Patient/p${i % patients}`,
            `ServiceRequest/bsr${i}`,
            `Organization/T${i % 20}`,
            centre,
            `Organization/${owner}`,
            item,
            modality,
          ]);
        }
        await tx.query(
          `INSERT INTO workflow_task (tenant, task_id, workflow, version, state, entry, entered_at, due_at, final, priority, owner, requester, requester_org, patient, focus, escalation_level, started_at)
           SELECT $1, r->>0, 'reading', $3, 'requested', 1, (r->>1)::timestamptz, NULL, false, 'routine', r->>6, 'Practitioner/township', r->>4, r->>2, r->>3, 0, (r->>1)::timestamptz
             FROM json_array_elements($2::json) r`,
          [TENANT, JSON.stringify(rows), readingDef.version],
        );
        await tx.query(
          `INSERT INTO reading_case (tenant, task_id, centre, service_request, patient, requester_org, owner_org, item_code, modality, requested_at, images_at)
           SELECT $1, r->>0, r->>5, r->>3, r->>2, r->>4, r->>6, r->>7, r->>8, (r->>1)::timestamptz, (r->>1)::timestamptz
             FROM json_array_elements($2::json) r`,
          [TENANT, JSON.stringify(rows)],
        );
      });
      if ((start / 1000) % 10 === 0) process.stdout.write(`\r${start + n} tasks…`);
    }
    await yiwang.db.query('ANALYZE');
  }
  const loadSeconds = reused ? null : (Date.now() - t0) / 1000;
  console.log(
    reused
      ? `reusing ${TASKS} open tasks (${JSON.stringify(expected)})`
      : `\nloaded ${TASKS} open tasks (${JSON.stringify(expected)}) in ${loadSeconds!.toFixed(1)} s`,
  );

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
  const ok = async (what: string, status: number, p: ReturnType<typeof inject>) => {
    const res = await p;
    if (res.statusCode !== status) throw new Error(`${what}: ${res.statusCode} ${res.body.slice(0, 400)}`);
    return JSON.parse(res.body) as Record<string, any>;
  };
  /** Polls the centre's worklist (state requested, as the page's first tab) until the task is on it. */
  const untilOnWorklist = async (centre: Centre, task: string) => {
    for (;;) {
      const list = await inject(readers[centre][0], 'GET', `/api/${centre}/cases?view=centre&open=1&count=50&state=requested`);
      if ((JSON.parse(list.body) as { items: { task: { id: string } }[] }).items.some((x) => x.task.id === task)) return;
    }
  };

  await repo.update('Patient', 'pu', {
    resourceType: 'Patient',
    id: 'pu',
    name: [{ text: '王小东', family: '王', given: ['小东'] }],
    gender: 'male',
    birthDate: '1950-03-01',
    managingOrganization: { reference: 'Organization/T0' },
  });
  // The DICOM waveform sample's patient: a woman born 1971-01-23 (the file is anonymised: no name).
  await repo.update('Patient', 'pq', {
    resourceType: 'Patient',
    id: 'pq',
    name: [{ text: '李秀英', family: '李', given: ['秀英'] }],
    gender: 'female',
    birthDate: '1971-01-23',
    managingOrganization: { reference: 'Organization/T0' },
  });

  const font = findCjkFont();
  if (!font) throw new Error('no CJK font: the reports would have no PDF (apt-get install fonts-wqy-microhei)');
  /** Reader 1 claims the case and submits the preliminary report. */
  const claimAndReport = async (centre: Centre, task: string, report: Record<string, unknown>) => {
    await ok(`${centre} claim`, 200, inject(readers[centre][0], 'POST', `/api/${centre}/cases/${task}/claim`, {}));
    await ok(`${centre} report`, 200, inject(readers[centre][0], 'POST', `/api/${centre}/cases/${task}/report`, report));
  };
  const centreZh: Record<Centre, string> = { imaging: '影像', ecg: '心电', pathology: '病理' };
  /** Signs a case reported by reader 1 with reader 2: the sign call's time, the PDF's size, and the PDF alone. */
  const signings: Record<string, { signMs: number[]; renderMs: number[]; pdfBytes: number[] }> = {};
  const sign = async (label: string, centre: Centre, task: string) => {
    const s = performance.now();
    const signed = await ok(`${label} sign`, 200, inject(readers[centre][1], 'POST', `/api/${centre}/cases/${task}/sign`, {}));
    const signMs = performance.now() - s;
    const report = signed.report as DiagnosticReport;
    const pdf = report.presentedForm?.find((f) => f.contentType === 'application/pdf');
    if (!pdf?.data) throw new Error(`${label}: the signed report has no PDF`);
    const bytes = Buffer.from(pdf.data, 'base64');
    if (bytes.subarray(0, 4).toString() !== '%PDF') throw new Error(`${label}: not a PDF`);
    // The same PDF rendered alone (the names as the service prints them; the ECG page from the tracing Observation).
    const patient = (await repo.read('Patient', report.subject!.reference!.split('/')[1]!)) as Patient;
    const tracing =
      centre === 'ecg' ? ((await repo.read('Observation', report.result![0]!.reference!.split('/')[1]!)) as Observation) : undefined;
    const r = performance.now();
    await reportPdf(
      {
        report,
        centreName: centreZh[centre],
        patient,
        patientName: patient.name?.[0]?.text,
        requesterOrganization: '第0乡镇卫生院',
        centreOrganization: CENTRES[centre].name,
        reporter: `${centre}-reader1`,
        signer: `${centre}-reader2`,
        ...(tracing
          ? { drawing: { title: '十二导联心电图 12-lead ECG', draw: (doc, area) => drawTracing(doc, area, leadsOf(tracing)) } }
          : {}),
      },
      font,
    );
    const entry = (signings[label] ??= { signMs: [], renderMs: [], pdfBytes: [] });
    entry.signMs.push(signMs);
    entry.renderMs.push(performance.now() - r);
    entry.pdfBytes.push(bytes.length);
  };

  const results: Record<string, unknown> = {};
  const worklists: Partial<Record<Centre, ReturnType<typeof summarize>>> = {};

  // Each centre's worklist query p50/p99 (first 20 as warm-up).
  for (const centre of centres) {
    const times: number[] = [];
    for (let i = 0; i < QUERIES + 20; i++) {
      const s = performance.now();
      const res = await inject(readers[centre][0], 'GET', `/api/${centre}/cases?view=centre&open=1&count=50`);
      const took = performance.now() - s;
      if (res.statusCode !== 200) throw new Error(`${centre} worklist ${res.statusCode} ${res.body.slice(0, 300)}`);
      if (i === 0 && (JSON.parse(res.body) as { items: unknown[] }).items.length !== 50)
        throw new Error(`the ${centre} worklist did not answer 50 items`);
      if (i >= 20) times.push(took);
    }
    worklists[centre] = summarize(times);
    console.log(fig(`${centre} worklist (50 of ${expected[centre]} open)`, worklists[centre]));
  }

  if (centres.includes('imaging')) {
    // Upload to worklist: request (not timed), STOW-RS of one CT, then the worklist until the case is on it.
    const latencies: number[] = [];
    const stowTimes: number[] = [];
    for (let i = 0; i < UPLOADS; i++) {
      const { serviceRequest, task } = await ok(
        'imaging request',
        201,
        inject(townshipToken, 'POST', '/api/imaging/requests', {
          patient: 'Patient/pu',
          item: 'CT-head',
          priority: 'urgent',
          reason: '基准测试',
        }),
      );
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
      await ok(
        'STOW-RS',
        200,
        inject(townshipToken, 'POST', `/dicomweb/studies?request=ServiceRequest/${serviceRequest.id}`, body, {
          'content-type': contentType,
        }),
      );
      stowTimes.push(performance.now() - s);
      await untilOnWorklist('imaging', task);
      latencies.push(performance.now() - s);
      await claimAndReport('imaging', task, {
        template: 'ct-head-normal',
        findings: '脑实质内未见异常密度影，中线结构居中。',
        impression: '颅脑CT平扫未见明显异常。',
        positive: false,
      });
      await sign('imaging', 'imaging', task);
    }
    const upload = summarize(latencies);
    const stowOnly = summarize(stowTimes);
    console.log(`${fig('imaging upload → on the worklist:', upload)} (STOW-RS alone p50 ${ms(stowOnly.p50)})`);
    results.imaging = { worklistMs: worklists.imaging, uploadToWorklistMs: upload, stowMs: stowOnly };
  }

  if (centres.includes('ecg')) {
    // The tracing upload, JSON (synthetic, 500 Hz × 10 s) and DICOM (the public sample), then the worklist.
    const files = {
      json: { body: jsonTracing({ rate: 500, seconds: 10 }), type: 'application/json', query: '', patient: 'Patient/pu' },
      dicom: {
        body: readFileSync(`${PYDICOM}single/waveform_ecg.dcm`),
        type: 'application/dicom',
        query: '?filename=waveform_ecg.dcm',
        patient: 'Patient/pq',
      },
    };
    const out: Record<string, unknown> = { worklistMs: worklists.ecg };
    for (const [format, f] of Object.entries(files)) {
      const latencies: number[] = [];
      const uploadTimes: number[] = [];
      for (let i = 0; i < UPLOADS; i++) {
        const { serviceRequest, task } = await ok(
          'ecg request',
          201,
          inject(townshipToken, 'POST', '/api/ecg/requests', {
            patient: f.patient,
            item: 'ECG-12',
            priority: 'urgent',
            reason: '基准测试',
          }),
        );
        const s = performance.now();
        const r = await ok(
          `ecg ${format} upload`,
          201,
          inject(townshipToken, 'POST', `/api/ecg/requests/${serviceRequest.id}/tracing${f.query}`, f.body, { 'content-type': f.type }),
        );
        uploadTimes.push(performance.now() - s);
        if (r.leads !== 12) throw new Error(`ecg ${format}: ${r.leads} leads`);
        await untilOnWorklist('ecg', task);
        latencies.push(performance.now() - s);
        await claimAndReport('ecg', task, {
          template: 'ecg-normal',
          findings: '窦性心律，心率 72 次/分，各间期正常，ST-T无异常。',
          impression: '1. 窦性心律\n2. 正常心电图',
          positive: false,
          conclusions: ['sinus-rhythm', 'normal-ecg'],
        });
        await sign(`ecg-${format}`, 'ecg', task);
      }
      const upload = summarize(latencies);
      const alone = summarize(uploadTimes);
      console.log(`${fig(`ecg ${format} (${f.body.length} bytes) upload → on the worklist:`, upload)} (upload alone p50 ${ms(alone.p50)})`);
      out[format] = { fileBytes: f.body.length, uploadToWorklistMs: upload, uploadMs: alone };
    }
    results.ecg = out;
  }

  if (centres.includes('pathology')) {
    // Request with two specimens → sent (送检) → received → on the pathologist's worklist, all timed, and each step.
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
    const steps = { request: [] as number[], send: [] as number[], receive: [] as number[], total: [] as number[] };
    const [reader1] = readers.pathology;
    const api = (task: string, path: string) => `/api/pathology/cases/${task}${path}`;
    for (let i = 0; i < UPLOADS; i++) {
      const specimens = (
        [
          ['tissue', '胃窦', 1, 30],
          ['biopsy', '胃角', 2, 45],
        ] as const
      ).map(([type, site, count, cold], k) => ({
        type,
        site,
        label: `A${k + 1}`,
        count,
        collected: minutesAgo(180),
        fixed: minutesAgo(180 - cold),
        fixative: 'nbf-10',
      }));
      const s = performance.now();
      const created = await ok(
        'pathology request',
        201,
        inject(townshipToken, 'POST', '/api/pathology/requests', {
          patient: 'Patient/pu',
          item: 'PATH-surgical',
          site: '胃',
          reason: '胃镜见胃窦溃疡，排除恶性',
          priority: 'urgent',
          specimens,
        }),
      );
      const task = created.task as string;
      const a = performance.now();
      await ok('pathology send', 200, inject(townshipToken, 'POST', api(task, '/images'), {}));
      const b = performance.now();
      await ok(
        'pathology receive',
        200,
        inject(reader1, 'POST', api(task, '/receive'), {
          specimens: (created.specimens as { id: string }[]).map((x) => ({ id: x.id, condition: '容器完好' })),
        }),
      );
      const c = performance.now();
      await untilOnWorklist('pathology', task);
      const e = performance.now();
      steps.request.push(a - s);
      steps.send.push(b - a);
      steps.receive.push(c - b);
      steps.total.push(e - s);
      // Claim, grossing (a block per specimen), one HE slide, report; signed by the second pathologist.
      await ok('pathology claim', 200, inject(reader1, 'POST', api(task, '/claim'), {}));
      const blocks: string[] = [];
      for (const [k, sp] of (created.specimens as { id: string }[]).entries()) {
        const g = await ok(
          'grossing',
          200,
          inject(reader1, 'POST', api(task, '/grossing'), { specimen: sp.id, description: '灰白组织一块', blocks: [{ label: `X${k}` }] }),
        );
        blocks.push((g.specimens as { id: string; label: string }[]).find((x) => x.label === `X${k}`)!.id);
      }
      await ok('slide', 200, inject(reader1, 'POST', api(task, '/slides'), { block: blocks[0], stain: 'HE', label: 'X0-1' }));
      await ok(
        'pathology report',
        200,
        inject(reader1, 'POST', api(task, '/report'), {
          template: 'biopsy-chronic-inflammation',
          findings: '镜下见胃黏膜慢性炎，固有层淋巴细胞、浆细胞浸润，未见异型增生。',
          impression: '（胃窦）黏膜慢性炎。',
          positive: false,
          conclusions: ['benign'],
        }),
      );
      await sign('pathology', 'pathology', task);
    }
    const total = summarize(steps.total);
    console.log(
      `${fig('pathology request → sent → received → on the worklist:', total)} (request ${ms(summarize(steps.request).p50)}, send ${ms(summarize(steps.send).p50)}, receive ${ms(summarize(steps.receive).p50)} p50)`,
    );
    results.pathology = {
      worklistMs: worklists.pathology,
      requestToWorklistMs: total,
      requestMs: summarize(steps.request),
      sendMs: summarize(steps.send),
      receiveMs: summarize(steps.receive),
    };
  }

  const signed: Record<string, unknown> = {};
  for (const [label, v] of Object.entries(signings)) {
    const sign_ = summarize(v.signMs);
    const render = summarize(v.renderMs);
    const sizes = [...v.pdfBytes].sort((x, y) => x - y);
    console.log(
      `${fig(`${label} sign (PDF written):`, sign_)}; PDF alone p50 ${ms(render.p50)}, p99 ${ms(render.p99)}; ${sizes[0]}–${sizes[sizes.length - 1]} bytes`,
    );
    signed[label] = { signMs: sign_, pdfRenderMs: render, pdfBytes: { min: sizes[0], max: sizes[sizes.length - 1] } };
  }
  const mem = process.memoryUsage();
  const memory = { rssMb: mb(mem.rss), heapUsedMb: mb(mem.heapUsed), peakRssMb: mb(process.resourceUsage().maxRSS * 1024) };
  const loadAtEnd = loadavg();
  console.log(
    `memory at the end: rss ${memory.rssMb} MB, heap used ${memory.heapUsedMb} MB, peak rss ${memory.peakRssMb} MB; load average ${loadAtStart[0]!.toFixed(1)} → ${loadAtEnd[0]!.toFixed(1)}`,
  );
  const name = centres.length === 1 && centres[0] === 'imaging' ? `reading-${TASKS}` : `reading-${TASKS}-${centres.join('-')}`;
  const file = writeResult(name, {
    date: new Date().toISOString(),
    tasks: TASKS,
    openTasksPerCentre: expected,
    reused,
    loadSeconds,
    uploads: UPLOADS,
    queries: QUERIES,
    ...results,
    signMs: signed,
    memory,
    loadAverage: { start: loadAtStart.map((x) => Math.round(x * 100) / 100), end: loadAtEnd.map((x) => Math.round(x * 100) / 100) },
  });
  console.log(`written ${file}`);
  await yiwang.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
