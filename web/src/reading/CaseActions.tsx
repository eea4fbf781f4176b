/**
 * The workflow actions the caller may take on a case (the server says which), as buttons; those that need a reason
 * (QC rejection, return, cancel) ask for it first. Report, sign, images and resubmit have their own controls.
 */
import { useState } from 'react';
import { Button, Input, Modal, Space } from 'antd';
import { useI18n } from '../i18n';
import type { AllowedAction } from '../tasks/api';
import { RT } from './texts';

const REASON_ACTIONS = new Set(['qc-reject', 'return', 'cancel']);
const OWN_CONTROLS = new Set(['report', 'sign', 'images', 'resubmit']);

export interface CaseActionsProps {
  actions: AllowedAction[];
  busy: boolean;
  onAct: (action: string, body?: Record<string, unknown>) => void;
  /** A centre's own wording of an action (e.g. the ECG centre's 心电图质控不合格), else the workflow's. */
  label?: (a: AllowedAction) => string | undefined;
}

export function CaseActions({ actions, busy, onAct, label }: CaseActionsProps) {
  const { pick } = useI18n();
  const [asking, setAsking] = useState<{ action: string; label: string }>();
  const [reason, setReason] = useState('');
  const name = (a: AllowedAction) => label?.(a) ?? (a.display ? pick(a.display) : a.action);
  return (
    <>
      <Space wrap>
        {actions
          .filter((a) => !OWN_CONTROLS.has(a.action))
          .map((a) => (
            <Button
              key={a.action}
              data-testid={`action-${a.action}`}
              loading={busy}
              onClick={() => (REASON_ACTIONS.has(a.action) ? setAsking({ action: a.action, label: name(a) }) : onAct(a.action))}
            >
              {name(a)}
            </Button>
          ))}
      </Space>
      <Modal
        open={!!asking}
        title={asking?.label}
        okText={pick(RT.confirm)}
        cancelText={pick(RT.cancel)}
        okButtonProps={{ disabled: reason.trim().length < 2, id: 'reason-ok' }}
        onOk={() => {
          if (!asking) return;
          onAct(asking.action, { reason });
          setAsking(undefined);
          setReason('');
        }}
        onCancel={() => setAsking(undefined)}
      >
        <Input.TextArea
          rows={3}
          placeholder={pick(RT.actionReason)}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          data-testid="reason-input"
        />
      </Modal>
    </>
  );
}
