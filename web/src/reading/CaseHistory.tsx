/**
 * The history of a case (one line per workflow transition: when, what, who, why); a centre may word an action its own
 * way (the shared workflow's displays speak of images).
 */
import { Card, Timeline } from 'antd';
import { useI18n } from '../i18n';
import type { CaseDetail } from './api';
import { actionText, RT, type CentreWords } from './texts';
import { dateTime } from '../api/format';

/** A centre's name of a workflow action in the current language, for the `label` of CaseHistory and CaseActions. */
export function useActionLabel(words?: CentreWords): (action: string) => string | undefined {
  const { pick } = useI18n();
  return (action) => {
    const own = actionText(words, action);
    return own ? pick(own) : undefined;
  };
}

export function CaseHistory({
  history,
  label,
  testId,
}: Pick<CaseDetail, 'history'> & { label?: (action: string) => string | undefined; testId?: string }) {
  const { pick } = useI18n();
  return (
    <Card title={pick(RT.history)} size="small">
      <Timeline
        data-testid={testId}
        items={history.map((h) => ({
          children: `${dateTime(h.at)} · ${(h.action && label?.(h.action)) || h.display}${h.whoDisplay ? ` · ${h.whoDisplay}` : ''}${h.reason ? ` · ${h.reason}` : ''}`,
        }))}
      />
    </Card>
  );
}
