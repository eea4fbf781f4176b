/** The bell in the header: unread notifications (live from the stream), opens the inbox. */
import { Badge, Button, Tooltip } from 'antd';
import { BellOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { useNavigate } from 'react-router-dom';
import { useI18n } from '../i18n';
import { INBOX_COUNT_KEY, unreadCounts } from './api';
import { useLive } from './LiveProvider';

export function InboxBell() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const { connected } = useLive();
  const counts = useQuery({ queryKey: INBOX_COUNT_KEY, queryFn: unreadCounts, staleTime: Infinity });
  const total = counts.data?.total ?? 0;
  const urgent = (counts.data?.byCategory['critical-value'] ?? 0) > 0;
  return (
    <Tooltip title={connected ? t('inbox') : `${t('inbox')} · ${t('liveOffline')}`}>
      <Badge count={total} size="small" overflowCount={99} color={urgent ? '#cf1322' : undefined} offset={[-4, 4]}>
        <Button
          size="small"
          type="text"
          icon={<BellOutlined />}
          aria-label={t('inbox')}
          data-testid="inbox-bell"
          data-count={total}
          data-live={connected ? 'on' : 'off'}
          onClick={() => navigate('/inbox')}
        />
      </Badge>
    </Tooltip>
  );
}
