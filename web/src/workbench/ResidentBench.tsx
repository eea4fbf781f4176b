/** Resident (居民): the own record first. */
import { Button, Card, Result } from 'antd';
import { Link } from 'react-router-dom';
import { useAuth } from '../auth';
import { useI18n } from '../i18n';

export function ResidentBench() {
  const { t } = useI18n();
  const { me } = useAuth();
  return (
    <Card>
      <Result
        status="info"
        title={`${t('welcome')}，${me?.username ?? ''}`}
        extra={
          <Link to={`/patients/${me?.patientId ?? ''}`}>
            <Button type="primary" data-testid="open-own-record">
              {t('myRecord')}
            </Button>
          </Link>
        }
      />
    </Card>
  );
}
