/** Every item across institutions, newest first; 50 at a time (plain markup: this list is the 360° view's hot path). */
import { useState } from 'react';
import { Button, Empty, Tag, Timeline as AntTimeline } from 'antd';
import type { Organization } from '../../api/types';
import { day } from '../../api/format';
import { useI18n } from '../../i18n';
import { KIND_COLOR, KIND_LABEL } from './labels';
import type { Item } from './model';
import { Source } from './Source';
import { Flag } from './Flag';

const PAGE = 50;

export function Timeline({ items, orgs }: { items: Item[]; orgs?: Map<string, Organization> }) {
  const { t } = useI18n();
  const [shown, setShown] = useState(PAGE);
  if (!items.length) return <Empty description={t('noData')} data-testid="timeline" />;
  return (
    <div data-testid="timeline">
      <AntTimeline
        items={items.slice(0, shown).map((it) => ({
          key: it.key,
          color: it.flag ? 'red' : 'blue',
          children: (
            <div className="timeline-item" data-kind={it.kind}>
              <span style={{ color: '#8c8c8c', marginRight: 6 }}>{day(it.date)}</span>
              <Tag color={KIND_COLOR[it.kind]}>{t(KIND_LABEL[it.kind])}</Tag>
              <b>{it.title}</b> {it.detail && <span>{it.detail}</span>} <Flag flag={it.flag} />
              <div>
                <Source orgId={it.orgId} orgs={orgs} />
              </div>
            </div>
          ),
        }))}
      />
      {shown < items.length && (
        <Button onClick={() => setShown(shown + PAGE)}>
          {t('showMore')} ({items.length - shown})
        </Button>
      )}
    </div>
  );
}
