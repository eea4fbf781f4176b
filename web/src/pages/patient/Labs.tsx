/** Lab results and vital signs by code: latest value, reference range, abnormal flag and a trend chart. */
import { useMemo, useState } from 'react';
import { Card, Col, Empty, Row, Segmented } from 'antd';
import type { Observation, Organization } from '../../api/types';
import { codeText } from '../../api/format';
import { EChart } from '../../components/EChart';
import { useI18n } from '../../i18n';
import { ItemTable } from './ItemTable';
import type { Item } from './model';

interface Series {
  code: string;
  name: string;
  unit: string;
  low?: number;
  high?: number;
  points: [string, number][];
}

/** One series per LOINC code (blood pressure: one per component). */
function seriesOf(items: Item[]): Series[] {
  const map = new Map<string, Series>();
  const add = (code: string, name: string, unit: string | undefined, date: string, value: number | undefined, o: Observation) => {
    if (value === undefined) return;
    let s = map.get(code);
    if (!s) {
      const range = o.referenceRange?.[0];
      s = { code, name, unit: unit ?? '', low: range?.low?.value, high: range?.high?.value, points: [] };
      map.set(code, s);
    }
    s.points.push([date.slice(0, 10), value]);
  };
  for (const it of items) {
    const o = it.resource as Observation;
    if (!it.date) continue;
    const code = o.code?.coding?.[0]?.code ?? codeText(o.code);
    if (o.valueQuantity) add(code, codeText(o.code), o.valueQuantity.unit, it.date, o.valueQuantity.value, o);
    for (const c of o.component ?? []) {
      add(c.code.coding?.[0]?.code ?? codeText(c.code), codeText(c.code), c.valueQuantity?.unit, it.date, c.valueQuantity?.value, o);
    }
  }
  for (const s of map.values()) s.points.sort((a, b) => a[0].localeCompare(b[0]));
  return [...map.values()].filter((s) => s.points.length > 0);
}

function Trend({ s }: { s: Series }) {
  const option = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      grid: { left: 40, right: 12, top: 12, bottom: 24 },
      xAxis: { type: 'category', data: s.points.map((p) => p[0]) },
      yAxis: { type: 'value', scale: true },
      series: [
        {
          type: 'line',
          showSymbol: true,
          symbolSize: 5,
          // Values outside the reference range in red.
          data: s.points.map(([, v]) => ({
            value: v,
            itemStyle: (s.high !== undefined && v > s.high) || (s.low !== undefined && v < s.low) ? { color: '#cf1322' } : undefined,
          })),
          markArea:
            s.low !== undefined || s.high !== undefined
              ? { silent: true, itemStyle: { color: 'rgba(82,196,26,0.08)' }, data: [[{ yAxis: s.low ?? 0 }, { yAxis: s.high ?? 'max' }]] }
              : undefined,
        },
      ],
    }),
    [s],
  );
  return (
    <Card size="small" title={`${s.name} (${s.unit})`} className="trend-card">
      <EChart option={option} height={160} />
    </Card>
  );
}

export function Labs({ items, orgs }: { items: Item[]; orgs?: Map<string, Organization> }) {
  const { t } = useI18n();
  const [view, setView] = useState<'table' | 'trend'>('trend');
  const series = useMemo(() => seriesOf(items), [items]);
  return (
    <div data-testid="labs">
      <Segmented
        value={view}
        onChange={(v) => setView(v as 'table' | 'trend')}
        options={[
          { value: 'trend', label: t('trend') },
          { value: 'table', label: t('table') },
        ]}
        style={{ marginBottom: 12, display: 'flex', width: 'fit-content' }}
      />
      {view === 'table' ? (
        <ItemTable items={items} orgs={orgs} />
      ) : series.length ? (
        <Row gutter={[12, 12]}>
          {series.map((s) => (
            <Col key={s.code} xs={24} md={12} xl={8}>
              <Trend s={s} />
            </Col>
          ))}
        </Row>
      ) : (
        <Empty description={t('noData')} />
      )}
    </div>
  );
}
