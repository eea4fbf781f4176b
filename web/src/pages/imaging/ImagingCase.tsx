/**
 * One imaging case: the request, the images (viewer), the workflow state with the actions the caller may take, the
 * report form from templates for the reader who claimed it, signing by a second reader, the signed report with its
 * HR mark and versions (as the township sees it), the upload of images by the requester, and revision after signing.
 */
import { useState } from 'react';
import {
  Alert,
  Button,
  Card,
  Checkbox,
  Descriptions,
  Form,
  Input,
  Modal,
  Radio,
  Select,
  Space,
  Tag,
  Timeline,
  Typography,
  Upload,
} from 'antd';
import { UploadOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useParams } from 'react-router-dom';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useAuth } from '../../auth';
import { useI18n } from '../../i18n';
import { act, caseDetail, uploadStudy, type CaseDetail } from './api';
import { TX } from './texts';
import { Viewer } from './Viewer';

interface ReportValues {
  template?: string;
  findings: string;
  impression: string;
  positive: boolean;
  conclusions: string[];
  reason?: string;
}

const REASON_ACTIONS = new Set(['qc-reject', 'return', 'cancel']);
const FORM_ACTIONS = new Set(['report', 'sign']);

function ReportView({ report, mark }: { report: CaseDetail['report']; mark?: string }) {
  const { pick } = useI18n();
  if (!report) return null;
  const findings = report.extension?.find((e: { url: string }) => e.url.endsWith('/report-findings'))?.valueString;
  const hr = report.meta?.tag?.find((t: { system: string; code: string }) => t.system === 'urn:yiwang:recognition' && t.code === 'HR');
  const status = TX.reportStatus[report.status as keyof typeof TX.reportStatus];
  return (
    <div data-testid="imaging-report">
      <Space wrap style={{ marginBottom: 8 }}>
        <Tag color={report.status === 'preliminary' ? 'blue' : 'green'} data-testid="report-status">
          {status ? pick(status) : report.status}
        </Tag>
        {hr ? (
          <Tag color="gold" data-testid="report-hr">
            {mark ?? hr.display?.split(' ')[0] ?? 'HR'} {pick(TX.hr)}
          </Tag>
        ) : null}
        {(report.conclusionCode ?? [])
          .flatMap((c: { coding?: { system: string; display?: string }[] }) => c.coding ?? [])
          .filter((c: { system: string }) => c.system === 'urn:yiwang:critical-finding')
          .map((c: { display?: string }) => (
            <Tag color="red" key={c.display}>
              {c.display}
            </Tag>
          ))}
      </Space>
      <Typography.Title level={5}>{pick(TX.findings)}</Typography.Title>
      <Typography.Paragraph data-testid="report-findings">{findings}</Typography.Paragraph>
      <Typography.Title level={5}>{pick(TX.impression)}</Typography.Title>
      <Typography.Paragraph strong data-testid="report-impression">
        {report.conclusion}
      </Typography.Paragraph>
    </div>
  );
}

export default function ImagingCase() {
  const { taskId = '' } = useParams();
  const { pick, lang } = useI18n();
  const { me } = useAuth();
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['imaging-case', taskId], queryFn: () => caseDetail(taskId) });
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [asking, setAsking] = useState<{ action: string; label: string }>();
  const [reason, setReason] = useState('');
  const [form] = Form.useForm<ReportValues>();
  const [amending, setAmending] = useState(false);
  const refresh = (d?: CaseDetail) => {
    if (d) qc.setQueryData(['imaging-case', taskId], d);
    else void qc.invalidateQueries({ queryKey: ['imaging-case', taskId] });
  };
  const run = useMutation({
    mutationFn: ({ action, body }: { action: string; body?: Record<string, unknown> }) => act(taskId, action, body),
    onSuccess: (d) => {
      setError(undefined);
      setAsking(undefined);
      setReason('');
      setAmending(false);
      refresh(d);
    },
    onError: setError,
  });
  const upload = useMutation({
    mutationFn: (files: File[]) => uploadStudy(q.data!.case.serviceRequest.replace('ServiceRequest/', ''), files),
    onSuccess: (r) => {
      setError(undefined);
      setNotice(pick(r.outcome === 'linked' ? TX.uploaded : TX.reconciliation));
      refresh();
    },
    onError: setError,
  });
  if (q.error) return <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />;
  const d = q.data;
  if (!d) return <Card loading />;
  const state = d.state.code;
  const myRef = me?.practitionerId ? `Practitioner/${me.practitionerId}` : undefined;
  const canWrite = d.side === 'centre' && state === 'claimed' && d.case.claimedBy === myRef;
  const canSign = d.side === 'centre' && state === 'preliminary' && d.case.reportedBy !== myRef;
  const canUpload = d.side === 'requester' && ['awaiting-images', 'qc-rejected'].includes(state);
  const canAmend = d.side === 'centre' && (d.report?.status === 'final' || d.report?.status === 'amended');
  const criticalOptions = d.conclusions.filter((c) => c.critical).map((c) => ({ value: c.code, label: lang === 'zh' ? c.display : c.en }));
  const applyTemplate = (id: string) => {
    const t = d.templates.find((x) => x.id === id);
    if (t)
      form.setFieldsValue({
        template: id,
        findings: t.findings,
        impression: t.impression,
        positive: t.positive,
        conclusions: t.conclusionCodes ?? [],
      });
  };
  const submitReport = (action: 'report' | 'amend') => (v: ReportValues) =>
    run.mutate({ action, body: { ...v, conclusions: v.conclusions ?? [] } });
  const sr = d.serviceRequest;
  const buttons = d.allowedActions.filter((a) => !FORM_ACTIONS.has(a.action) && a.action !== 'images' && a.action !== 'resubmit');
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Card
        title={
          <Space wrap>
            {pick(TX.title)}
            <Tag color={d.state.final ? 'green' : 'blue'} data-testid="case-state">
              {pick(d.state.display)}
            </Tag>
            {d.overdue ? <Tag color="red">{pick(TX.overdue)}</Tag> : null}
          </Space>
        }
        extra={
          <Space wrap>
            {buttons.map((a) => (
              <Button
                key={a.action}
                data-testid={`action-${a.action}`}
                loading={run.isPending}
                onClick={() =>
                  REASON_ACTIONS.has(a.action)
                    ? setAsking({ action: a.action, label: a.display ? pick(a.display) : a.action })
                    : run.mutate({ action: a.action })
                }
              >
                {a.display ? pick(a.display) : a.action}
              </Button>
            ))}
          </Space>
        }
      >
        {error ? <ErrorAlert error={error} /> : null}
        {notice ? <Alert type="success" showIcon message={notice} style={{ marginBottom: 12 }} data-testid="upload-notice" /> : null}
        <Descriptions size="small" column={{ xs: 1, sm: 2 }} title={pick(TX.requestInfo)}>
          <Descriptions.Item label={pick(TX.patient)}>
            {(d.patient?.name?.[0]?.text ?? `${d.patient?.name?.[0]?.family ?? ''}${(d.patient?.name?.[0]?.given ?? []).join('')}`) ||
              d.case.patient}
          </Descriptions.Item>
          <Descriptions.Item label={pick(TX.item)}>{sr?.code?.text}</Descriptions.Item>
          <Descriptions.Item label={pick(TX.priority)}>{sr?.priority}</Descriptions.Item>
          <Descriptions.Item label={pick(TX.reason)}>{sr?.reasonCode?.[0]?.text}</Descriptions.Item>
          <Descriptions.Item label={pick(TX.requestedAt)}>
            {d.case.requestedAt ? new Date(d.case.requestedAt).toLocaleString() : ''}
          </Descriptions.Item>
          {d.due ? <Descriptions.Item label={pick(TX.due)}>{new Date(d.due).toLocaleString()}</Descriptions.Item> : null}
        </Descriptions>
        {canUpload ? (
          <Upload
            multiple
            accept=".dcm,application/dicom,*/*"
            showUploadList={false}
            beforeUpload={(_file, list) => {
              if (_file === list[0]) upload.mutate(list as unknown as File[]);
              return false;
            }}
          >
            <Button type="primary" icon={<UploadOutlined />} loading={upload.isPending} data-testid="imaging-upload">
              {pick(upload.isPending ? TX.uploading : TX.upload)}
            </Button>
            <Typography.Text type="secondary" style={{ marginLeft: 8 }}>
              {pick(TX.uploadHint)}
            </Typography.Text>
          </Upload>
        ) : null}
      </Card>
      <Card title={pick(TX.images)} size="small">
        <Viewer study={d.imagingStudy} />
      </Card>
      {canWrite || amending ? (
        <Card title={pick(amending ? TX.amend : TX.report)} size="small">
          <Form<ReportValues>
            form={form}
            layout="vertical"
            initialValues={{ positive: false, conclusions: [], findings: '', impression: '' }}
            onFinish={submitReport(amending ? 'amend' : 'report')}
          >
            <Form.Item name="template" label={pick(TX.template)}>
              <Select
                data-testid="report-template"
                onChange={applyTemplate}
                options={d.templates.map((t) => ({ value: t.id, label: pick(t.title) }))}
              />
            </Form.Item>
            <Form.Item name="findings" label={pick(TX.findings)} rules={[{ required: true }]}>
              <Input.TextArea rows={4} data-testid="report-findings-input" />
            </Form.Item>
            <Form.Item name="impression" label={pick(TX.impression)} rules={[{ required: true }]}>
              <Input.TextArea rows={2} data-testid="report-impression-input" />
            </Form.Item>
            <Form.Item name="positive" label={`${pick(TX.positive)} / ${pick(TX.negative)}`}>
              <Radio.Group
                options={[
                  { value: false, label: pick(TX.negative) },
                  { value: true, label: pick(TX.positive) },
                ]}
              />
            </Form.Item>
            <Form.Item name="conclusions" label={pick(TX.critical)}>
              <Checkbox.Group options={criticalOptions} />
            </Form.Item>
            {amending ? (
              <Form.Item name="reason" label={pick(TX.amendReason)} rules={[{ required: true, min: 2 }]}>
                <Input data-testid="amend-reason" />
              </Form.Item>
            ) : null}
            <Button type="primary" htmlType="submit" loading={run.isPending} data-testid="report-submit">
              {pick(amending ? TX.amend : TX.saveReport)}
            </Button>
          </Form>
        </Card>
      ) : null}
      {d.report ? (
        <Card
          title={pick(TX.report)}
          size="small"
          extra={
            <Space>
              {canSign ? (
                <Button type="primary" loading={run.isPending} onClick={() => run.mutate({ action: 'sign' })} data-testid="report-sign">
                  {pick(TX.sign)}
                </Button>
              ) : null}
              {canAmend && !amending ? (
                <Button
                  onClick={() => {
                    const r = d.report;
                    form.setFieldsValue({
                      findings: r.extension?.find((e: { url: string }) => e.url.endsWith('/report-findings'))?.valueString,
                      impression: r.conclusion,
                      positive: !!r.conclusionCode?.some((c: { coding?: { code?: string }[] }) =>
                        c.coding?.some((x) => x.code === 'positive'),
                      ),
                      conclusions: [],
                    });
                    setAmending(true);
                  }}
                  data-testid="report-amend"
                >
                  {pick(TX.amend)}
                </Button>
              ) : null}
            </Space>
          }
        >
          <ReportView report={d.report} />
          {d.reportVersions.length > 1 ? (
            <Typography.Text type="secondary">
              {pick(TX.versions)}: {d.reportVersions.map((v) => `v${v.meta?.versionId} ${v.status}`).join(' · ')}
            </Typography.Text>
          ) : null}
        </Card>
      ) : null}
      <Card title={pick(TX.history)} size="small">
        <Timeline
          items={d.history.map((h) => ({
            children: `${new Date(h.at).toLocaleString()} · ${h.display}${h.whoDisplay ? ` · ${h.whoDisplay}` : ''}${h.reason ? ` · ${h.reason}` : ''}`,
          }))}
        />
      </Card>
      <Modal
        open={!!asking}
        title={asking?.label}
        okText={pick(TX.confirm)}
        cancelText={pick(TX.cancel)}
        okButtonProps={{ disabled: reason.trim().length < 2, id: 'reason-ok' }}
        onOk={() => asking && run.mutate({ action: asking.action, body: { reason } })}
        onCancel={() => setAsking(undefined)}
      >
        <Input.TextArea
          rows={3}
          placeholder={pick(TX.actionReason)}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          data-testid="reason-input"
        />
      </Modal>
    </Space>
  );
}
