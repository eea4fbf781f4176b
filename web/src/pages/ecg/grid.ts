/**
 * The maths of the printed ECG, in millimetres of paper (the SVG's user units): the standard 3×4 layout (I, II, III |
 * aVR, aVL, aVF | V1–V3 | V4–V6, each column 2.5 s at 25 mm/s) and a lead II rhythm strip, a 1 mV calibration pulse,
 * and the trace of a lead as an SVG path at the chosen speed (mm/s) and gain (mm/mV).
 */
export interface LeadData {
  lead: string;
  origin: number;
  factor: number;
  periodMs: number;
  data: number[];
}

export interface Layout {
  /** Each cell: the lead, the time window (s) it shows, where it is drawn (mm). */
  cells: { lead: string; from: number; to: number; x: number; baseline: number; width: number }[];
  width: number;
  height: number;
}

const ROWS = [
  ['I', 'aVR', 'V1', 'V4'],
  ['II', 'aVL', 'V2', 'V5'],
  ['III', 'aVF', 'V3', 'V6'],
] as const;

/** Paper: a 10 mm margin for the calibration pulse, rows of 30 mm, a 250 mm strip at 25 mm/s. */
export const PAPER = { margin: 10, rowHeight: 30, stripWidth: 250 } as const;

export function layout(speed: number, seconds: number): Layout {
  const total = Math.min(seconds, PAPER.stripWidth / speed);
  const column = total / 4;
  const colWidth = column * speed;
  const cells: Layout['cells'] = [];
  ROWS.forEach((row, r) =>
    row.forEach((lead, c) =>
      cells.push({
        lead,
        from: c * column,
        to: (c + 1) * column,
        x: PAPER.margin + c * colWidth,
        baseline: (r + 0.6) * PAPER.rowHeight,
        width: colWidth,
      }),
    ),
  );
  cells.push({ lead: 'II', from: 0, to: total, x: PAPER.margin, baseline: 3.6 * PAPER.rowHeight, width: total * speed });
  return { cells, width: PAPER.margin + PAPER.stripWidth + 5, height: 4 * PAPER.rowHeight + 5 };
}

/** Millivolts of a sample (the tracing's values are µV = origin + sample × factor). */
export const millivolts = (l: Pick<LeadData, 'origin' | 'factor'>, sample: number): number => (l.origin + sample * l.factor) / 1000;

/** The trace of a lead between two times as an SVG path (mm), at most ~4 points per mm of paper. */
export function tracePath(l: LeadData, from: number, to: number, x0: number, baseline: number, speed: number, gain: number): string {
  const rate = 1000 / l.periodMs;
  const first = Math.max(0, Math.floor(from * rate));
  const last = Math.min(l.data.length - 1, Math.ceil(to * rate));
  const step = Math.max(1, Math.floor(rate / (speed * 4)));
  const parts: string[] = [];
  for (let i = first; i <= last; i += step) {
    const x = x0 + (i / rate - from) * speed;
    const y = baseline - millivolts(l, l.data[i]!) * gain;
    parts.push(`${parts.length ? 'L' : 'M'}${x.toFixed(2)} ${y.toFixed(2)}`);
  }
  return parts.join('');
}

/** The 1 mV calibration pulse (10 mm tall at 10 mm/mV, 0.2 s wide) before a row's baseline. */
export function calibrationPath(x: number, baseline: number, speed: number, gain: number): string {
  const w = 0.2 * speed;
  return `M${x} ${baseline}h${w / 4}v${-gain}h${w / 2}v${gain}h${w / 4}`;
}

/** The grid lines: every millimetre (minor) and every 5 mm (major). */
export function gridLines(width: number, height: number, every: 1 | 5): string {
  const parts: string[] = [];
  for (let x = 0; x <= width; x += every) if (every === 5 || x % 5) parts.push(`M${x} 0V${height}`);
  for (let y = 0; y <= height; y += every) if (every === 5 || y % 5) parts.push(`M0 ${y}H${width}`);
  return parts.join('');
}
