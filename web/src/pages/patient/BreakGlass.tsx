/** Not found / outside the caller's scope, with the break-glass dialog (紧急授权) for clinicians allowed to use it. */
import { useState } from 'react';
import { Alert, Button, Input, Modal, Result } from 'antd';
import { useI18n } from '../../i18n';

export function NotFoundWithBreakGlass({ canBreakGlass, onReason }: { canBreakGlass: boolean; onReason(reason: string): void }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  return (
    <div data-testid="patient-not-found">
      <Result
        status="404"
        title={t('notFound')}
        extra={
          canBreakGlass && (
            <Button danger onClick={() => setOpen(true)} data-testid="break-glass">
              {t('breakGlass')}
            </Button>
          )
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
