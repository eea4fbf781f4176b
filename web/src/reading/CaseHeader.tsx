/**
 * The head of a case page: the centre's title, the state (in the centre's words when it has them), the overdue mark,
 * the workflow actions the caller may take, an error of the last action, and the page's own content (the request's
 * facts, notices, upload).
 */
import type { ReactNode } from 'react';
import { Card, Space, Tag } from 'antd';
import { ErrorAlert } from '../components/ErrorAlert';
import { useI18n } from '../i18n';
import type { CaseDetail, Text } from './api';
import { CaseActions } from './CaseActions';
import { useActionLabel } from './CaseHistory';
import { RT, stateText, type CentreWords } from './texts';
import type { ReadingCase } from './useReadingCase';

export interface CaseHeaderProps<D extends CaseDetail = CaseDetail> {
  rc: ReadingCase<D>;
  title: Text;
  /** The centre's words for the workflow's states and steps; without them, the workflow's displays. */
  words?: CentreWords;
  /** More marks after the state (e.g. the chest-pain centre). */
  tags?: ReactNode;
  /** The page's own controls, before the workflow actions. */
  controls?: ReactNode;
  /** Actions the page offers through its own controls, left out of the buttons. */
  ownActions?: ReadonlySet<string>;
  testId?: string;
  children?: ReactNode;
}

export function CaseHeader<D extends CaseDetail>({ rc, title, words, tags, controls, ownActions, testId, children }: CaseHeaderProps<D>) {
  const { pick } = useI18n();
  const label = useActionLabel(words);
  const { d, run, error } = rc;
  if (!d) return null;
  const state = stateText(words, d.state.code);
  return (
    <Card
      data-testid={testId}
      title={
        <Space wrap>
          {pick(title)}
          <Tag color={d.state.final ? 'green' : 'blue'} data-testid="case-state">
            {pick(state ?? d.state.display)}
          </Tag>
          {d.overdue ? <Tag color="red">{pick(RT.overdue)}</Tag> : null}
          {tags}
        </Space>
      }
      extra={
        <Space wrap>
          {controls}
          <CaseActions
            actions={ownActions ? d.allowedActions.filter((a) => !ownActions.has(a.action)) : d.allowedActions}
            busy={run.isPending}
            onAct={(action, body) => run.mutate({ action, body })}
            label={(a) => label(a.action)}
          />
        </Space>
      }
    >
      {error ? <ErrorAlert error={error} /> : null}
      {children}
    </Card>
  );
}
