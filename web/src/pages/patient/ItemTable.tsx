/** A table of items of some kinds (medications, immunisations, referrals …), each with its source institution. */
import { Table } from 'antd';
import type { Organization } from '../../api/types';
import { day } from '../../api/format';
import { useI18n } from '../../i18n';
import type { Item } from './model';
import { Source } from './Source';
import { Flag } from './Flag';

export function ItemTable({ items, orgs, testId }: { items: Item[]; orgs?: Map<string, Organization>; testId?: string }) {
  const { t } = useI18n();
  return (
    <Table<Item>
      data-testid={testId}
      size="small"
      rowKey="key"
      dataSource={items}
      pagination={{ pageSize: 20, hideOnSinglePage: true, size: 'small' }}
      scroll={{ x: 'max-content' }}
      columns={[
        { title: t('date'), key: 'd', render: (_, it) => day(it.date) },
        { title: t('item'), key: 't', dataIndex: 'title' },
        {
          title: t('value'),
          key: 'v',
          render: (_, it) => (
            <>
              {it.detail} <Flag flag={it.flag} />
            </>
          ),
        },
        { title: t('source'), key: 's', render: (_, it) => <Source orgId={it.orgId} orgs={orgs} /> },
      ]}
    />
  );
}
