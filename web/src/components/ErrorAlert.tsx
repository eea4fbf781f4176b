/**
 * A failed request as a clear message in the user's language, never a raw error: "无法连接服务器" when the server
 * does not answer, "服务器出错" for 5xx, else the server's own message; with a retry button when one is given.
 */
import { Alert, Button, Result } from 'antd';
import { ApiError, UNREACHABLE } from '../api/client';
import { inLanguage } from '../api/format';
import { useI18n } from '../i18n';

export function useErrorText(): (e: unknown) => string {
  const { t, lang } = useI18n();
  return (e) =>
    e instanceof ApiError
      ? e.status === UNREACHABLE
        ? t('serverDown')
        : e.status >= 500
          ? t('serverError')
          : inLanguage(e.message, lang)
      : t('error');
}

export function ErrorAlert({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  const text = useErrorText();
  return (
    <Alert
      type="error"
      showIcon
      message={text(error)}
      data-testid="error-alert"
      action={
        onRetry && (
          <Button size="small" onClick={onRetry} data-testid="retry">
            {t('retry')}
          </Button>
        )
      }
    />
  );
}

/** A whole page that could not be loaded (e.g. the signed-in user while the server is down). */
export function ErrorPage({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  const text = useErrorText();
  return (
    <div data-testid="error-page">
      <Result
        status="warning"
        title={text(error)}
        extra={
          onRetry && (
            <Button type="primary" onClick={onRetry} data-testid="retry">
              {t('retry')}
            </Button>
          )
        }
      />
    </div>
  );
}
