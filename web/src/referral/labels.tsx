/** Tags for a referral's direction, urgency and state. */
import { Tag } from 'antd';
import { useI18n } from '../i18n';
import type { Direction, Referral } from './api';

const STATE_COLOR: Record<string, string> = {
  requested: 'blue',
  submitted: 'blue',
  accepted: 'cyan',
  arrived: 'geekblue',
  'in-progress': 'geekblue',
  completed: 'green',
  rejected: 'red',
  cancelled: 'default',
};

export function DirectionTag({ direction }: { direction: Direction }) {
  const { t } = useI18n();
  const key = direction === 'up' ? 'dirUp' : direction === 'down' ? 'dirDown' : 'dirExternal';
  return <Tag color={direction === 'up' ? 'purple' : direction === 'down' ? 'green' : 'gold'}>{t(key)}</Tag>;
}

export function UrgencyTag({ urgency }: { urgency?: string }) {
  const { t } = useI18n();
  return urgency === 'urgent' ? <Tag color="orange">{t('urgencyUrgent')}</Tag> : null;
}

export function StateTag({ referral }: { referral: Referral }) {
  const { pick } = useI18n();
  const code = referral.state.code;
  return (
    <Tag color={STATE_COLOR[code] ?? 'default'} className="referral-state" data-state={code}>
      {pick(referral.state.display)}
    </Tag>
  );
}
