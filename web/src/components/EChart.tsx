/** Charts load ECharts on first use, so pages without charts do not download or parse it. */
import { lazy, Suspense } from 'react';
import type { EChartsCoreOption } from 'echarts/core';

const Impl = lazy(() => import('./EChartImpl'));

export function EChart(props: { option: EChartsCoreOption; height?: number; testId?: string }) {
  return (
    <Suspense fallback={<div style={{ height: props.height ?? 240 }} />}>
      <Impl {...props} />
    </Suspense>
  );
}
