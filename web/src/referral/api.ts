/**
 * Two-way referral (双向转诊, server/src/modules/referral, docs/referral.md): create, list (incoming / outgoing),
 * one referral, its actions, the printable form and statistics.
 */
import { api, authorizedFetch } from '../api/client';
import { query } from '../api/fhir';
import type { Resource, ServiceRequest } from '../api/types';
import type { HistoryEntry, WorkItem } from '../tasks/api';

export type Direction = 'up' | 'down' | 'external';
export type Urgency = 'routine' | 'urgent';
export type ReferralAction = 'accept' | 'reject' | 'arrive' | 'complete' | 'cancel';

export interface Coded {
  code?: string;
  display: string;
}

export interface Slot {
  start: string;
  end?: string;
  /** 'outpatient' (门诊号) or 'bed' (床位). */
  kind: string;
}

export interface NewReferral {
  direction: Direction;
  patient: string;
  to: string;
  department?: string;
  reason: string;
  diagnosis: Coded[];
  summary: string;
  attachments?: string[];
  urgency: Urgency;
  slot?: Slot;
  followUpPlan?: string;
  /** The referral this one answers ('ServiceRequest/<id>'): a down-referral after an up-referral. */
  basedOn?: string;
}

export interface Party {
  reference: string;
  display?: string;
}

/** One referral (server/src/modules/referral/service.ts ReferralSummary): its workflow task summary plus the request. */
export interface Referral extends WorkItem {
  /** The ServiceRequest id: the referral's id in every route. */
  id: string;
  direction: Direction;
  serviceRequest: ServiceRequest;
  from?: Party;
  to?: Party;
  department?: Party;
  urgency: string;
  reason?: string;
  diagnosis: { code?: string; display?: string }[];
  createdAt?: string;
}

/** GET /api/referrals/:id: the summary with the history, the attached records and the follow-up tasks. */
export interface ReferralDetail extends Referral {
  history: HistoryEntry[];
  attachments: { reference: string; resource: Resource | null }[];
  followUpTasks: WorkItem[];
}

/** Figures of a set of referrals (stats.ts). */
export interface Figures {
  total: number;
  accepted: number;
  rejected: number;
  cancelled: number;
  pending: number;
  acceptanceRate: number | null;
  hoursToAcceptance: { median: number | null; p90: number | null };
}

export interface ReferralStats {
  from: string;
  to: string;
  total: Figures;
  byDirection: Record<Direction, Figures>;
  rejectionReasons: { reason: string; count: number }[];
}

export interface ListQuery {
  view?: 'incoming' | 'outgoing';
  direction?: Direction;
  state?: string;
  /** Only referrals not yet in a final state. */
  open?: boolean;
}

export function createReferral(body: NewReferral): Promise<{ id: string; referral: Referral }> {
  return api('/api/referrals', { method: 'POST', body });
}

export async function listReferrals(q: ListQuery): Promise<Referral[]> {
  return (await api<{ items: Referral[] }>(`/api/referrals?${query({ ...q, open: q.open ? '1' : undefined })}`)).items;
}

export function getReferral(id: string): Promise<ReferralDetail> {
  return api(`/api/referrals/${encodeURIComponent(id)}`);
}

export function act(id: string, action: ReferralAction | string, body: { reason?: string; note?: string } = {}): Promise<Referral> {
  return api(`/api/referrals/${encodeURIComponent(id)}/${action}`, { method: 'POST', body });
}

export function stats(): Promise<ReferralStats> {
  return api('/api/referrals/stats');
}

/** Opens the printable referral form (PDF, needs the token: fetched, then shown from a blob URL). */
export async function openForm(id: string): Promise<void> {
  const win = window.open('', '_blank');
  let res: Response;
  try {
    res = await authorizedFetch(`/api/referrals/${encodeURIComponent(id)}/form.pdf`, undefined, 'application/pdf');
  } catch (e) {
    win?.close();
    throw e;
  }
  const url = URL.createObjectURL(await res.blob());
  if (win) win.location.href = url;
  else window.location.href = url;
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export const partyName = (p: Party | undefined): string => p?.display ?? p?.reference ?? '—';

const EXT = 'https://yiwang.cn/fhir/StructureDefinition/';
const ext = (r: Referral, name: string) => r.serviceRequest.extension?.find((e) => e.url === EXT + name);

/** The clinical summary (or, down, the discharge summary): the request's first note. */
export const summaryOf = (r: Referral): string | undefined => r.serviceRequest.note?.[0]?.text;
export const followUpPlanOf = (r: Referral): string | undefined => ext(r, 'referral-follow-up-plan')?.valueString;
export function slotOf(r: Referral): Slot | undefined {
  const start = r.serviceRequest.occurrencePeriod?.start;
  const kind = ext(r, 'referral-slot-kind')?.valueCode;
  return start && kind ? { start, end: r.serviceRequest.occurrencePeriod?.end, kind } : undefined;
}

/** The department's name without the hospital's ("心血管内科" of "南川区人民医院心血管内科"). */
export function shortDept(r: Referral): string {
  const d = r.department?.display ?? '';
  const h = r.to?.display ?? '';
  return (h && d.startsWith(h) ? d.slice(h.length) : d) || partyName(r.department);
}
