/**
 * Two-way referral (双向转诊, server/src/modules/referral, docs/referral.md): create, list (incoming / outgoing),
 * one referral, its actions, the printable form and statistics.
 */
import { api, authorizedFetch } from '../api/client';
import { query } from '../api/fhir';
import type { AllowedAction, HistoryEntry } from '../tasks/api';

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
  /** A down-referral answers an up-referral (ServiceRequest/… or the referral id). */
  basedOn?: string;
}

export interface Party {
  reference?: string;
  display?: string;
}

/** One referral as the server summarises it. Fields the server does not send stay undefined. */
export interface Referral {
  id: string;
  direction: Direction;
  state: string;
  stateDisplay?: { zh: string; en: string };
  patient?: Party;
  from?: Party;
  to?: Party;
  requester?: Party;
  department?: string;
  reason?: string;
  diagnosis?: Coded[];
  summary?: string;
  attachments?: (string | Party)[];
  urgency?: Urgency;
  slot?: Slot;
  followUpPlan?: string | { text?: string; [k: string]: unknown };
  rejectionReason?: string;
  createdAt?: string;
  authoredOn?: string;
  due?: string;
  overdue?: boolean;
  taskId?: string;
  allowedActions?: (AllowedAction | string)[];
  history?: HistoryEntry[];
  basedOn?: string;
}

export interface ReferralStats {
  [k: string]: unknown;
}

export interface ListQuery {
  view?: 'incoming' | 'outgoing';
  direction?: Direction;
  state?: string;
}

export function createReferral(body: NewReferral): Promise<Referral> {
  return api('/api/referrals', { method: 'POST', body });
}

export async function listReferrals(q: ListQuery): Promise<Referral[]> {
  const r = await api<{ items?: Referral[] } | Referral[]>(`/api/referrals?${query({ ...q })}`);
  return Array.isArray(r) ? r : (r.items ?? []);
}

export function getReferral(id: string): Promise<Referral> {
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
  const res = await authorizedFetch(`/api/referrals/${encodeURIComponent(id)}/form.pdf`, undefined, 'application/pdf');
  const url = URL.createObjectURL(await res.blob());
  if (win) win.location.href = url;
  else window.location.href = url;
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export const partyName = (p: Party | undefined): string => p?.display ?? p?.reference ?? '—';
export const planText = (p: Referral['followUpPlan']): string | undefined =>
  typeof p === 'string' ? p : typeof p?.text === 'string' ? p.text : p ? JSON.stringify(p) : undefined;
