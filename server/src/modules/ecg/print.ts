/**
 * The tracing on the printed ECG report (心电图报告单), drawn in vector with pdfkit at true paper scale: the standard
 * 3×4 layout (I, II, III | aVR, aVL, aVF | V1–V3 | V4–V6, 2.5 s per column at 25 mm/s) and a lead II rhythm strip,
 * a 1 mm / 5 mm grid in light red, a 1 mV calibration pulse per row at 10 mm/mV, the lead labels and the speed and
 * gain. The layout is the case page's (web/src/pages/ecg/grid.ts; the web and the server are separate packages, so the
 * few numbers are repeated here). Samples are thinned to the lowest and highest value of every 0.4 mm of paper, in
 * time order — at most one point per 0.2 mm, and an R peak a plain stride would clip is kept.
 */

/** One lead as leadsOf (fhir.ts) gives it: µV = origin + sample × factor, a sample every periodMs. */
export interface LeadData {
  lead: string;
  origin: number;
  factor: number;
  periodMs: number;
  data: number[];
}

/** What the drawing needs of a pdfkit document (a recording mock in the tests). */
export type Pen = Pick<
  PDFKit.PDFDocument,
  'save' | 'restore' | 'rect' | 'clip' | 'moveTo' | 'lineTo' | 'stroke' | 'lineWidth' | 'strokeColor' | 'fillColor' | 'fontSize' | 'text'
>;

export interface Area {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** PDF points per millimetre. */
export const MM = 72 / 25.4;
export const SPEED = 25; // mm/s
export const GAIN = 10; // mm/mV
/** Thinning: the lowest and the highest sample of every BUCKET mm of paper. */
export const BUCKET = 0.4;

export const ROWS = [
  ['I', 'aVR', 'V1', 'V4'],
  ['II', 'aVL', 'V2', 'V5'],
  ['III', 'aVF', 'V3', 'V6'],
] as const;

/** The paper (mm): a 10 mm margin for the calibration pulse, rows of 30 mm, a 250 mm strip; 265 × 125 mm in all. */
export const PAPER = { margin: 10, rowHeight: 30, stripWidth: 250, width: 265, height: 125 } as const;

export interface Cell {
  lead: string;
  /** The time window shown (s). */
  from: number;
  to: number;
  /** Where it is drawn on the paper (mm). */
  x: number;
  baseline: number;
  width: number;
}

/** The twelve cells of the 3×4 layout, then the lead II rhythm strip (a recording shorter than 10 s fills less). */
export function cells(seconds: number): Cell[] {
  const total = Math.min(seconds, PAPER.stripWidth / SPEED);
  const column = total / 4;
  const out: Cell[] = [];
  ROWS.forEach((row, r) =>
    row.forEach((lead, c) =>
      out.push({
        lead,
        from: c * column,
        to: (c + 1) * column,
        x: PAPER.margin + c * column * SPEED,
        baseline: (r + 0.6) * PAPER.rowHeight,
        width: column * SPEED,
      }),
    ),
  );
  out.push({ lead: 'II', from: 0, to: total, x: PAPER.margin, baseline: 3.6 * PAPER.rowHeight, width: total * SPEED });
  return out;
}

/** The points (mm on the paper) of a lead in a cell: every sample when they are sparse, else min and max per bucket. */
export function tracePoints(l: LeadData, cell: Cell): [number, number][] {
  const rate = 1000 / l.periodMs;
  const first = Math.max(0, Math.round(cell.from * rate));
  const last = Math.min(l.data.length - 1, Math.round(cell.to * rate));
  const point = (i: number): [number, number] => [
    cell.x + (i / rate - cell.from) * SPEED,
    cell.baseline - ((l.origin + l.data[i]! * l.factor) / 1000) * GAIN,
  ];
  const perBucket = (BUCKET / SPEED) * rate;
  const out: [number, number][] = [];
  if (perBucket <= 2) {
    for (let i = first; i <= last; i++) out.push(point(i));
    return out;
  }
  for (let b = 0; first + b * perBucket <= last; b++) {
    const start = first + Math.floor(b * perBucket);
    const end = Math.min(last, first + Math.floor((b + 1) * perBucket) - 1);
    let lo = start;
    let hi = start;
    for (let i = start + 1; i <= end; i++) {
      if (l.data[i]! < l.data[lo]!) lo = i;
      if (l.data[i]! > l.data[hi]!) hi = i;
    }
    // factor > 0 (tracing.ts): the lowest sample is the lowest voltage.
    for (const i of lo === hi ? [lo] : lo < hi ? [lo, hi] : [hi, lo]) out.push(point(i));
  }
  return out;
}

/** Grid line positions (mm) from 0 to `size`: every millimetre that is not a 5 mm line (minor), or every 5 mm (major). */
export function gridPositions(size: number, major: boolean): number[] {
  const out: number[] = [];
  for (let v = 0; v <= size; v++) if ((v % 5 === 0) === major) out.push(v);
  return out;
}

/**
 * Draws the tracing at the top of `area` (points), centred across it; the paper needs 265 × 125 mm and a line for the
 * note under it (an A4 landscape page less 30 pt margins has 275 × 185 mm).
 */
export function drawTracing(doc: Pen, area: Area, leads: LeadData[]): void {
  const ox = area.x + Math.max(0, (area.width - PAPER.width * MM) / 2);
  const oy = area.y;
  const X = (mm: number) => Math.round((ox + mm * MM) * 100) / 100;
  const Y = (mm: number) => Math.round((oy + mm * MM) * 100) / 100;
  const grid = (major: boolean, colour: string, width: number) => {
    for (const x of gridPositions(PAPER.width, major)) doc.moveTo(X(x), Y(0)).lineTo(X(x), Y(PAPER.height));
    for (const y of gridPositions(PAPER.height, major)) doc.moveTo(X(0), Y(y)).lineTo(X(PAPER.width), Y(y));
    doc
      .lineWidth(width * MM)
      .strokeColor(colour)
      .stroke();
  };
  doc.save();
  grid(false, '#f7c9c9', 0.1);
  grid(true, '#e58a8a', 0.25);

  // The 1 mV calibration pulse before each row: 0.2 s wide, GAIN mm tall.
  const w = 0.2 * SPEED;
  for (let r = 0; r < 4; r++) {
    const b = (r + 0.6) * PAPER.rowHeight;
    doc
      .moveTo(X(2), Y(b))
      .lineTo(X(2 + w / 4), Y(b))
      .lineTo(X(2 + w / 4), Y(b - GAIN))
      .lineTo(X(2 + (3 * w) / 4), Y(b - GAIN))
      .lineTo(X(2 + (3 * w) / 4), Y(b))
      .lineTo(X(2 + w), Y(b));
  }
  doc
    .lineWidth(0.3 * MM)
    .strokeColor('#000')
    .stroke();

  const byName = new Map(leads.map((l) => [l.lead, l]));
  const seconds = Math.min(...leads.map((l) => (l.data.length * l.periodMs) / 1000));
  const layout = cells(Number.isFinite(seconds) ? seconds : 0);
  // Traces stay on the paper (a large deflection may cross into the next row, as on any ECG printout, not off it).
  doc.save();
  doc.rect(X(0), Y(0), PAPER.width * MM, PAPER.height * MM).clip();
  for (const cell of layout) {
    const lead = byName.get(cell.lead);
    const points = lead ? tracePoints(lead, cell) : [];
    points.forEach(([x, y], i) => (i ? doc.lineTo(X(x), Y(y)) : doc.moveTo(X(x), Y(y))));
  }
  doc
    .lineWidth(0.3 * MM)
    .strokeColor('#000')
    .stroke();
  doc.restore();

  doc.fontSize(9).fillColor('#000');
  for (const cell of layout) doc.text(cell.lead, X(cell.x + 1), Y(cell.baseline - 13), { lineBreak: false, width: 40, height: 12 });
  doc
    .fontSize(9)
    .fillColor('#555')
    .text(`${SPEED} mm/s  ${GAIN} mm/mV`, X(PAPER.width - 45), Y(PAPER.height + 1.5), { lineBreak: false, width: 45 * MM, align: 'right' });
  doc.restore();
}
