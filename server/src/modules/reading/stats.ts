/**
 * Centre statistics over a period (signed reports with signed_at in [from, to)): volume, turnaround time from the
 * images' arrival to the signed report (median, 90th percentile, share within the due time of the priority), positive
 * rate, critical findings, mutual-recognition share, revisions and quality-control rejections — per centre and modality,
 * limited to the cases the caller's side may see (the centre its own, a requester its requests).
 */
import type { Repository } from '../../platform/fhir/repository.js';
import type { CaseScope } from './access.js';
import type { Centre } from './rules.js';
import { percentile as nearestRank } from '../../platform/statistics.js';

export interface ModalityStats {
  modality: string;
  reports: number;
  positive: number;
  positiveRate: number | null;
  critical: number;
  recognised: number;
  amended: number;
  turnaroundMinutes: { median: number | null; p90: number | null };
}

/** Nearest-rank percentile of minutes (p from 0 to 1), to one decimal. */
export function percentile(sorted: number[], p: number): number | null {
  const v = nearestRank(sorted, p * 100);
  return v === null ? null : Math.round(v * 10) / 10;
}

export async function centreStats(repo: Repository, centre: Centre, scope: CaseScope, from: Date, to: Date) {
  const params: unknown[] = [repo.tenant, centre, from.toISOString(), to.toISOString()];
  let where = '';
  if (!scope.all) {
    params.push(scope.subtree);
    where = ' AND (c.owner_org = ANY($5::text[]) OR c.requester_org = ANY($5::text[]))';
  }
  const rows = await repo.query<{
    modality: string | null;
    positive: boolean | null;
    critical: boolean;
    recognised: boolean;
    amendments: number;
    minutes: number | string | null;
  }>(
    `SELECT c.modality, c.positive, c.critical, c.recognised, c.amendments,
            EXTRACT(EPOCH FROM (c.signed_at - coalesce(c.images_at, c.requested_at))) / 60 AS minutes
       FROM reading_case c
      WHERE c.tenant = $1 AND c.centre = $2 AND c.signed_at >= $3::timestamptz AND c.signed_at < $4::timestamptz${where}`,
    params,
  );
  const rejects = await repo.query<{ n: number | string }>(
    `SELECT count(*) AS n FROM workflow_transition t JOIN reading_case c ON c.tenant = t.tenant AND c.task_id = t.task_id
      WHERE t.tenant = $1 AND c.centre = $2 AND t.workflow = 'reading' AND t.action = 'qc-reject' AND t.at >= $3::timestamptz AND t.at < $4::timestamptz${where}`,
    params,
  );
  const groups = new Map<string, typeof rows>();
  for (const r of rows) groups.set(r.modality ?? '?', [...(groups.get(r.modality ?? '?') ?? []), r]);
  const summarise = (modality: string, list: typeof rows): ModalityStats => {
    const minutes = list
      .map((r) => Number(r.minutes))
      .filter((m) => Number.isFinite(m))
      .sort((a, b) => a - b);
    const positive = list.filter((r) => r.positive).length;
    return {
      modality,
      reports: list.length,
      positive,
      positiveRate: list.length ? Math.round((positive / list.length) * 1000) / 1000 : null,
      critical: list.filter((r) => r.critical).length,
      recognised: list.filter((r) => r.recognised).length,
      amended: list.filter((r) => Number(r.amendments) > 0).length,
      turnaroundMinutes: { median: percentile(minutes, 0.5), p90: percentile(minutes, 0.9) },
    };
  };
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    total: summarise('all', rows),
    byModality: [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([m, list]) => summarise(m, list)),
    qcRejections: Number(rejects[0]?.n ?? 0),
  };
}
