/** An unknown app path: a clear message and the way back, instead of a blank page or a silent redirect. */
import { Button, Result } from 'antd';
import { Link } from 'react-router-dom';
import { useI18n } from '../i18n';

export default function NotFound() {
  const { t } = useI18n();
  return (
    <div data-testid="page-not-found">
      <Result
        status="404"
        title={t('pageNotFound')}
        subTitle={t('pageNotFoundHint')}
        extra={
          <Link to="/">
            <Button type="primary">{t('backHome')}</Button>
          </Link>
        }
      />
    </div>
  );
}
