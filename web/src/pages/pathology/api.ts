/** The pathology centre's own calls (server/src/modules/pathology/routes.ts); the shared ones are web/src/reading/api.ts. */
import { api, authorizedFetch } from '../../api/client';
import type { CaseDetail as ReadingDetail, Text } from '../../reading/api';

export interface Coded {
  code: string;
  display: string;
  en: string;
  marker?: boolean;
}
export interface Catalogue {
  version: string;
  coldIschaemiaLimitMinutes: number;
  items: { code: string; name: string; nameEn: string; specimenTypes: string[]; fixation: 'required' | 'none' }[];
  specimenTypes: (Coded & { derived?: boolean })[];
  fixatives: Coded[];
  stains: Coded[];
  rejectionReasons: Coded[];
}
export interface SpecimenView {
  id: string;
  kind: 'specimen' | 'block' | 'slide';
  parent: string | null;
  label: string;
  type: string;
  status: 'sent' | 'received' | 'rejected' | 'made';
  coldIschaemiaMinutes: number | null;
  overLimit: boolean;
  rejectReason: string | null;
  grossedAt: string | null;
  /** The Specimen as the caller may read it (site, pieces, fixation). */
  resource?: {
    collection?: { bodySite?: { text?: string }; quantity?: { value?: number } };
    processing?: { procedure?: { coding?: { code?: string }[] } }[];
    condition?: { text?: string; coding?: { system?: string; code?: string; display?: string }[] }[];
  };
}
export interface PictureView {
  id: string;
  kind: 'gross' | 'micro';
  title: string;
  specimen: string | null;
  inReport: boolean;
  url: string;
}
export interface LabDetail {
  specimens: SpecimenView[];
  pictures: PictureView[];
  reportBlocker: string | null;
}
export type CaseDetail = ReadingDetail & LabDetail;

export interface QualityFigures {
  arrived: number;
  rejected: number;
  rejectionRate: number | null;
  coldIschaemiaMinutes: { measured: number; median: number | null; p90: number | null; withinLimitShare: number | null };
  turnaroundMinutes: { reports: number; median: number | null; p90: number | null };
}
export interface Quality {
  coldIschaemiaLimitMinutes: number;
  total: QualityFigures;
  byItem: (QualityFigures & { item: string })[];
  rejectionsByReason: { reason: string; display: string; rejected: number; share: number | null }[];
  byRequester: { organization: string; arrived: number; rejected: number; rejectionRate: number | null }[];
}

export const catalogue = () => api<Catalogue>('/api/pathology/catalogue');
export const createRequest = (body: Record<string, unknown>) => api<{ task: string }>('/api/pathology/requests', { method: 'POST', body });
/** A lab step on a case (receive, qc-reject, resubmit, grossing, slides, pictures…): answers the case's lab detail. */
export const labStep = (task: string, step: string, body: Record<string, unknown>) =>
  api<LabDetail>(`/api/pathology/cases/${encodeURIComponent(task)}/${step}`, { method: 'POST', body });
export const quality = () => api<Quality>('/api/pathology/quality');

/** A picture fetched with the user's token, as an object URL for <img>. */
export async function pictureUrl(path: string, signal?: AbortSignal): Promise<string> {
  const res = await authorizedFetch(path, signal, 'image/*');
  return URL.createObjectURL(await res.blob());
}

/** The catalogue's name of a code in the page's language. */
export const nameOf = (list: Coded[] | undefined, code: string | null | undefined, pick: (t: Text) => string) => {
  const found = list?.find((x) => x.code === code);
  return found ? pick({ zh: found.display, en: found.en }) : (code ?? '');
};
