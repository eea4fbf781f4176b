/** 消息 · Inbox: the caller's notifications, newest first; unread only or all, by category; mark read; open the matter. */
import { useState } from 'react';
import { App, Button, Card, List, Segmented, Select, Space, Tag, Typography } from 'antd';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router-dom';
import { ErrorAlert, useErrorText } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { inbox, INBOX_COUNT_KEY, markRead, type Notification } from '../../notify/api';
import { CATEGORY, PRIORITY } from '../../notify/labels';
import { dateTime } from '../../api/format';

const PAGE = 30;

export default function Inbox() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [unread, setUnread] = useState(false);
  const [category, setCategory] = useState<string>('');
  const list = useInfiniteQuery({
    queryKey: ['inbox', unread, category],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => inbox({ unread, category, limit: PAGE, before: pageParam }),
    getNextPageParam: (last) => (last.items.length < PAGE ? undefined : last.items[last.items.length - 1]?.createdAt),
  });
  const read = useMutation({
    mutationFn: markRead,
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['inbox'] });
      void qc.invalidateQueries({ queryKey: INBOX_COUNT_KEY });
    },
    onError: (e) => void message.error(errorText(e)),
  });
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  const counts = list.data?.pages[0]?.unread;
  const open = (n: Notification) => {
    if (!n.readAt) read.mutate([n.id]);
    if (n.link) navigate(n.link);
  };
  return (
    <Card
      title={`${t('inbox')}${counts ? ` · ${t('unread')} ${counts.total}` : ''}`}
      extra={
        <Button size="small" onClick={() => read.mutate('all')} disabled={!counts?.total} data-testid="read-all">
          {t('markAllRead')}
        </Button>
      }
    >
      <Space wrap style={{ marginBottom: 12 }}>
        <Segmented
          value={unread ? 'unread' : 'all'}
          onChange={(v) => setUnread(v === 'unread')}
          options={[
            { value: 'all', label: t('all') },
            { value: 'unread', label: t('unread') },
          ]}
        />
        <Select
          style={{ minWidth: 140 }}
          value={category}
          onChange={setCategory}
          options={[
            { value: '', label: t('allCategories') },
            ...Object.entries(CATEGORY).map(([value, key]) => ({
              value,
              label: `${t(key)}${counts?.byCategory[value] ? ` (${counts.byCategory[value]})` : ''}`,
            })),
          ]}
        />
      </Space>
      {list.error ? <ErrorAlert error={list.error} onRetry={() => void list.refetch()} /> : null}
      <List<Notification>
        data-testid="inbox"
        loading={list.isLoading}
        dataSource={items}
        locale={{ emptyText: t('noMessages') }}
        renderItem={(n) => (
          <List.Item
            className={`inbox-item${n.readAt ? '' : ' unread'}`}
            style={{ background: n.readAt ? undefined : '#f0f7ff', paddingInline: 8 }}
            actions={[
              n.link ? (
                <Button key="open" size="small" type="link" onClick={() => open(n)}>
                  {t('open')}
                </Button>
              ) : null,
              !n.readAt ? (
                <Button key="read" size="small" type="link" onClick={() => read.mutate([n.id])}>
                  {t('markRead')}
                </Button>
              ) : null,
            ].filter(Boolean)}
          >
            <List.Item.Meta
              title={
                <Space wrap size={4}>
                  <Tag color={PRIORITY[n.priority]?.color}>{t(PRIORITY[n.priority]?.label ?? 'priorityRoutine')}</Tag>
                  {CATEGORY[n.category] ? <Tag>{t(CATEGORY[n.category]!)}</Tag> : null}
                  <Typography.Text strong={!n.readAt} style={{ wordBreak: 'break-word' }}>
                    {n.title}
                  </Typography.Text>
                </Space>
              }
              description={
                <>
                  {n.body ? <div style={{ wordBreak: 'break-word' }}>{n.body}</div> : null}
                  <Typography.Text type="secondary">{dateTime(n.createdAt)}</Typography.Text>
                </>
              }
            />
          </List.Item>
        )}
      />
      {list.hasNextPage ? (
        <Button block onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>
          {t('showMore')}
        </Button>
      ) : null}
    </Card>
  );
}
