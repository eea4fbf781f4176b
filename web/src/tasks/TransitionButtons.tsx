/**
 * The actions the caller may take on a task now (from the server's allowedActions). An action that needs a reason or
 * a note asks for it in a dialog first; the answer refreshes every worklist.
 */
import { useState } from 'react';
import { App, Button, Form, Input, Modal, Space } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useErrorText } from '../components/ErrorAlert';
import { useI18n, type TextKey } from '../i18n';
import { actionOf, transition, type AllowedAction, type TransitionInput } from './api';

/** Words for common actions when the server sends no display text. */
const ACTION_TEXT: Record<string, TextKey> = {
  accept: 'actAccept',
  reject: 'actReject',
  start: 'actStart',
  complete: 'actComplete',
  cancel: 'actCancel',
  acknowledge: 'actAcknowledge',
  arrive: 'actArrive',
};

export function useActionLabel(): (a: AllowedAction) => string {
  const { t, pick } = useI18n();
  return (a) => (a.display ? pick(a.display) : ACTION_TEXT[a.action] ? t(ACTION_TEXT[a.action]!) : a.action);
}

const DANGER = new Set(['reject', 'cancel', 'decline']);

export function TransitionButtons({
  taskId,
  actions,
  size = 'small',
}: {
  taskId: string;
  actions: (AllowedAction | string)[] | undefined;
  size?: 'small' | 'middle';
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const label = useActionLabel();
  const qc = useQueryClient();
  const [asking, setAsking] = useState<AllowedAction | null>(null);
  const [form] = Form.useForm<{ reason?: string; note?: string }>();
  const run = useMutation({
    mutationFn: (input: TransitionInput) => transition(taskId, input),
    onSuccess: () => {
      setAsking(null);
      form.resetFields();
      void message.success(t('done'));
      for (const key of ['tasks', 'referrals', 'critical-values']) void qc.invalidateQueries({ queryKey: [key] });
    },
    onError: (e) => void message.error(errorText(e)),
  });
  const list = (actions ?? []).map(actionOf);
  if (!list.length) return null;
  const needs = (a: AllowedAction, f: string) => a.requires?.includes(f) ?? false;
  const click = (a: AllowedAction) => {
    if (needs(a, 'reason') || needs(a, 'note') || DANGER.has(a.action)) setAsking(a);
    else run.mutate({ action: a.action });
  };
  return (
    <>
      <Space wrap size={4}>
        {list.map((a) => (
          <Button
            key={a.action}
            size={size}
            danger={DANGER.has(a.action)}
            type={DANGER.has(a.action) ? 'default' : 'primary'}
            loading={run.isPending && run.variables?.action === a.action}
            onClick={() => click(a)}
            data-testid={`action-${a.action}`}
          >
            {label(a)}
          </Button>
        ))}
      </Space>
      <Modal
        open={!!asking}
        title={asking ? label(asking) : ''}
        okText={t('confirm')}
        cancelText={t('cancel')}
        confirmLoading={run.isPending}
        onCancel={() => setAsking(null)}
        onOk={() => form.submit()}
        destroyOnClose
      >
        <Form
          form={form}
          layout="vertical"
          onFinish={(v) => asking && run.mutate({ action: asking.action, reason: v.reason || undefined, note: v.note || undefined })}
        >
          <Form.Item
            name="reason"
            label={t('reason')}
            rules={
              asking && (needs(asking, 'reason') || DANGER.has(asking.action))
                ? [{ required: true, whitespace: true, message: t('reasonRequired') }]
                : []
            }
          >
            <Input.TextArea rows={2} maxLength={500} data-testid="transition-reason" />
          </Form.Item>
          <Form.Item
            name="note"
            label={t('note')}
            rules={asking && needs(asking, 'note') ? [{ required: true, whitespace: true, message: t('noteRequired') }] : []}
          >
            <Input.TextArea rows={2} maxLength={1000} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
