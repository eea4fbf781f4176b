/** Roles without a workbench of their own yet (pharmacist, CDC, school, insurance, poverty office): resident search. */
import { Card, Input } from 'antd';
import { useNavigate } from 'react-router-dom';
import { useI18n } from '../i18n';

export function GenericBench() {
  const { t } = useI18n();
  const navigate = useNavigate();
  return (
    <Card title={t('residents')}>
      <Input.Search
        placeholder={t('searchPlaceholder')}
        enterButton={t('search')}
        onSearch={(q) => q && navigate(`/patients?q=${encodeURIComponent(q)}`)}
      />
    </Card>
  );
}
