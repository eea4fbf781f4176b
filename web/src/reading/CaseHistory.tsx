/** The history of a case (one line per workflow transition: when, what, who, why). */
import { Card, Timeline } from 'antd';
import { useI18n } from '../i18n';
import type { CaseDetail } from './api';
import { RT } from './texts';

export function CaseHistory({ history }: Pick<CaseDetail, 'history'>) {
  const { pick } = useI18n();
  return (
    <Card title={pick(RT.history)} size="small">
      <Timeline
        items={history.map((h) => ({
          children: `${new Date(h.at).toLocaleString()} · ${h.display}${h.whoDisplay ? ` · ${h.whoDisplay}` : ''}${h.reason ? ` · ${h.reason}` : ''}`,
        }))}
      />
    </Card>
  );
}
