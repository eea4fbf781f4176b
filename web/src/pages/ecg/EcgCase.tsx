/**
 * One ECG case: the request, the upload of the tracing by the requester (DICOM, aECG, JSON, CSV — errors shown as the
 * server words them), the 12-lead tracing on ECG paper, the measurements, the report form with the standard
 * statements for the reader who claimed it, signing by a second reader, the report with its HR mark and versions, the
 * chest-pain time-line when a STEMI opened one, and the history. Shared parts: web/src/reading/.
 */
import { useState } from 'react';
import { Button, Card, Empty, InputNumber, Space, Tag, Typography, Upload } from 'antd';
import { UploadOutlined } from '@ant-design/icons';
import { useParams } from 'react-router-dom';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { CaseHeader } from '../../reading/CaseHeader';
import { CaseHistory, useActionLabel } from '../../reading/CaseHistory';
import { ReportSection } from '../../reading/ReportSection';
import { RequestFacts } from '../../reading/RequestFacts';
import { RT } from '../../reading/texts';
import { useCaseUpload } from '../../reading/useCaseUpload';
import { useReadingCase } from '../../reading/useReadingCase';
import { ChestPainTimeline } from '../chest-pain/ChestPainTimeline';
import { uploadTracing, type EcgCaseDetail } from './api';
import { EcgGrid } from './EcgGrid';
import { Measurements } from './Measurements';
import { ET } from './texts';

export default function EcgCase() {
  const { taskId = '' } = useParams();
  const { pick } = useI18n();
  const label = useActionLabel(ET);
  const rc = useReadingCase<EcgCaseDetail>('ecg', taskId);
  const { q, d, refresh, can } = rc;
  const [rate, setRate] = useState<number | null>(500);
  const { upload, notice } = useCaseUpload(
    rc,
    (serviceRequest, file: File) => uploadTracing(serviceRequest, file, rate ?? undefined),
    () => ET.uploaded,
  );
  if (q.error) return <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />;
  if (!d) return <Card loading />;
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <CaseHeader rc={rc} title={ET.title} words={ET} tags={d.chestPain ? <Tag color="red">{pick(ET.chestPainList)}</Tag> : null}>
        {notice}
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
                {pick(upload.isPending ? RT.uploading : ET.upload)}
              </Button>
            </Upload>
            <span>
              {pick(ET.sampleRate)} <InputNumber min={100} max={16000} value={rate} onChange={setRate} data-testid="ecg-sample-rate" />
            </span>
            <Typography.Text type="secondary">{pick(ET.uploadHint)}</Typography.Text>
          </Space>
        ) : null}
      </CaseHeader>
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
      <ReportSection rc={rc} testId="ecg-report" picker="statements" statementsLabel={ET.statements} />
      {d.chestPain ? (
        <Card title={pick(ET.chestPain)} size="small">
          <ChestPainTimeline record={d.chestPain} onChange={() => refresh()} />
        </Card>
      ) : null}
      <CaseHistory history={d.history} label={label} />
    </Space>
  );
}
