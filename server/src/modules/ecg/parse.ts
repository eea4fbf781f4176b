/**
 * Which format an uploaded file is, by its content (not its name or declared type, which browsers guess): a DICOM
 * Part 10 file, an HL7 aECG XML document, a JSON tracing or a CSV table. Anything else is refused with a 400 that
 * says what is accepted. The result is checked and normalised (tracing.ts) before anything is written.
 */
import { isDicomPart10 } from '../../platform/exchange/dicomweb/dicom.js';
import { badRequest } from '../../platform/fhir/outcomes.js';
import { isAecg, parseAecg } from './parse-aecg.js';
import { parseDicomEcg } from './parse-dicom.js';
import { looksLikeCsv, parseCsvTracing, parseJsonTracing, type TableOptions } from './parse-table.js';
import { normalise, type Tracing } from './tracing.js';

export const ACCEPTED = 'a DICOM ECG waveform (.dcm), an HL7 aECG (.xml), a JSON tracing or a CSV table of leads';
const NOT_ECG = `The file is not an ECG: accepted are ${ACCEPTED} — 文件不是可识别的心电图（支持DICOM波形、HL7 aECG XML、JSON、CSV）`;

export function parseTracing(file: Buffer, options: TableOptions = {}): Tracing {
  if (!file.length) throw badRequest('The upload is empty (文件为空)', 'file');
  if (isDicomPart10(file)) return normalise(parseDicomEcg(file));
  // Text formats: a NUL byte or invalid UTF-8 means some other binary file.
  const text = file.toString('utf8').replace(/^\uFEFF/, '');
  if (text.includes('\u0000') || text.includes('\uFFFD')) throw badRequest(NOT_ECG, 'file');
  const start = text.trimStart();
  if (start.startsWith('<')) {
    if (!isAecg(start)) throw badRequest(`The XML document is not an HL7 aECG (AnnotatedECG) — ${NOT_ECG}`, 'file');
    return normalise(parseAecg(start));
  }
  if (start.startsWith('{')) {
    let body: unknown;
    try {
      body = JSON.parse(start);
    } catch {
      throw badRequest(`The JSON cannot be read — ${NOT_ECG}`, 'file');
    }
    return normalise(parseJsonTracing(body, options));
  }
  if (looksLikeCsv(start)) return normalise(parseCsvTracing(start, options));
  throw badRequest(NOT_ECG, 'file');
}
