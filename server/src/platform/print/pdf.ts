/**
 * The frame of every printed form (转诊单, 检查报告单): an A4 pdfkit document in an embedded CJK font subset, with a
 * labelled row and a ruled section heading, collected into one Buffer. Dates print in Beijing time.
 */
import PDFDocument from 'pdfkit';
import type { CjkFont } from './font.js';

export interface PrintedForm {
  doc: PDFKit.PDFDocument;
  /** "label：value" on its own line; an empty value prints "—". */
  row(label: string, value: string | undefined): void;
  /** A coloured heading with a rule under it. */
  section(title: string): void;
  /** Ends the document and resolves to its bytes. */
  finish(): Promise<Buffer>;
}

export function startForm(font: CjkFont, title: string, printedAt: Date): PrintedForm {
  const doc = new PDFDocument({ size: 'A4', margin: 50, info: { Title: title, Creator: 'Yiwang 一网', CreationDate: printedAt } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  if (font.family) doc.registerFont('cjk', font.path, font.family);
  else doc.registerFont('cjk', font.path);
  doc.font('cjk');
  return {
    doc,
    row(label, value) {
      doc
        .fontSize(11)
        .text(`${label}：`, { continued: true })
        .text(value?.trim() ? value : '—');
      doc.moveDown(0.2);
    },
    section(heading) {
      doc.moveDown(0.4).fontSize(12).fillColor('#1f4e79').text(heading).fillColor('#000');
      const y = doc.y;
      doc.moveTo(50, y).lineTo(545, y).strokeColor('#999').stroke();
      doc.moveDown(0.3);
    },
    finish() {
      doc.end();
      return done;
    },
  };
}

/** Date and time in Beijing time, as printed on forms ("2026-12-05 18:30"). */
export function beijing(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(Date.parse(iso) + 8 * 3600_000).toISOString();
  return `${d.slice(0, 10)} ${d.slice(11, 16)}`;
}

/** Age in whole years on a date ("63 岁"); empty for an unknown or partial birth date. */
export function ageAt(birthDate: string | undefined, at: Date): string {
  if (!birthDate || !/^\d{4}-\d{2}-\d{2}$/.test(birthDate)) return '';
  const b = new Date(birthDate);
  let age = at.getUTCFullYear() - b.getUTCFullYear();
  if (at.getUTCMonth() < b.getUTCMonth() || (at.getUTCMonth() === b.getUTCMonth() && at.getUTCDate() < b.getUTCDate())) age--;
  return `${age} 岁`;
}

export const GENDER_ZH: Record<string, string> = { male: '男', female: '女', other: '其他', unknown: '未知' };
