/**
 * The API every reading centre shares (server/src/modules/reading/case-routes.ts): cases of a centre, one case with
 * its report and versions, its actions, statistics. A centre's own calls (requests, upload) live with its pages.
 */
import { api } from '../api/client';
import type { WorkItem } from '../tasks/api';

export interface Text {
  zh: string;
  en: string;
}
export interface Template {
  id: string;
  items?: string[];
  title: Text;
  findings: string;
  impression: string;
  positive: boolean;
  conclusionCodes?: string[];
}
export interface Conclusion {
  code: string;
  system: string;
  display: string;
  en: string;
  critical: boolean;
  /** A group of the centre's statement list (ECG: rhythm, conduction, ST-T …), when it has one. */
  group?: string;
}
export interface CaseRow {
  task: string;
  serviceRequest: string;
  patient: string;
  item: string | null;
  modality: string | null;
  studyUid: string | null;
  report: string | null;
  requestedAt: string | null;
  imagesAt: string | null;
  signedAt: string | null;
  positive: boolean | null;
  critical: boolean;
  recognised: boolean;
  claimedBy: string | null;
  reportedBy: string | null;
}
export interface CaseItem extends WorkItem {
  case: CaseRow;
}
/* eslint-disable @typescript-eslint/no-explicit-any -- FHIR resources as the server sends them */
export interface CaseDetail extends CaseItem {
  side: 'requester' | 'centre';
  history: { at: string; display: string; whoDisplay?: string; who?: string; reason?: string; action?: string }[];
  serviceRequest?: any;
  patient?: any;
  report?: any;
  reportVersions: any[];
  templates: Template[];
  conclusions: Conclusion[];
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface CentreStats {
  total: { reports: number; positiveRate: number | null; critical: number; turnaroundMinutes: { median: number | null } };
  qcRejections: number;
}

export type Centre = 'imaging' | 'ecg' | 'pathology';

/** The shared calls of one centre, e.g. readingApi('ecg').caseDetail(task). */
export function readingApi<D extends CaseDetail = CaseDetail>(centre: Centre) {
  const base = `/api/${centre}`;
  return {
    listCases: (view: 'centre' | 'requested', open: boolean) =>
      api<{ items: CaseItem[] }>(`${base}/cases?view=${view}${open ? '&open=1' : ''}`).then((r) => r.items),
    caseDetail: (task: string) => api<D>(`${base}/cases/${encodeURIComponent(task)}`),
    act: (task: string, action: string, body: Record<string, unknown> = {}) =>
      api<D>(`${base}/cases/${encodeURIComponent(task)}/${action}`, { method: 'POST', body }),
    stats: () => api<CentreStats>(`${base}/stats`),
  };
}

/** The patient's name as the case page shows it (masked per role by the server). */
export function patientName(d: Pick<CaseDetail, 'patient' | 'case'>): string {
  const n = d.patient?.name?.[0];
  return (n?.text ?? `${n?.family ?? ''}${(n?.given ?? []).join('')}`) || d.case.patient;
}

/** The findings section of a report (an extension; the impression is DiagnosticReport.conclusion). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a DiagnosticReport as sent
export const findingsOf = (report: any): string | undefined =>
  report?.extension?.find((e: { url: string }) => e.url.endsWith('/report-findings'))?.valueString;
