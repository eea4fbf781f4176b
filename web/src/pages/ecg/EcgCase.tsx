/**
 * One ECG case: the request, the upload of the tracing by the requester (DICOM, aECG, JSON, CSV — errors shown as the
 * server words them), the 12-lead tracing on ECG paper, the measurements, the report form with the standard
 * statements for the reader who claimed it, signing by a second reader, the report with its HR mark and versions, the
 * chest-pain time-line when a STEMI opened one, and the history. Shared parts: web/src/reading/.
 */
import { useState } from 'react';
import { Alert, Button, Card, Empty, InputNumber, Space, Tag, Typography, Upload } from 'antd';
import { UploadOutlined } from '@ant-design/icons';
import { useMutation } from '@tanstack/react-query';
import { useParams } from 'react-router-dom';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { CaseActions } from '../../reading/CaseActions';
import { CaseHistory } from '../../reading/CaseHistory';
import { ReportEditor } from '../../reading/ReportEditor';
import { ReportPanel } from '../../reading/ReportPanel';
import { RequestFacts } from '../../reading/RequestFacts';
import { RT } from '../../reading/texts';
import { useReadingCase } from '../../reading/useReadingCase';
import { ChestPainTimeline } from '../chest-pain/ChestPainTimeline';
import { uploadTracing, type EcgCaseDetail } from './api';
import { EcgGrid } from './EcgGrid';
import { Measurements } from './Measurements';
import { ET } from './texts';

export default function EcgCase() {
  const { taskId = '' } = useParams();
  const { pick } = useI18n();
  const { q, d, run, error, setError, refresh, form, amending, startAmend, can } = useReadingCase<EcgCaseDetail>('ecg', taskId);
  const [notice, setNotice] = useState<string>();
  const [rate, setRate] = useState<number | null>(500);
  const upload = useMutation({
    mutationFn: (file: File) => uploadTracing(d!.case.serviceRequest.replace('ServiceRequest/', ''), file, rate ?? undefined),
    onSuccess: () => {
      setError(undefined);
      setNotice(pick(ET.uploaded));
      refresh();
    },
    onError: setError,
  });
  if (q.error) return <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />;
  if (!d) return <Card loading />;
  const stateText = ET.states[d.state.code];
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Card
        title={
          <Space wrap>
            {pick(ET.title)}
            <Tag color={d.state.final ? 'green' : 'blue'} data-testid="case-state">
              {stateText ? pick(stateText) : pick(d.state.display)}
            </Tag>
            {d.overdue ? <Tag color="red">{pick(RT.overdue)}</Tag> : null}
            {d.chestPain ? <Tag color="red">{pick(ET.chestPainList)}</Tag> : null}
          </Space>
        }
        extra={
          <CaseActions
            actions={d.allowedActions}
            busy={run.isPending}
            onAct={(action, body) => run.mutate({ action, body })}
            label={(a) => (ET.actions[a.action] ? pick(ET.actions[a.action]!) : undefined)}
          />
        }
      >
        {error ? <ErrorAlert error={error} /> : null}
        {notice ? <Alert type="success" showIcon message={notice} style={{ marginBottom: 12 }} data-testid="upload-notice" /> : null}
        <RequestFacts d={d} />
        {can.upload ? (
          <Space wrap>
            <Upload
              accept=".dcm,.xml,.json,.csv,application/dicom,application/xml,application/json,text/csv"
              showUploadList={false}
              beforeUpload={(file) => {
                upload.mutate(file as unknown as File);
                return false;
              }}
            >
              <Button type="primary" icon={<UploadOutlined />} loading={upload.isPending} data-testid="ecg-upload">
                {pick(upload.isPending ? ET.uploading : ET.upload)}
              </Button>
            </Upload>
            <span>
              {pick(ET.sampleRate)} <InputNumber min={100} max={16000} value={rate} onChange={setRate} data-testid="ecg-sample-rate" />
            </span>
            <Typography.Text type="secondary">{pick(ET.uploadHint)}</Typography.Text>
          </Space>
        ) : null}
      </Card>
      <Card
        title={pick(ET.tracing)}
        size="small"
        extra={
          d.tracing ? (
            <Typography.Text type="secondary">
              {d.tracing.format.toUpperCase()} · {d.tracing.sampleRate} Hz · {d.tracing.seconds.toFixed(1)} s
              {d.original?.attachment?.title ? ` · ${pick(ET.original)}: ${d.original.attachment.title}` : ''}
            </Typography.Text>
          ) : null
        }
      >
        {d.tracing ? <EcgGrid leads={d.tracing.leads} seconds={d.tracing.seconds} /> : <Empty description={pick(ET.noTracing)} />}
        {d.tracing ? (
          <div style={{ marginTop: 8 }}>
            <Typography.Title level={5}>{pick(ET.measurements)}</Typography.Title>
            <Measurements d={d} editable={can.write} onSaved={() => refresh()} />
          </div>
        ) : null}
      </Card>
      {can.write || amending ? (
        <Card title={pick(amending ? RT.amend : RT.report)} size="small">
          <ReportEditor
            form={form}
            detail={d}
            amending={amending}
            busy={run.isPending}
            picker="statements"
            statementsLabel={ET.statements}
            onSubmit={(body) => run.mutate({ action: amending ? 'amend' : 'report', body: { ...body } })}
          />
        </Card>
      ) : null}
      <ReportPanel
        detail={d}
        canSign={can.sign}
        canAmend={can.amend}
        busy={run.isPending}
        onSign={() => run.mutate({ action: 'sign' })}
        onAmend={() => startAmend()}
        testId="ecg-report"
      />
      {d.chestPain ? (
        <Card title={pick(ET.chestPain)} size="small">
          <ChestPainTimeline record={d.chestPain} onChange={() => refresh()} />
        </Card>
      ) : null}
      <CaseHistory history={d.history} label={(a) => (ET.actions[a] ? pick(ET.actions[a]!) : undefined)} />
    </Space>
  );
}
