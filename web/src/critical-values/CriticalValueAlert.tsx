/**
 * The critical-value alert (危急值警报), on every page: while a critical value addressed to the signed-in doctor is
 * not acknowledged, a full-width red banner stays above the page (it cannot be closed), and when one arrives live
 * (SSE) the acknowledge dialog opens by itself. Silent (no sound) but impossible to miss.
 */
import { useState } from 'react';
import { Button, Space } from 'antd';
import { WarningFilled } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { useAuth } from '../auth';
import { useI18n } from '../i18n';
import { useNotifications } from '../notify/LiveProvider';
import { CV_KEY, listCriticalValues, partyText, resultText, taskIdOf, type CriticalValue } from './api';
import { AcknowledgeDialog } from './AcknowledgeDialog';

/** Roles that order tests and so receive critical values. */
export const CV_ROLES = ['village-doctor', 'township-doctor', 'county-specialist', 'public-health-worker'];

export function useMyOpenCriticalValues() {
  const { has } = useAuth();
  return useQuery({
    queryKey: [...CV_KEY, 'mine'],
    enabled: has(...CV_ROLES),
    queryFn: async () => (await listCriticalValues('mine')).filter((cv) => cv.state === 'open'),
    refetchInterval: 60_000,
    retry: false,
  });
}

export function CriticalValueAlert() {
  const { t } = useI18n();
  const mine = useMyOpenCriticalValues();
  const [ackId, setAckId] = useState<string | null>(null);
  useNotifications((n) => {
    if (n.category !== 'critical-value') return;
    const id = taskIdOf(n);
    void mine.refetch().then(() => id && setAckId(id));
  });
  const open = mine.data ?? [];
  const first: CriticalValue | undefined = open.find((c) => c.overdue) ?? open[0];
  const current = open.find((c) => c.taskId === ackId);
  return (
    <>
      {first ? (
        <div
          role="alert"
          data-testid="cv-banner"
          style={{
            position: 'sticky',
            top: 0,
            zIndex: 900,
            background: '#cf1322',
            color: '#fff',
            padding: '10px 16px',
            display: 'flex',
            flexWrap: 'wrap',
            alignItems: 'center',
            gap: 8,
            fontWeight: 600,
            boxShadow: '0 2px 8px rgba(207,19,34,0.4)',
          }}
        >
          <WarningFilled style={{ fontSize: 20 }} />
          <span style={{ flex: 1, minWidth: 200, wordBreak: 'break-word' }}>
            {t('cvBanner')}：{partyText(first.patient)} · {resultText(first)}
            {open.length > 1 ? ` ${t('cvMore').replace('{n}', String(open.length - 1))}` : ''}
          </span>
          <Space wrap size={8}>
            <Button size="small" onClick={() => setAckId(first.taskId)} data-testid="cv-banner-ack" style={{ fontWeight: 600 }}>
              {t('cvAcknowledgeNow')}
            </Button>
            <Link to="/critical-values" style={{ color: '#fff', textDecoration: 'underline' }}>
              {t('viewAll')}
            </Link>
          </Space>
        </div>
      ) : null}
      <AcknowledgeDialog cv={current} open={!!current} onClose={() => setAckId(null)} />
    </>
  );
}
