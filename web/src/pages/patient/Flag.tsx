import { Tag } from 'antd';
import { useI18n } from '../../i18n';
import type { Item } from './model';

export function Flag({ flag }: { flag: Item['flag'] }) {
  const { t } = useI18n();
  if (!flag) return null;
  return (
    <Tag color="red" className="abnormal-flag">
      {flag === 'H' ? `↑ ${t('high')}` : flag === 'L' ? `↓ ${t('low')}` : t('abnormal')}
    </Tag>
  );
}
