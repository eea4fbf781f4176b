/** Rows of a worklist: resident, what it is about, state, due time (overdue in red, escalation level), actions. */
import { Button, Space, Table, Tag, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { dateTime } from '../api/format';
import { useI18n } from '../i18n';
import { focusText, linkOf, patientOf, type WorkItem } from './api';
import { TransitionButtons } from './TransitionButtons';
import { PRIORITY } from '../notify/labels';

/**
 * The actions of a row. A critical value is acknowledged with a read-back on its own page (the generic transition
 * would need the read-back as a Task.output), so its row links there.
 */
export function WorkActions({ item, size }: { item: WorkItem; size?: 'small' | 'middle' }) {
  const { t } = useI18n();
  if (item.workflow.id === 'critical-value') {
    return item.allowedActions.some((a) => a.action === 'acknowledge') ? (
      <Link to={linkOf(item)}>
        <Button size={size ?? 'small'} danger type="primary" data-testid="action-acknowledge">
          {t('cvAcknowledgeNow')}
        </Button>
      </Link>
    ) : null;
  }
  return <TransitionButtons taskId={item.task.id ?? ''} actions={item.allowedActions} size={size} />;
}

export function WorkTable({
  items,
  loading,
  testId,
  compact,
}: {
  items: WorkItem[];
  loading?: boolean;
  testId?: string;
  /** Workbench panels: fewer columns. */
  compact?: boolean;
}) {
  const { t, pick } = useI18n();
  return (
    <Table<WorkItem>
      data-testid={testId}
      size="small"
      rowKey={(i) => i.task.id ?? ''}
      loading={loading}
      dataSource={items}
      pagination={{ pageSize: compact ? 5 : 20, hideOnSinglePage: true, size: 'small' }}
      scroll={{ x: 'max-content' }}
      locale={{ emptyText: t('noTasks') }}
      rowClassName={(i) => `work-item${i.overdue ? ' overdue' : ''}`}
      columns={[
        {
          title: t('item'),
          key: 'f',
          render: (_, i) => (
            <Space size={4} wrap>
              {i.task.priority && i.task.priority !== 'routine' ? (
                <Tag color={PRIORITY[i.task.priority].color}>{t(PRIORITY[i.task.priority].label)}</Tag>
              ) : null}
              {/* A long description wraps rather than pushing the due time out of view (the table scrolls sideways). */}
              <Link to={linkOf(i)} className="work-focus" style={{ display: 'inline-block', maxWidth: 460, whiteSpace: 'normal' }}>
                {focusText(i)}
              </Link>
            </Space>
          ),
        },
        {
          title: t('name'),
          key: 'p',
          render: (_, i) => {
            const p = patientOf(i);
            return p.id ? <Link to={`/patients/${p.id}`}>{p.name ?? t('open')}</Link> : (p.name ?? '—');
          },
        },
        {
          title: t('status'),
          key: 's',
          render: (_, i) => (
            <Tag className="work-state" data-state={i.state.code}>
              {pick(i.state.display)}
            </Tag>
          ),
        },
        {
          title: t('due'),
          key: 'd',
          render: (_, i) =>
            i.due ? (
              <Space size={4}>
                <Typography.Text type={i.overdue ? 'danger' : undefined}>{dateTime(i.due)}</Typography.Text>
                {i.overdue ? <Tag color="red">{t('overdue')}</Tag> : null}
                {i.escalationLevel ? (
                  <Tag color="volcano">
                    {t('escalated')} {i.escalationLevel}
                  </Tag>
                ) : null}
              </Space>
            ) : (
              '—'
            ),
        },
        ...(compact
          ? []
          : [
              {
                title: t('action'),
                key: 'a',
                render: (_: unknown, i: WorkItem) => <WorkActions item={i} />,
              },
            ]),
      ]}
    />
  );
}
