/**
 * 危急值确认 · Acknowledge a critical value with read-back: the doctor types the value they received; the server
 * compares it with the result (422 when it does not match) — the dialog then says so and stays open.
 */
import { useState } from 'react';
import { Alert, App, Descriptions, Form, Input, Modal } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import { dateTime, inLanguage } from '../api/format';
import { useErrorText } from '../components/ErrorAlert';
import { useI18n } from '../i18n';
import { inbox, INBOX_COUNT_KEY, markRead } from '../notify/api';
import { acknowledge, CV_KEY, partyText, resultText, taskIdOf, type CriticalValue } from './api';

/** Marks the unread notifications of one alert read (best effort: the acknowledgement is what counts). */
async function markAlertRead(taskId: string): Promise<void> {
  try {
    const { items } = await inbox({ unread: true, category: 'critical-value', limit: 200 });
    const ids = items.filter((n) => taskIdOf(n) === taskId).map((n) => n.id);
    if (ids.length) await markRead(ids);
  } catch {
    // The inbox still lists them as unread; nothing else depends on it.
  }
}

export function AcknowledgeDialog({ cv, open, onClose }: { cv: CriticalValue | undefined; open: boolean; onClose: () => void }) {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const qc = useQueryClient();
  const [form] = Form.useForm<{ readBack: string; action?: string }>();
  const [mismatch, setMismatch] = useState<string | null>(null);
  const ack = useMutation({
    mutationFn: (v: { readBack: string; action?: string }) => acknowledge(cv!.taskId, v),
    onSuccess: () => {
      setMismatch(null);
      // The alert is handled: its notifications need no more attention (the badge goes down).
      void markAlertRead(cv!.taskId).then(() => qc.invalidateQueries({ queryKey: INBOX_COUNT_KEY }));
      form.resetFields();
      void message.success(t('cvAcknowledged'));
      void qc.invalidateQueries({ queryKey: CV_KEY });
      void qc.invalidateQueries({ queryKey: ['tasks'] });
      void qc.invalidateQueries({ queryKey: ['inbox'] });
      void qc.invalidateQueries({ queryKey: INBOX_COUNT_KEY });
      onClose();
    },
    onError: (e) => {
      // 422: the read-back does not match the value; the server says how (in both languages).
      if (e instanceof ApiError && e.status === 422) setMismatch(`${t('readBackMismatch')}（${inLanguage(e.message, lang)}）`);
      else if (e instanceof ApiError && e.status < 500) setMismatch(inLanguage(e.message, lang));
      else setMismatch(errorText(e));
    },
  });
  return (
    <Modal
      open={open && !!cv}
      title={<span style={{ color: '#cf1322' }}>{t('cvAcknowledgeTitle')}</span>}
      okText={t('cvConfirm')}
      cancelText={t('later')}
      okButtonProps={{ danger: true, ...({ 'data-testid': 'cv-ack-submit' } as Record<string, string>) }}
      confirmLoading={ack.isPending}
      onOk={() => form.submit()}
      onCancel={() => {
        setMismatch(null);
        onClose();
      }}
      maskClosable={false}
      destroyOnClose
      data-testid="cv-ack-dialog"
    >
      {cv ? (
        <Descriptions size="small" column={1} bordered style={{ marginBottom: 12 }}>
          <Descriptions.Item label={t('resident')}>{partyText(cv.patient)}</Descriptions.Item>
          <Descriptions.Item label={t('value')}>
            <strong style={{ color: '#cf1322', fontSize: 18 }} data-testid="cv-value">
              {resultText(cv)}
            </strong>
            {cv.limit ? ` （${t('threshold')} ${cv.limit}）` : ''}
          </Descriptions.Item>
          <Descriptions.Item label={t('time')}>{dateTime(cv.resultAt ?? cv.detectedAt)}</Descriptions.Item>
          {cv.dueAt ? (
            <Descriptions.Item label={t('due')}>
              <span style={{ color: cv.overdue ? '#cf1322' : undefined }}>{dateTime(cv.dueAt)}</span>
            </Descriptions.Item>
          ) : null}
        </Descriptions>
      ) : null}
      {mismatch ? <Alert type="error" showIcon message={mismatch} style={{ marginBottom: 12 }} data-testid="cv-ack-error" /> : null}
      <Form
        form={form}
        layout="vertical"
        onFinish={(v) => ack.mutate({ readBack: v.readBack.trim(), action: v.action?.trim() || undefined })}
      >
        <Form.Item
          name="readBack"
          label={t('readBack')}
          extra={t('readBackHint')}
          rules={[{ required: true, whitespace: true, message: t('readBackRequired') }]}
        >
          <Input autoFocus autoComplete="off" data-testid="cv-read-back" onChange={() => setMismatch(null)} />
        </Form.Item>
        <Form.Item name="action" label={t('cvAction')}>
          <Input.TextArea rows={2} maxLength={500} data-testid="cv-action" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
