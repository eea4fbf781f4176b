/**
 * The history of a case (one line per workflow transition: when, what, who, why); a centre may word an action its own
 * way (the shared workflow's displays speak of images).
 */
import { Card, Timeline } from 'antd';
import { useI18n } from '../i18n';
import type { CaseDetail } from './api';
import { RT } from './texts';

export function CaseHistory({ history, label }: Pick<CaseDetail, 'history'> & { label?: (action: string) => string | undefined }) {
  const { pick } = useI18n();
  return (
    <Card title={pick(RT.history)} size="small">
      <Timeline
        items={history.map((h) => ({
          children: `${new Date(h.at).toLocaleString()} · ${(h.action && label?.(h.action)) || h.display}${h.whoDisplay ? ` · ${h.whoDisplay}` : ''}${h.reason ? ` · ${h.reason}` : ''}`,
        }))}
      />
    </Card>
  );
}
