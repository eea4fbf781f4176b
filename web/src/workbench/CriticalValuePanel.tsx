/** A workbench panel: critical values addressed to me that wait for acknowledgement. */
import { useState } from 'react';
import { Card } from 'antd';
import { Link } from 'react-router-dom';
import { ErrorAlert } from '../components/ErrorAlert';
import { useI18n } from '../i18n';
import { AcknowledgeDialog } from '../critical-values/AcknowledgeDialog';
import { useMyOpenCriticalValues } from '../critical-values/CriticalValueAlert';
import { CvTable } from '../critical-values/CvTable';
import type { CriticalValue } from '../critical-values/api';

export function CriticalValuePanel() {
  const { t } = useI18n();
  const q = useMyOpenCriticalValues();
  const [acking, setAcking] = useState<CriticalValue | undefined>();
  return (
    <Card
      size="small"
      title={`${t('criticalValues')} (${q.data?.length ?? '…'})`}
      extra={<Link to="/critical-values">{t('viewAll')}</Link>}
      styles={q.data?.length ? { header: { background: '#fff1f0' } } : undefined}
    >
      {q.error ? <ErrorAlert error={q.error} onRetry={() => void q.refetch()} /> : null}
      <CvTable rows={q.data ?? []} loading={q.isLoading} onAcknowledge={setAcking} testId="cv-panel" />
      <AcknowledgeDialog cv={acking} open={!!acking} onClose={() => setAcking(undefined)} />
    </Card>
  );
}
