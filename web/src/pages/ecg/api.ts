/**
 * The ECG centre's own calls (server/src/modules/ecg, docs/ecg.md): catalogue, request, the tracing upload (the file as
 * the body, kept as sent), measurements, and the chest-pain records; the case calls are the reading centres' shared ones.
 */
import { api } from '../../api/client';
import { readingApi, type CaseDetail, type Conclusion, type Template } from '../../reading/api';
import type { LeadData } from './grid';

export interface EcgCatalogue {
  items: { code: string; name: string; nameEn: string }[];
  statements: Conclusion[];
  templates: Template[];
}
export type MeasurementKey = 'hr' | 'pr' | 'qrs' | 'qt' | 'qtc';
export interface Milestone {
  code: string;
  zh: string;
  en: string;
  at: string | null;
  optional: boolean;
}
export interface Interval {
  id: string;
  zh: string;
  en: string;
  minutes: number | null;
  target: number;
  met: boolean | null;
}
export interface ChestPainRecord {
  id: string;
  status: string;
  patient: string;
  task: string | null;
  openedAt: string;
  milestones: Milestone[];
  intervals: Interval[];
}
export interface EcgCaseDetail extends CaseDetail {
  tracing: {
    observation: string;
    format: string;
    sampleRate: number;
    seconds: number;
    acquiredAt: string | null;
    leads: LeadData[];
  } | null;
  measurements: Partial<Record<MeasurementKey, number>>;
  measurementItems: Record<MeasurementKey, { zh: string; unit: string; min: number; max: number }>;
  original: { documentReference: string; attachment?: { contentType?: string; title?: string; size?: number } } | null;
  chestPain: ChestPainRecord | null;
}

export const ecg = readingApi<EcgCaseDetail>('ecg');
export const catalogue = () => api<EcgCatalogue>('/api/ecg/catalogue');
export const createRequest = (body: { patient: string; item: string; priority: string; reason: string }) =>
  api<{ serviceRequest: { id: string }; task: string }>('/api/ecg/requests', { method: 'POST', body });

/** The file goes as it is; the server reads its format from its content (a CSV needs its sample rate). */
export function uploadTracing(serviceRequest: string, file: File, sampleRate?: number) {
  const q = new URLSearchParams({ filename: file.name, ...(sampleRate ? { sampleRate: String(sampleRate) } : {}) });
  return api<{ task: string; format: string }>(`/api/ecg/requests/${encodeURIComponent(serviceRequest)}/tracing?${q}`, {
    method: 'POST',
    file,
  });
}
export const saveMeasurements = (task: string, body: Partial<Record<MeasurementKey, number>>) =>
  api(`/api/ecg/cases/${encodeURIComponent(task)}/measurements`, { method: 'POST', body });
export const chestPainList = (open: boolean) =>
  api<{ items: ChestPainRecord[] }>(`/api/chest-pain${open ? '?open=1' : ''}`).then((r) => r.items);
export const chestPainRecord = (id: string) => api<ChestPainRecord>(`/api/chest-pain/${encodeURIComponent(id)}`);
export const recordMilestone = (id: string, milestone: string, at: string) =>
  api<ChestPainRecord>(`/api/chest-pain/${encodeURIComponent(id)}/events`, { method: 'POST', body: { milestone, at } });
