/** A task's history (its Provenance chain): what was done, when, by whom, and why. */
import { Timeline, Typography } from 'antd';
import { dateTime, inLanguage } from '../api/format';
import { useI18n } from '../i18n';
import type { HistoryEntry } from './api';
import { useActionLabel } from './TransitionButtons';

export function HistoryTimeline({ entries, testId }: { entries: HistoryEntry[]; testId?: string }) {
  const { t, lang } = useI18n();
  const label = useActionLabel();
  return (
    <Timeline
      data-testid={testId}
      items={entries.map((e) => ({
        children: (
          <div className="history-entry">
            <Typography.Text strong>{e.display ? inLanguage(e.display, lang) : label({ action: e.action })}</Typography.Text>{' '}
            <Typography.Text type="secondary">
              {dateTime(e.at)} {e.whoDisplay ?? e.who ?? ''}
            </Typography.Text>
            {e.reason ? <div>{`${t('reason')}：${e.reason}`}</div> : null}
          </div>
        ),
      }))}
    />
  );
}
