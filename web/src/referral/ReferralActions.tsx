/**
 * What the caller may do with a referral now: accept, reject (with a reason), confirm arrival, complete, cancel
 * (with a reason) — the actions the server allows — and, for a hospital that received an up-referral, refer the
 * resident back down with a discharge summary and a follow-up plan.
 */
import { useState } from 'react';
import { App, Button, Form, Input, Modal, Space } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router-dom';
import { useErrorText } from '../components/ErrorAlert';
import { useI18n } from '../i18n';
import { actionOf } from '../tasks/api';
import { useActionLabel } from '../tasks/TransitionButtons';
import { act, type Referral } from './api';

const NEEDS_REASON = new Set(['reject', 'cancel']);

export function ReferralActions({ referral, canReferDown }: { referral: Referral; canReferDown: boolean }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const label = useActionLabel();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [asking, setAsking] = useState<string | null>(null);
  const [form] = Form.useForm<{ reason: string }>();
  const run = useMutation({
    mutationFn: ({ action, reason }: { action: string; reason?: string }) => act(referral.id, action, reason ? { reason } : {}),
    onSuccess: () => {
      setAsking(null);
      form.resetFields();
      void message.success(t('done'));
      for (const key of ['referrals', 'tasks']) void qc.invalidateQueries({ queryKey: [key] });
    },
    onError: (e) => void message.error(errorText(e)),
  });
  const actions = (referral.allowedActions ?? []).map(actionOf);
  return (
    <>
      <Space wrap>
        {actions.map((a) => (
          <Button
            key={a.action}
            danger={NEEDS_REASON.has(a.action)}
            type={NEEDS_REASON.has(a.action) ? 'default' : 'primary'}
            loading={run.isPending && run.variables?.action === a.action}
            onClick={() =>
              NEEDS_REASON.has(a.action) || a.requires?.includes('reason') ? setAsking(a.action) : run.mutate({ action: a.action })
            }
            data-testid={`referral-${a.action}`}
          >
            {label(a)}
          </Button>
        ))}
        {canReferDown ? (
          <Button
            onClick={() => navigate(`/referrals/new?direction=down&from=${encodeURIComponent(referral.id)}`)}
            data-testid="refer-down"
          >
            {t('referDown')}
          </Button>
        ) : null}
      </Space>
      <Modal
        open={!!asking}
        title={asking ? label({ action: asking }) : ''}
        okText={t('confirm')}
        cancelText={t('cancel')}
        confirmLoading={run.isPending}
        onCancel={() => setAsking(null)}
        onOk={() => form.submit()}
        destroyOnClose
      >
        <Form form={form} layout="vertical" onFinish={(v) => asking && run.mutate({ action: asking, reason: v.reason.trim() })}>
          <Form.Item name="reason" label={t('reason')} rules={[{ required: true, whitespace: true, message: t('reasonRequired') }]}>
            <Input.TextArea rows={3} maxLength={500} data-testid="action-reason" />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
