/**
 * Critical values (危急值, server/src/modules/critical-values, docs/critical-values.md): open alerts, one alert with
 * its chain, acknowledgement with read-back, and the timeliness indicator.
 */
import { api } from '../api/client';
import { query } from '../api/fhir';

export type CvView = 'open' | 'overdue' | 'mine';

export interface CvParty {
  reference?: string;
  display?: string;
}

export interface ChainEntry {
  at?: string;
  event?: string;
  display?: { zh: string; en: string } | string;
  who?: string | CvParty;
  to?: string | CvParty;
  detail?: string;
}

/** One alert as the server summarises it (fields it does not send stay undefined). */
export interface CriticalValue {
  taskId: string;
  patient?: CvParty;
  /** The result: what was measured, the value and unit, the threshold it crossed. */
  item?: string;
  code?: string;
  value?: string | number;
  unit?: string;
  threshold?: string;
  direction?: 'high' | 'low' | string;
  observation?: string;
  orderedBy?: CvParty;
  recipient?: CvParty | string;
  detectedAt?: string;
  createdAt?: string;
  due?: string;
  overdue?: boolean;
  escalationLevel?: number;
  state?: string;
  acknowledgedAt?: string;
  acknowledgedBy?: CvParty | string;
  action?: string;
  chain?: ChainEntry[];
}

export interface Indicator {
  [k: string]: unknown;
}

export const CV_KEY = ['critical-values'] as const;

export async function listCriticalValues(view: CvView): Promise<CriticalValue[]> {
  const r = await api<{ items?: CriticalValue[] } | CriticalValue[]>(`/api/critical-values?${query({ view })}`);
  return Array.isArray(r) ? r : (r.items ?? []);
}

export function criticalValue(taskId: string): Promise<CriticalValue> {
  return api(`/api/critical-values/${encodeURIComponent(taskId)}`);
}

export function acknowledge(taskId: string, body: { readBack: string; action?: string }): Promise<unknown> {
  return api(`/api/critical-values/${encodeURIComponent(taskId)}/acknowledge`, { method: 'POST', body });
}

export function indicator(): Promise<Indicator> {
  return api('/api/critical-values/indicator');
}

export const partyText = (p: CvParty | string | undefined): string => (typeof p === 'string' ? p : (p?.display ?? p?.reference ?? '—'));

/** "血钾 6.8 mmol/L" */
export function resultText(cv: CriticalValue): string {
  return [cv.item, cv.value !== undefined ? String(cv.value) : undefined, cv.unit].filter(Boolean).join(' ');
}
