/**
 * Referral statistics (转诊统计) over referrals started in [from, to) that the caller may see:
 * counts per direction, acceptance rate = accepted / decided (accepted + rejected; external: confirmed / (confirmed +
 * returned)), median and 90th percentile of the time from sending to acceptance (nearest-rank percentile; the median of
 * an even count is the mean of the two middle values), rejection reasons with counts, and the same per institution.
 */
import type { Organization } from '@medplum/fhirtypes';
import type { Repository } from '../../platform/fhir/repository.js';
import { findTasks, transitionsOf, type TransitionRecord } from '../../platform/workflow/worklist.js';
import { readVisible } from '../../platform/workflow/routes.js';
import { REFERRAL_WORKFLOWS, WORKFLOW_OF, type Direction } from './model.js';
import { median, percentile } from '../../platform/statistics.js';

const DIRECTION_OF_WORKFLOW = Object.fromEntries(Object.entries(WORKFLOW_OF).map(([d, w]) => [w, d])) as Record<string, Direction>;
const ACCEPT = new Set(['accept', 'confirm']);
const REJECT = new Set(['reject', 'return']);

export interface Figures {
  total: number;
  accepted: number;
  rejected: number;
  cancelled: number;
  pending: number;
  /** accepted / (accepted + rejected); null when nothing was decided. */
  acceptanceRate: number | null;
  /** Hours from sending to acceptance. */
  hoursToAcceptance: { median: number | null; p90: number | null };
}

export interface ReferralStats {
  from: string;
  to: string;
  total: Figures;
  byDirection: Record<Direction, Figures>;
  rejectionReasons: { reason: string; count: number }[];
  byReceivingInstitution: ({ institution: string; display?: string } & Figures)[];
  byReferringInstitution: ({ institution: string; display?: string } & Figures)[];
}

interface Item {
  direction: Direction;
  owner: string;
  requesterOrg: string;
  outcome: 'accepted' | 'rejected' | 'cancelled' | 'pending';
  hours?: number;
  reason?: string;
}

const round = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);

function figures(items: Item[]): Figures {
  const count = (o: Item['outcome']) => items.filter((i) => i.outcome === o).length;
  const accepted = count('accepted');
  const rejected = count('rejected');
  const hours = items.filter((i) => i.hours !== undefined).map((i) => i.hours as number);
  return {
    total: items.length,
    accepted,
    rejected,
    cancelled: count('cancelled'),
    pending: count('pending'),
    acceptanceRate: accepted + rejected ? round(accepted / (accepted + rejected)) : null,
    hoursToAcceptance: { median: round(median(hours)), p90: round(percentile(hours, 90)) },
  };
}

function groupBy(items: Item[], key: (i: Item) => string): Map<string, Item[]> {
  const m = new Map<string, Item[]>();
  for (const i of items) m.set(key(i), [...(m.get(key(i)) ?? []), i]);
  return m;
}

export async function referralStats(repo: Repository, system: Repository, from: Date, to: Date): Promise<ReferralStats> {
  const rows = await findTasks(repo, {
    workflows: REFERRAL_WORKFLOWS,
    includeClosed: true,
    startedFrom: from,
    startedBefore: to,
    count: 10_000,
  });
  const log = await transitionsOf(
    repo,
    rows.map((r) => r.row.task_id),
  );
  const byTask = new Map<string, TransitionRecord[]>();
  for (const step of log) byTask.set(step.taskId, [...(byTask.get(step.taskId) ?? []), step]);
  const items: Item[] = rows.map(({ row }) => {
    const steps = byTask.get(row.task_id) ?? [];
    const start = steps.find((s) => s.action === 'start');
    const accept = steps.find((s) => ACCEPT.has(s.action));
    const reject = steps.find((s) => REJECT.has(s.action));
    const cancelled = steps.some((s) => s.action === 'cancel');
    const outcome: Item['outcome'] = accept ? 'accepted' : reject ? 'rejected' : cancelled ? 'cancelled' : 'pending';
    return {
      direction: DIRECTION_OF_WORKFLOW[row.workflow],
      owner: row.owner ?? '',
      requesterOrg: row.requester_org ?? '',
      outcome,
      ...(accept && start ? { hours: (Date.parse(accept.at) - Date.parse(start.at)) / 3600_000 } : {}),
      ...(reject?.reason ? { reason: reject.reason } : {}),
    };
  });
  const names = await readVisible(system, [
    ...new Set(items.flatMap((i) => [i.owner, i.requesterOrg]).filter((r) => r.startsWith('Organization/'))),
  ]);
  const per = (key: (i: Item) => string) =>
    [...groupBy(items, key)]
      .map(([institution, list]) => ({
        institution,
        ...(names.get(institution) ? { display: (names.get(institution) as Organization).name } : {}),
        ...figures(list),
      }))
      .sort((a, b) => b.total - a.total || a.institution.localeCompare(b.institution));
  const reasons = groupBy(
    items.filter((i) => i.reason),
    (i) => i.reason as string,
  );
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    total: figures(items),
    byDirection: {
      up: figures(items.filter((i) => i.direction === 'up')),
      down: figures(items.filter((i) => i.direction === 'down')),
      external: figures(items.filter((i) => i.direction === 'external')),
    },
    rejectionReasons: [...reasons]
      .map(([reason, list]) => ({ reason, count: list.length }))
      .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    byReceivingInstitution: per((i) => i.owner),
    byReferringInstitution: per((i) => i.requesterOrg),
  };
}
