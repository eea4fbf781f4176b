/**
 * Remote consultation (远程会诊, server/src/modules/consultation, docs/consultation.md): requests, one consultation with
 * its participants, opinions, conclusion, evaluation and fees, the steps, statistics.
 */
import { api } from '../../api/client';
import { query } from '../../api/fhir';
import type { Resource, ServiceRequest } from '../../api/types';
import type { HistoryEntry, WorkItem } from '../../tasks/api';

export type Kind = 'single' | 'mdt';
export type Mode = 'instant' | 'scheduled';
export type Role = 'lead' | 'member' | 'external';
export type View = 'incoming' | 'outgoing' | 'expert';

export interface Named {
  reference: string;
  display?: string;
}

export interface NewConsultation {
  kind: Kind;
  mode: Mode;
  patient: string;
  to: string;
  reason: string;
  question?: string;
  specialties?: string[];
  requestedTime?: string;
  attachments?: string[];
}

export interface Consultation extends WorkItem {
  id: string;
  kind: Kind;
  mode: Mode;
  serviceRequest: ServiceRequest;
  from?: Named;
  to?: Named;
  reason?: string;
  specialties: string[];
  requestedTime?: string;
  scheduledTime?: string;
  createdAt?: string;
  participants: (Named & { organization?: Named; role: Role })[];
}

export interface Opinion {
  id: string;
  practitioner: Named;
  role?: Role;
  text: string;
  date?: string;
  enteredBy?: Named;
}

export interface ConsultationDetail extends Consultation {
  question?: string;
  me: { centre: boolean; requester: boolean; expert?: { role: Role } };
  history: HistoryEntry[];
  attachments: { reference: string; resource: Resource | null }[];
  opinions: Opinion[];
  conclusion: (Opinion & { recommendation?: string }) | null;
  evaluation: { score: number; comment?: string; at?: string } | null;
  charges: { id: string; code?: string; display?: string; quantity: number; amount: number; currency: string; priceVersion?: string }[];
  feesTotal: number;
  access: { open: boolean; careTeam?: string };
}

export interface ConsultationStats {
  total: number;
  byKind: Record<Kind, number>;
  byMode: Record<Mode, number>;
  byState: Record<string, number>;
  hoursToAcceptance: { median: number | null; p90: number | null };
  hoursToConclusion: { median: number | null; p90: number | null };
  evaluation: { count: number; meanScore: number | null };
  external: { count: number; share: number | null };
  fees: { currency: string; total: number; items: number };
}

const BASE = '/api/consultation/requests';
const post = <T>(path: string, body: unknown) => api<T>(path, { method: 'POST', body });

export const listConsultations = (q: { view?: View; state?: string }) =>
  api<{ items: Consultation[] }>(`${BASE}?${query({ view: q.view, state: q.state })}`).then((r) => r.items);
export const getConsultation = (id: string) => api<ConsultationDetail>(`${BASE}/${encodeURIComponent(id)}`);
export const createConsultation = (body: NewConsultation) => post<{ id: string; consultation: Consultation }>(BASE, body);
export const scheduleConsultation = (id: string, body: { start: string; experts: string[]; lead: string; note?: string }) =>
  post<ConsultationDetail>(`${BASE}/${id}/schedule`, body);
export const addExternalExpert = (
  id: string,
  body: { name: string; institution: string; level: 'city' | 'province'; contact: string; specialty?: string },
) => post<{ consultation: ConsultationDetail }>(`${BASE}/${id}/participants`, body);
export const writeOpinion = (id: string, body: { opinion: string; onBehalfOf?: string }) =>
  post<{ consultation: ConsultationDetail }>(`${BASE}/${id}/opinions`, body);
export const writeConclusion = (id: string, body: { conclusion: string; recommendation?: string }) =>
  post<unknown>(`${BASE}/${id}/conclusion`, body);
export const evaluate = (id: string, body: { score: number; comment?: string }) =>
  post<ConsultationDetail>(`${BASE}/${id}/evaluation`, body);
export const consultationStats = (from?: string, to?: string) => api<ConsultationStats>(`/api/consultation/stats?${query({ from, to })}`);

/** Query keys start with 'tasks': the shared TransitionButtons refresh every 'tasks' query after an action. */
export const KEY = ['tasks', 'consultation'] as const;
