/**
 * The pathology centre's quality indicators over a period [from, to) (docs/pathology.md), for the cases the caller's
 * side may see (the centre its own, a requester its requests):
 *
 *   rejection rate    rejected specimens / specimens that arrived (received or rejected), arrival in the period —
 *                     overall, by reason and by requesting institution
 *   cold ischaemia    removal → fixation minutes of specimens that arrived in the period: median, p90, share within the
 *                     catalogue's limit (specimens sent fresh have none and are left out)
 *   turnaround        receipt of the diagnosed specimen → signed report, reports signed in the period: median, p90
 * each also per item.
 */
import type { Repository } from '../../platform/fhir/repository.js';
import type { CaseScope } from '../reading/access.js';
import { percentile } from '../reading/stats.js';
import { catalogueOn } from './model.js';

interface ArrivalRow {
  item_code: string | null;
  requester_org: string | null;
  status: string;
  reject_reason: string | null;
  cold_minutes: number | string | null;
}

const rate = (n: number, d: number) => (d ? Math.round((n / d) * 1000) / 1000 : null);
const sortedNumbers = (values: (number | string | null)[]) =>
  values
    .filter((v) => v !== null)
    .map(Number)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);

function summary(rows: ArrivalRow[], turnaround: number[], limit: number) {
  const rejected = rows.filter((r) => r.status === 'rejected').length;
  const cold = sortedNumbers(rows.map((r) => r.cold_minutes));
  const withinLimit = cold.filter((m) => m <= limit).length;
  return {
    arrived: rows.length,
    rejected,
    rejectionRate: rate(rejected, rows.length),
    coldIschaemiaMinutes: {
      measured: cold.length,
      median: percentile(cold, 0.5),
      p90: percentile(cold, 0.9),
      withinLimit,
      withinLimitShare: rate(withinLimit, cold.length),
    },
    turnaroundMinutes: { reports: turnaround.length, median: percentile(turnaround, 0.5), p90: percentile(turnaround, 0.9) },
  };
}

export async function qualityStats(repo: Repository, scope: CaseScope, from: Date, to: Date, now: Date) {
  const { coldIschaemiaLimitMinutes: limit, rejectionReasons: reasons } = catalogueOn(now);
  const params: unknown[] = [repo.tenant, from.toISOString(), to.toISOString()];
  let where = '';
  if (!scope.all) {
    params.push(scope.subtree);
    where = ' AND (owner_org = ANY($4::text[]) OR requester_org = ANY($4::text[]))';
  }
  const arrivals = await repo.query<ArrivalRow>(
    `SELECT item_code, requester_org, status, reject_reason, cold_minutes FROM pathology_specimen
      WHERE tenant = $1 AND kind = 'specimen' AND coalesce(received_at, rejected_at) >= $2::timestamptz
        AND coalesce(received_at, rejected_at) < $3::timestamptz${where}`,
    params,
  );
  const signed = await repo.query<{ item_code: string | null; minutes: number | string }>(
    `SELECT item_code, EXTRACT(EPOCH FROM (signed_at - images_at)) / 60 AS minutes FROM reading_case
      WHERE tenant = $1 AND centre = 'pathology' AND images_at IS NOT NULL AND signed_at >= $2::timestamptz
        AND signed_at < $3::timestamptz${where}`,
    params,
  );
  const items = [...new Set([...arrivals.map((r) => r.item_code ?? '?'), ...signed.map((r) => r.item_code ?? '?')])].sort();
  const count = (key: (r: ArrivalRow) => string | null) => {
    const groups = new Map<string, { arrived: number; rejected: number }>();
    for (const r of arrivals) {
      const k = key(r);
      if (k === null) continue;
      const g = groups.get(k) ?? { arrived: 0, rejected: 0 };
      g.arrived += 1;
      if (r.status === 'rejected') g.rejected += 1;
      groups.set(k, g);
    }
    return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
  };
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    coldIschaemiaLimitMinutes: limit,
    total: summary(arrivals, sortedNumbers(signed.map((r) => r.minutes)), limit),
    byItem: items.map((item) => ({
      item,
      ...summary(
        arrivals.filter((r) => (r.item_code ?? '?') === item),
        sortedNumbers(signed.filter((r) => (r.item_code ?? '?') === item).map((r) => r.minutes)),
        limit,
      ),
    })),
    rejectionsByReason: count((r) => (r.status === 'rejected' ? r.reject_reason : null)).map(([code, g]) => ({
      reason: code,
      display: reasons.find((x) => x.code === code)?.display ?? code,
      rejected: g.arrived,
      share: rate(g.arrived, arrivals.length),
    })),
    byRequester: count((r) => r.requester_org ?? '?').map(([organization, g]) => ({
      organization,
      arrived: g.arrived,
      rejected: g.rejected,
      rejectionRate: rate(g.rejected, g.arrived),
    })),
  };
}
