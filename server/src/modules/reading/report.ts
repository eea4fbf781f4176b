/**
 * The report of every reading centre as a FHIR DiagnosticReport: basedOn the request, the reader(s) as
 * resultsInterpreter, findings in an extension and in a plain-text presentedForm, the impression as conclusion, coded
 * conclusions (critical findings with the critical-value catalogue's codes, positive/negative) and, when the item is
 * in the mutual-recognition catalogue, the HR mark (meta.tag + an extension with scope and validity).
 */
import type { CodeableConcept, Coding, DiagnosticReport, Extension, Organization, Practitioner, Reference } from '@medplum/fhirtypes';
import { recognisedItem } from './rules.js';

export const REPORT_EXT = {
  findings: 'https://yiwang.cn/fhir/StructureDefinition/report-findings',
  template: 'https://yiwang.cn/fhir/StructureDefinition/report-template',
  recognition: 'https://yiwang.cn/fhir/StructureDefinition/result-recognition',
} as const;
export const RECOGNITION_TAG_SYSTEM = 'urn:yiwang:recognition';
export const READING_RESULT_SYSTEM = 'urn:yiwang:reading-result';

export interface ReportInput {
  findings: string;
  impression: string;
  positive: boolean;
  conclusions: Coding[];
  template?: { id: string; version: string };
}

export interface ReportContext {
  category: Coding;
  code: CodeableConcept;
  itemCode?: string;
  subject: string;
  basedOn: string;
  imagingStudy?: string;
  effective?: string;
  performers: Reference<Organization | Practitioner>[];
  interpreters: Reference<Practitioner>[];
  status: DiagnosticReport['status'];
  issued: string;
}

/** The HR recognition mark of an item on a date: tag and extension, or nothing when the item is not recognised. */
export function recognitionMark(itemCode: string | undefined, issued: string): { tag: Coding; extension: Extension } | undefined {
  const found = recognisedItem(itemCode, new Date(issued));
  if (!found) return undefined;
  const { item, catalogue } = found;
  const validUntil = new Date(Date.parse(issued) + item.validityDays * 86_400_000).toISOString();
  return {
    tag: { system: RECOGNITION_TAG_SYSTEM, code: 'HR', display: `${catalogue.mark} 检查结果互认 (mutually recognised result)` },
    extension: {
      url: REPORT_EXT.recognition,
      extension: [
        { url: 'mark', valueString: catalogue.mark },
        { url: 'item', valueCoding: { system: 'urn:yiwang:recognition-item', code: item.code, display: item.name } },
        { url: 'scope', valueCode: item.scope },
        { url: 'validUntil', valueDateTime: validUntil },
        { url: 'catalogueVersion', valueString: catalogue.version },
      ],
    },
  };
}

export function presentedText(input: ReportInput, mark?: string): string {
  return `${mark ? `【${mark}】\n` : ''}检查所见 (Findings):\n${input.findings}\n\n诊断意见 (Impression):\n${input.impression}\n`;
}

export function buildReport(input: ReportInput, ctx: ReportContext, id?: string): DiagnosticReport {
  const mark = recognitionMark(ctx.itemCode, ctx.issued);
  const resultCoding: Coding = input.positive
    ? { system: READING_RESULT_SYSTEM, code: 'positive', display: '阳性 (positive)' }
    : { system: READING_RESULT_SYSTEM, code: 'negative', display: '阴性 (negative)' };
  const extension: Extension[] = [{ url: REPORT_EXT.findings, valueString: input.findings }];
  if (input.template) extension.push({ url: REPORT_EXT.template, valueString: `${input.template.id}|${input.template.version}` });
  if (mark) extension.push(mark.extension);
  const markText = mark?.extension.extension?.find((e) => e.url === 'mark')?.valueString;
  return {
    resourceType: 'DiagnosticReport',
    ...(id ? { id } : {}),
    ...(mark ? { meta: { tag: [mark.tag] } } : {}),
    extension,
    basedOn: [{ reference: ctx.basedOn }],
    status: ctx.status,
    category: [{ coding: [ctx.category] }],
    code: ctx.code,
    subject: { reference: ctx.subject },
    ...(ctx.effective ? { effectiveDateTime: ctx.effective } : {}),
    issued: ctx.issued,
    performer: ctx.performers,
    resultsInterpreter: ctx.interpreters,
    ...(ctx.imagingStudy ? { imagingStudy: [{ reference: ctx.imagingStudy }] } : {}),
    conclusion: input.impression,
    conclusionCode: [{ coding: [resultCoding] }, ...input.conclusions.map((c) => ({ coding: [c], text: c.display }))],
    presentedForm: [
      {
        contentType: 'text/plain; charset=utf-8',
        language: 'zh-CN',
        title: '报告 (report)',
        data: Buffer.from(presentedText(input, markText), 'utf8').toString('base64'),
      },
    ],
  };
}

/** Whether a report carries the HR mark. */
export const isRecognised = (report: DiagnosticReport): boolean =>
  !!report.meta?.tag?.some((t) => t.system === RECOGNITION_TAG_SYSTEM && t.code === 'HR');
