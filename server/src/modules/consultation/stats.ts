/**
 * Consultation statistics (会诊统计) over consultations requested in [from, to) that the caller may see: counts by kind,
 * mode and state; hours from request to acceptance and from request to conclusion (median and nearest-rank 90th
 * percentile, the same definitions as the referral statistics); the mean evaluation score; the share of consultations
 * with an external expert; the fees charged.
 */
import type { ServiceRequest } from '@medplum/fhirtypes';
import type { Repository } from '../../platform/fhir/repository.js';
import { readVisible } from '../../platform/workflow/routes.js';
import { findTasks, transitionsOf } from '../../platform/workflow/worklist.js';
import { median, percentile } from '../../platform/statistics.js';
import { KINDS, kindOf, modeOf, MODES, outputsOf, participantsOf, WORKFLOW } from './model.js';
import { chargesOf } from './service.js';

const round = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);
const spread = (hours: number[]) => ({ median: round(median(hours)), p90: round(percentile(hours, 90)) });
const tally = <T extends string>(keys: readonly T[], values: T[]) =>
  Object.fromEntries(keys.map((k) => [k, values.filter((v) => v === k).length])) as Record<T, number>;

export async function consultationStats(repo: Repository, from: Date, to: Date) {
  const rows = await findTasks(repo, { workflows: [WORKFLOW], includeClosed: true, startedFrom: from, startedBefore: to, count: 10_000 });
  const srs = await readVisible(
    repo,
    rows.map((r) => r.row.focus).filter((x): x is string => !!x),
  );
  const items = rows.flatMap((r) => {
    const sr = srs.get(r.row.focus ?? '') as ServiceRequest | undefined;
    return sr && kindOf(sr) ? [{ row: r.row, task: r.task, sr }] : [];
  });
  const log = await transitionsOf(
    repo,
    items.map((i) => i.row.task_id),
  );
  // The first time each task took each action, looked up by key rather than by scanning the log per consultation.
  const firstAt = new Map<string, string>();
  for (const t of log) if (!firstAt.has(`${t.taskId} ${t.action}`)) firstAt.set(`${t.taskId} ${t.action}`, t.at);
  const hoursTo = (action: string) =>
    items.flatMap(({ row }) => {
      const at = firstAt.get(`${row.task_id} ${action}`);
      return at ? [(Date.parse(at) - new Date(row.started_at).getTime()) / 3600_000] : [];
    });
  const scores = items.map((i) => outputsOf(i.task, 'evaluation-score')[0]?.valueInteger).filter((s): s is number => typeof s === 'number');
  const external = items.filter((i) => participantsOf(i.sr).some((p) => p.role === 'external')).length;
  const charges = await chargesOf(
    repo,
    items.map((i) => i.sr.id as string),
  );
  const states = items.map((i) => i.row.state);
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    total: items.length,
    byKind: tally(
      KINDS,
      items.map((i) => kindOf(i.sr) as (typeof KINDS)[number]),
    ),
    byMode: tally(
      MODES,
      items.map((i) => modeOf(i.sr)),
    ),
    byState: Object.fromEntries([...new Set(states)].sort().map((s) => [s, states.filter((x) => x === s).length])),
    hoursToAcceptance: spread(hoursTo('accept')),
    hoursToConclusion: spread(hoursTo('conclude')),
    evaluation: { count: scores.length, meanScore: scores.length ? round(scores.reduce((a, b) => a + b, 0) / scores.length) : null },
    external: { count: external, share: items.length ? round(external / items.length) : null },
    fees: { currency: 'CNY', total: round(charges.reduce((sum, c) => sum + (c.priceOverride?.value ?? 0), 0)), items: charges.length },
  };
}
