/**
 * The imaging centre's API (server/src/modules/imaging, docs/imaging.md): catalogue, requests, cases and their actions,
 * statistics, and the upload of DICOM files as STOW-RS to /dicomweb/studies (multipart/related built in the browser).
 */
import { api, authorizedFetch } from '../../api/client';
import { readingApi, type CaseDetail as ReadingCaseDetail, type Conclusion, type Template } from '../../reading/api';

export type { CaseItem, CaseRow, Conclusion, Template, Text } from '../../reading/api';

export interface Item {
  code: string;
  modality: string;
  name: string;
  nameEn: string;
}
export interface Catalogue {
  items: Item[];
  templates: Template[];
  conclusions: Conclusion[];
  recognition: { mark: string };
  archive: 'configured' | 'not-configured';
}
export interface CaseDetail extends ReadingCaseDetail {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the ImagingStudy as the server sends it
  imagingStudy?: any;
}

export const catalogue = () => api<Catalogue>('/api/imaging/catalogue');
const shared = readingApi<CaseDetail>('imaging');
export const { listCases, caseDetail, act, stats } = shared;
export const createRequest = (body: { patient: string; item: string; priority: string; reason: string }) =>
  api<{ serviceRequest: { id: string }; task: string }>('/api/imaging/requests', { method: 'POST', body });

export interface UploadResult {
  outcome: 'linked' | 'reconciliation';
  task?: string;
}

/**
 * STOW-RS of the chosen files for a request (through the shared client: token refresh, one retry on 401, the server's
 * message on an error); the server answers which way the study went in its headers.
 */
export async function uploadStudy(serviceRequest: string, files: File[]): Promise<UploadResult> {
  const boundary = `yiwang-${Math.random().toString(36).slice(2)}`;
  const parts: BlobPart[] = [];
  for (const f of files) {
    parts.push(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`, await f.arrayBuffer(), '\r\n');
  }
  parts.push(`--${boundary}--\r\n`);
  const res = await authorizedFetch(
    `/dicomweb/studies?request=ServiceRequest/${encodeURIComponent(serviceRequest)}`,
    undefined,
    'application/dicom+json',
    { body: new Blob(parts), contentType: `multipart/related; type="application/dicom"; boundary=${boundary}` },
  );
  return {
    outcome: (res.headers.get('x-yiwang-outcome') as UploadResult['outcome']) ?? 'linked',
    task: res.headers.get('x-yiwang-task') ?? undefined,
  };
}

/** A rendered frame (PNG) of an instance as an object URL for <img>; the caller revokes it. */
export async function renderedFrame(studyUid: string, seriesUid: string, sopUid: string, signal?: AbortSignal): Promise<string> {
  const res = await authorizedFetch(
    `/dicomweb/studies/${studyUid}/series/${seriesUid}/instances/${sopUid}/frames/1/rendered`,
    signal,
    'image/png',
  );
  return URL.createObjectURL(await res.blob());
}
