/** The ECG paper's maths: the 3×4 layout with a rhythm strip, millivolts to millimetres, the calibration pulse. */
import { describe, expect, it } from 'vitest';
import { calibrationPath, gridLines, layout, millivolts, tracePath } from './grid';

describe('ECG paper', () => {
  it('lays out twelve leads in 3×4 columns of 2.5 s and a 10 s lead II strip at 25 mm/s', () => {
    const l = layout(25, 10);
    expect(l.cells).toHaveLength(13);
    expect(l.cells.slice(0, 12).map((c) => c.lead)).toEqual(['I', 'aVR', 'V1', 'V4', 'II', 'aVL', 'V2', 'V5', 'III', 'aVF', 'V3', 'V6']);
    expect(l.cells[1]).toMatchObject({ from: 2.5, to: 5, width: 62.5 });
    expect(l.cells[12]).toMatchObject({ lead: 'II', from: 0, to: 10, width: 250 });
    // At 50 mm/s the same paper holds 5 s.
    expect(layout(50, 10).cells[12]).toMatchObject({ to: 5, width: 250 });
  });

  it('draws 1 mV as 10 mm at 10 mm/mV and 1 s as 25 mm at 25 mm/s', () => {
    const lead = { lead: 'II', origin: 0, factor: 1, periodMs: 1, data: [0, ...Array(999).fill(1000), 0] };
    expect(millivolts(lead, 1000)).toBe(1);
    const path = tracePath(lead, 0, 1, 10, 50, 25, 10);
    expect(path.startsWith('M10.00 50.00')).toBe(true);
    expect(path).toContain('L35.00 50.00'); // the last sample, 1 s later: 25 mm to the right, back at the baseline
    expect(path).toContain(' 40.00'); // 1 mV: 10 mm above the baseline
    expect(calibrationPath(2, 50, 25, 10)).toBe('M2 50h1.25v-10h2.5v10h1.25');
  });

  it('has a line every millimetre and a heavier one every 5 mm', () => {
    expect(gridLines(10, 10, 5).match(/M/g)).toHaveLength(6);
    expect(gridLines(10, 10, 1).match(/M/g)).toHaveLength(16);
  });
});
