/** Sign-in with username and password, then the one-time code when the account has a second factor. */
import { useState } from 'react';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { Navigate, useNavigate, useSearchParams } from 'react-router-dom';
import { ApiError, UNREACHABLE } from '../api/client';
import { useAuth } from '../auth';
import { useI18n } from '../i18n';

interface Values {
  username: string;
  password: string;
  totp?: string;
}

export function LoginPage() {
  const { t, lang, setLang } = useI18n();
  const { me, login } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [needTotp, setNeedTotp] = useState(false);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  if (me) return <Navigate to="/" replace />;
  const submit = async (v: Values) => {
    setBusy(true);
    setError(undefined);
    try {
      await login(v.username, v.password, v.totp);
      navigate('/', { replace: true });
    } catch (e) {
      if (e instanceof ApiError && (e.body as { error?: string })?.error === 'totp_required') setNeedTotp(true);
      else if (e instanceof ApiError && e.status === UNREACHABLE) setError(t('serverDown'));
      else setError(e instanceof ApiError && e.status < 500 ? t('loginFailed') : t('serverError'));
    } finally {
      setBusy(false);
    }
  };
  const notice = params.get('expired') ? t('sessionExpired') : params.get('bye') ? t('loggedOut') : undefined;
  return (
    <div
      style={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', background: '#f5f7fa', padding: 12 }}
    >
      <Card style={{ width: '100%', maxWidth: 380 }}>
        <Typography.Title level={4} style={{ marginTop: 0 }}>
          {t('appName')}
        </Typography.Title>
        {notice && (
          <Alert
            type={params.get('expired') ? 'warning' : 'info'}
            message={notice}
            style={{ marginBottom: 16 }}
            data-testid="login-notice"
          />
        )}
        {error && <Alert type="error" message={error} style={{ marginBottom: 16 }} data-testid="login-error" />}
        {needTotp && <Alert type="info" message={t('totpRequired')} style={{ marginBottom: 16 }} />}
        <Form<Values> layout="vertical" onFinish={(v) => void submit(v)} requiredMark={false}>
          <Form.Item name="username" label={t('username')} rules={[{ required: true }]}>
            <Input autoComplete="username" id="username" />
          </Form.Item>
          <Form.Item name="password" label={t('password')} rules={[{ required: true }]}>
            <Input.Password autoComplete="current-password" id="password" />
          </Form.Item>
          {needTotp && (
            <Form.Item name="totp" label={t('totp')} rules={[{ required: true, pattern: /^\d{6}$/ }]}>
              <Input inputMode="numeric" autoComplete="one-time-code" id="totp" maxLength={6} />
            </Form.Item>
          )}
          <Button type="primary" htmlType="submit" block loading={busy} data-testid="login-submit">
            {t('login')}
          </Button>
        </Form>
        <Button type="link" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} style={{ paddingLeft: 0, marginTop: 8 }}>
          {t('language')}
        </Button>
      </Card>
    </div>
  );
}
