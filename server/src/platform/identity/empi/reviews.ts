/**
 * The review queue: pairs whose weight fell between the review and link thresholds (or that conflict with an
 * earlier decision), with the per-feature comparison as scored, and the reviewer's decision.
 */
import { randomUUID } from 'node:crypto';
import type { Patient } from '@medplum/fhirtypes';
import { badRequest, conflict, notFound } from '../../fhir/outcomes.js';
import type { Repository } from '../../fhir/repository.js';
import { fetchRawByIds } from '../../fhir/search/search.js';
import { withoutWriteHooks } from '../../fhir/write-hooks.js';
import type { ScoredCandidate } from './candidates.js';
import { patientToPerson } from './person.js';
import { linksOf, moveLinks, systemRepo } from './store.js';

export type ReviewStatus = 'open' | 'linked' | 'distinct' | 'withdrawn';

export interface ReviewRow {
  id: string;
  patient_a: string;
  patient_b: string;
  score: number;
  features: string;
  rules_version: string;
  status: ReviewStatus;
  created_at: string;
  decided_by: string | null;
  decided_at: string | null;
  reason: string | null;
}

export async function queueReviews(sys: Repository, patientId: string, pairs: ScoredCandidate[], rulesVersion: string): Promise<void> {
  const now = sys.now();
  const cols: unknown[][] = [[], [], [], [], []];
  for (const s of pairs) {
    const [a, b] = [patientId, s.patient.id!].sort();
    const { features, decision, reason, cappedBy } = s.score;
    cols[0]!.push(randomUUID());
    cols[1]!.push(a);
    cols[2]!.push(b);
    cols[3]!.push(s.score.weight);
    cols[4]!.push(JSON.stringify({ decision, reason, ...(cappedBy ? { cappedBy } : {}), features }));
  }
  // A pair already decided stays decided; an open one gets the newer score.
  await sys.query(
    `INSERT INTO empi_review (tenant, id, patient_a, patient_b, score, features, rules_version, status, created_at)
     SELECT $1, x.id, x.a, x.b, x.s, x.f, $7, 'open', $8 FROM unnest($2::text[], $3::text[], $4::text[], $5::float8[], $6::text[]) AS x(id, a, b, s, f)
     ON CONFLICT (tenant, patient_a, patient_b) DO UPDATE SET score = EXCLUDED.score, features = EXCLUDED.features, rules_version = EXCLUDED.rules_version,
       status = CASE WHEN empi_review.status = 'withdrawn' THEN 'open' ELSE empi_review.status END`,
    [sys.tenant, ...cols, rulesVersion, now],
  );
}

export async function withdrawReviews(sys: Repository, patientId: string): Promise<void> {
  await sys.query(
    `UPDATE empi_review SET status = 'withdrawn', decided_at = $3, reason = 'source record deleted'
      WHERE tenant = $1 AND status = 'open' AND (patient_a = $2 OR patient_b = $2)`,
    [sys.tenant, patientId, sys.now()],
  );
}

export async function listReviews(repo: Repository, status: ReviewStatus, limit = 100): Promise<ReviewRow[]> {
  return repo.query<ReviewRow>(
    `SELECT id, patient_a, patient_b, score, features, rules_version, status, created_at::text AS created_at, decided_by,
            decided_at::text AS decided_at, reason
       FROM empi_review WHERE tenant = $1 AND status = $2 ORDER BY created_at, id LIMIT ${Math.max(1, Math.min(limit, 500))}`,
    [repo.tenant, status],
  );
}

/** The two records side by side: each feature's value on either side, with the level and weight it scored. */
export function sideBySide(row: ReviewRow, a: Patient | undefined, b: Patient | undefined) {
  const scored = JSON.parse(row.features) as {
    decision: string;
    reason: string;
    cappedBy?: string;
    features: { feature: string; level: string | null; weight: number }[];
  };
  const pa = a ? patientToPerson(a) : undefined;
  const pb = b ? patientToPerson(b) : undefined;
  const value = (p: ReturnType<typeof patientToPerson> | undefined, feature: string): string | undefined => {
    if (!p) return undefined;
    if (feature === 'surname') return p.familyName;
    if (feature === 'givenName') return p.givenName;
    if (feature === 'sex') return p.sex;
    return p[feature as 'birthDate' | 'idNumber' | 'phone' | 'address'];
  };
  return {
    id: row.id,
    status: row.status,
    score: row.score,
    rulesVersion: row.rules_version,
    decision: scored.decision,
    ...(scored.cappedBy ? { cappedBy: scored.cappedBy } : {}),
    createdAt: row.created_at,
    patients: [
      { reference: `Patient/${row.patient_a}`, resource: a },
      { reference: `Patient/${row.patient_b}`, resource: b },
    ],
    fields: scored.features.map((f) => ({
      feature: f.feature,
      a: value(pa, f.feature),
      b: value(pb, f.feature),
      level: f.level,
      weight: f.weight,
    })),
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
    reason: row.reason,
  };
}

/** Reads the records of the pairs (through the caller's repository: its access filter applies). */
export async function patientsOf(repo: Repository, rows: ReviewRow[]): Promise<Map<string, Patient>> {
  const ids = [...new Set(rows.flatMap((r) => [r.patient_a, r.patient_b]))];
  if (!ids.length) return new Map();
  return new Map((await fetchRawByIds(repo, 'Patient', ids)).map((r) => [r.id, JSON.parse(r.content) as Patient]));
}

/**
 * A reviewer's decision. 'link': the two records' persons become one (the reviewed record's link gets level2).
 * 'distinct': the pair is never linked automatically again.
 */
export async function decideReview(
  repo: Repository,
  id: string,
  decision: 'link' | 'distinct',
  reason: string | undefined,
  by: string,
): Promise<ReviewRow> {
  if (decision !== 'link' && decision !== 'distinct') throw badRequest("decision must be 'link' or 'distinct'", 'decision');
  return repo.withTransaction((tx) =>
    withoutWriteHooks(async () => {
      const sys = systemRepo(tx);
      const [row] = await sys.query<ReviewRow>('SELECT * FROM empi_review WHERE tenant = $1 AND id = $2 FOR UPDATE', [sys.tenant, id]);
      if (!row) throw notFound(`Review ${id} not found`);
      if (row.status !== 'open') throw conflict(`Review ${id} was already decided (${row.status})`);
      if (decision === 'link') {
        const links = await linksOf(sys, [row.patient_a, row.patient_b]);
        const into = links.get(row.patient_a)?.person_id;
        const from = links.get(row.patient_b)?.person_id;
        if (!into || into !== from) {
          // Every record of b's person joins a's person; the reviewed pair is confirmed (level2).
          const moving = from
            ? await sys.query<{ patient_id: string; assurance: string }>(
                'SELECT patient_id, assurance FROM empi_link WHERE tenant = $1 AND person_id = $2',
                [sys.tenant, from],
              )
            : [];
          const links2 = moving
            .filter((m) => m.patient_id !== row.patient_b)
            .map((m) => ({ patient: m.patient_id, assurance: m.assurance as 'level4' }));
          const extra = into ? [] : [{ patient: row.patient_a, assurance: 'level4' as const }];
          await moveLinks(
            sys,
            into,
            [...extra, ...links2, { patient: row.patient_b, assurance: 'level2' }],
            `review ${id}: linked by ${by}`,
          );
        }
      }
      const [updated] = await sys.query<ReviewRow>(
        `UPDATE empi_review SET status = $3, decided_by = $4, decided_at = $5, reason = $6 WHERE tenant = $1 AND id = $2
         RETURNING id, patient_a, patient_b, score, features, rules_version, status, created_at::text AS created_at, decided_by, decided_at::text AS decided_at, reason`,
        [sys.tenant, id, decision === 'link' ? 'linked' : 'distinct', by, sys.now(), reason ?? null],
      );
      return updated!;
    }),
  );
}
