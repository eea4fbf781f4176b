/**
 * Critical values (危急值, server/src/modules/critical-values, docs/critical-values.md): open alerts, one alert with
 * its chain, acknowledgement with read-back, and the timeliness indicator.
 */
import { api } from '../api/client';
import { query } from '../api/fhir';

export type CvView = 'open' | 'overdue' | 'mine' | 'all';

export interface CvParty {
  reference: string;
  display?: string;
}

export interface ChainEvent {
  at: string;
  kind: 'result' | 'released' | 'detected' | 'notified' | 'escalated' | 'acknowledged' | 'corrected' | 'withdrawn';
  /** Bilingual text from the server, e.g. '已通知负责医生 Responsible doctor notified'. */
  text: string;
  reference?: string;
  recipients?: CvParty[];
  level?: number;
}

/** One alert as the server summarises it (views.ts AlertSummary). */
export interface CriticalValue {
  taskId: string;
  link: string;
  /** open: awaiting acknowledgement; acknowledged; withdrawn: the result was corrected, no longer critical; closed: otherwise cancelled. */
  state: 'open' | 'acknowledged' | 'withdrawn' | 'closed';
  patient?: CvParty;
  item: { id: string; name?: string };
  /** As reported, e.g. '7.1 mmol/L', or the finding's name. */
  value: string;
  /** The limit crossed, e.g. '>6.2 mmol/L'. */
  limit?: string;
  direction?: 'low' | 'high';
  owner?: CvParty;
  institution?: string;
  resultAt?: string;
  detectedAt?: string;
  notifiedAt?: string;
  dueAt?: string;
  overdue: boolean;
  escalationLevel: number;
  acknowledgedAt?: string;
  acknowledgedBy?: CvParty;
  readBack?: string;
  action?: string;
  late?: boolean;
  minutesToAcknowledge?: number;
  /** Withdrawn: when and why (bilingual text from the server). */
  withdrawnAt?: string;
  withdrawnReason?: string;
  /** The corrected value the doctor was told of after the alert closed. */
  correctedValue?: string;
}

/** The alert with its chain: result → detection → notification → escalations → acknowledgement. */
export interface CriticalValueChain extends CriticalValue {
  events: ChainEvent[];
}

/** 危急值通报及时率 (views.ts TimelinessIndicator). */
export interface Indicator {
  name: string;
  numerator: number;
  denominator: number;
  rate: number | null;
  acknowledged: number;
  late: number;
  open: number;
  overdue: number;
  medianMinutesToAcknowledge: number | null;
  notifiedWithinLimit: { count: number; known: number; rate: number | null };
  limits: { acknowledgeWithin: string; notifyWithin: string; workflowVersion: string };
}

export const CV_KEY = ['critical-values'] as const;

export async function listCriticalValues(view: CvView): Promise<CriticalValue[]> {
  return (await api<{ items: CriticalValue[] }>(`/api/critical-values?${query({ view })}`)).items;
}

export function criticalValue(taskId: string): Promise<CriticalValueChain> {
  return api(`/api/critical-values/${encodeURIComponent(taskId)}`);
}

export function acknowledge(taskId: string, body: { readBack: string; action?: string }): Promise<CriticalValueChain> {
  return api(`/api/critical-values/${encodeURIComponent(taskId)}/acknowledge`, { method: 'POST', body });
}

export function indicator(): Promise<Indicator> {
  return api('/api/critical-values/indicator');
}

export const partyText = (p: CvParty | undefined): string => p?.display || p?.reference || '—';

/** "血钾 6.8 mmol/L" */
export function resultText(cv: CriticalValue): string {
  const name = cv.item.name ?? cv.item.id;
  return cv.value && cv.value !== name ? `${name} ${cv.value}` : name;
}

/** The task id a critical-value notification is about ('/critical-values/<id>' link or 'Task/<id>' focus). */
export function taskIdOf(n: { link?: string; focus?: string }): string | undefined {
  const m = n.link?.match(/^\/critical-values\/([^/?#]+)/);
  if (m) return decodeURIComponent(m[1]!);
  return n.focus?.startsWith('Task/') ? n.focus.slice(5) : undefined;
}
