/** Not found / outside the caller's scope, with the break-glass dialog (紧急授权) for clinicians allowed to use it. */
import { useState } from 'react';
import { Alert, Button, Input, Modal, Result, Space } from 'antd';
import { Link } from 'react-router-dom';
import { useAuth } from '../../auth';
import { useI18n } from '../../i18n';

export function NotFoundWithBreakGlass({ canBreakGlass, onReason }: { canBreakGlass: boolean; onReason(reason: string): void }) {
  const { t } = useI18n();
  const { me } = useAuth();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  return (
    <div data-testid="patient-not-found">
      <Result
        status="404"
        title={t('notFound')}
        extra={
          <Space wrap>
            <Link to={me?.patientId ? '/' : '/patients'} data-testid="back-link">
              <Button type="primary">{me?.patientId ? t('backHome') : t('backToSearch')}</Button>
            </Link>
            {canBreakGlass && (
              <Button danger onClick={() => setOpen(true)} data-testid="break-glass">
                {t('breakGlass')}
              </Button>
            )}
          </Space>
        }
      />
      <Modal
        open={open}
        title={t('breakGlass')}
        onCancel={() => setOpen(false)}
        okButtonProps={{ danger: true, disabled: reason.trim().length < 4 }}
        onOk={() => {
          setOpen(false);
          onReason(reason.trim());
        }}
      >
        <Alert type="warning" message={t('breakGlassHint')} style={{ marginBottom: 12 }} />
        <Input.TextArea
          rows={3}
          placeholder={t('breakGlassReason')}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          data-testid="break-glass-reason"
        />
      </Modal>
    </div>
  );
}
