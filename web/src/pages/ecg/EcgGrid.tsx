/**
 * The 12-lead tracing on ECG paper (SVG in millimetres): 1 mm minor and 5 mm major squares in pink and red, the 3×4
 * layout with a lead II rhythm strip, a 1 mV calibration pulse per row, lead labels, and the speed and gain, which the
 * reader may switch (25/50 mm/s, 5/10/20 mm/mV).
 */
import { useState } from 'react';
import { Radio, Space, Typography } from 'antd';
import { useI18n } from '../../i18n';
import { calibrationPath, gridLines, layout, PAPER, tracePath, type LeadData } from './grid';
import { ET } from './texts';

export function EcgGrid({ leads, seconds }: { leads: LeadData[]; seconds: number }) {
  const { pick } = useI18n();
  const [speed, setSpeed] = useState(25);
  const [gain, setGain] = useState(10);
  const l = layout(speed, seconds);
  const byName = new Map(leads.map((x) => [x.lead, x]));
  return (
    <div>
      <Space wrap style={{ marginBottom: 8 }}>
        <Radio.Group
          size="small"
          value={speed}
          onChange={(e) => setSpeed(e.target.value)}
          optionType="button"
          options={[25, 50].map((v) => ({ value: v, label: `${v} mm/s` }))}
        />
        <Radio.Group
          size="small"
          value={gain}
          onChange={(e) => setGain(e.target.value)}
          optionType="button"
          options={[5, 10, 20].map((v) => ({ value: v, label: `${v} mm/mV` }))}
        />
        <Typography.Text type="secondary" data-testid="ecg-scale">
          {pick(ET.scale)}: {speed} mm/s · {gain} mm/mV
        </Typography.Text>
      </Space>
      <div style={{ overflowX: 'auto' }}>
        <svg
          data-testid="ecg-grid"
          viewBox={`0 0 ${l.width} ${l.height}`}
          style={{ width: '100%', minWidth: 900, background: '#fff8f8' }}
          role="img"
          aria-label={pick(ET.tracing)}
        >
          <path d={gridLines(l.width, l.height, 1)} stroke="#f7c9c9" strokeWidth={0.1} fill="none" />
          <path d={gridLines(l.width, l.height, 5)} stroke="#e58a8a" strokeWidth={0.25} fill="none" />
          {[0, 1, 2, 3].map((r) => (
            <path key={r} d={calibrationPath(2, (r + 0.6) * PAPER.rowHeight, speed, gain)} stroke="#000" strokeWidth={0.3} fill="none" />
          ))}
          {l.cells.map((c, i) => {
            const lead = byName.get(c.lead);
            return (
              <g key={i}>
                {lead ? (
                  <path
                    d={tracePath(lead, c.from, c.to, c.x, c.baseline, speed, gain)}
                    stroke="#000"
                    strokeWidth={0.3}
                    fill="none"
                    strokeLinejoin="round"
                  />
                ) : null}
                <text
                  x={c.x + 1}
                  y={c.baseline - 10}
                  fontSize={3.5}
                  fontFamily="sans-serif"
                  data-testid={i < 12 ? 'lead-label' : 'rhythm-label'}
                >
                  {c.lead}
                </text>
              </g>
            );
          })}
        </svg>
      </div>
    </div>
  );
}
