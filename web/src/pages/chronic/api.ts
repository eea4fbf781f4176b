/** Chronic disease management API (server/src/modules/chronic, docs/chronic.md): due lists, point-of-care context, follow-ups, credits, indicators. */
import { api } from '../../api/client';

export type Programme = 'hypertension' | 'diabetes';
export type DueView = 'due' | 'overdue' | 'upcoming' | 'all';
export const DUE_VIEWS: DueView[] = ['due', 'overdue', 'upcoming', 'all'];

export interface Text {
  zh: string;
  en: string;
}

export interface DueItem {
  task: string;
  episode: string;
  patient: { reference: string; name: string | null; gender: string | null; age: number | null };
  programme: Programme;
  programmeName: string;
  kind: string;
  kindName: string;
  start: string;
  end: string;
  overdue: boolean;
  daysOverdue: number;
  organizationName: string | null;
  practitionerName: string | null;
}

export interface DueSummary {
  organization: string | null;
  organizationName: string | null;
  practitioner: string | null;
  practitionerName: string | null;
  due: number;
  overdue: number;
  upcoming: number;
}

export interface DueList {
  today: string;
  view: DueView;
  summary: DueSummary[];
  items: DueItem[];
}

export interface Symptom extends Text {
  code: string;
  urgent?: boolean;
}

export interface EpisodeContext {
  id: string;
  programme: Programme;
  start: string;
  team: { villageDoctor: string | null; townshipGp: string | null; specialist: string | null };
  lastFollowUp: { day: string; classification: string; sbp: number | null; dbp: number | null; glucose: number | null } | null;
  followUps: number;
  due: { task: string; kind: string; start: string; end: string; overdue: boolean }[];
}

export interface Creditable {
  encounter: string;
  date: string;
  organization?: string;
  readings: { sbp?: number; dbp?: number; glucose?: number };
  episodes: { id: string; programme: Programme }[];
}

export interface GuidanceTopic {
  name: Text;
  diet: Text[];
  exercise: Text[];
}

export interface Context {
  patient: { id: string; name?: { text?: string; family?: string; given?: string[] }[]; gender?: string; birthDate?: string };
  today: string;
  episodes: EpisodeContext[];
  prefill: { readings: Record<string, number | undefined>; medication: string[] };
  creditable: Creditable[];
  prompts: { id: string; zh: string; en: string; last?: string }[];
  rules: { version: string; programmes: Record<Programme, { name: Text; symptoms: Symptom[] }> };
  guidance?: { topics: Record<string, GuidanceTopic> };
}

export interface Referral {
  status: 'created' | 'unavailable' | 'failed';
  id?: string;
  message?: string;
  urgency: 'urgent' | 'routine';
}

export interface Recorded {
  encounter: string;
  date: string;
  classification: { code: string; zh: string; en: string };
  ruleVersion: string;
  controlled: boolean;
  urgent: boolean;
  decision: { code: string; zh: string; en: string };
  reasons: string[];
  nextDue: { start: string; end: string; kind: string };
  referral?: Referral;
}

export interface Ratio {
  numerator: number;
  denominator: number;
  rate: number | null;
}

export interface IndicatorRow {
  organization: string | null;
  organizationName?: string | null;
  hypertension: { managed: number; standardManagement: Ratio; bpControl: Ratio };
  diabetes: { managed: number; standardManagement: Ratio; glucoseControl: Ratio; hba1cBelow7: Ratio & { tested: number } };
  referralFollowUp: Ratio;
}

const qs = (q: Record<string, string | undefined>) =>
  new URLSearchParams(Object.entries(q).filter((e): e is [string, string] => !!e[1])).toString();

export const dueList = (view: DueView, programme?: string) => api<DueList>(`/api/chronic/due?${qs({ view, programme })}`);
export const patientContext = (id: string) => api<Context>(`/api/chronic/patients/${encodeURIComponent(id)}/context`);
export const recordFollowUp = (body: Record<string, unknown>) => api<Recorded>('/api/chronic/follow-ups', { method: 'POST', body });
export const creditVisit = (body: Record<string, unknown>) => api<Recorded>('/api/chronic/credits', { method: 'POST', body });
export const indicators = (month: string) =>
  api<{ month: string; window: { start: string; end: string }; rows: IndicatorRow[]; total: IndicatorRow }>(
    `/api/chronic/indicators?${qs({ month })}`,
  );
