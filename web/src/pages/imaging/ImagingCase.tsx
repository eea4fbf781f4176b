/**
 * One imaging case: the request, the images (viewer), the workflow state with the actions the caller may take, the
 * report form from templates for the reader who claimed it, signing by a second reader, the signed report with its
 * HR mark and versions (as the township sees it), the upload of images by the requester, and revision after signing.
 * The parts every reading centre shares are in web/src/reading/.
 */
import { useState } from 'react';
import { Alert, Button, Card, Space, Tag, Typography, Upload } from 'antd';
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
import { useReadingCase } from '../../reading/useReadingCase';
import { uploadStudy, type CaseDetail } from './api';
import { RT } from '../../reading/texts';
import { TX } from './texts';
import { Viewer } from './Viewer';

export default function ImagingCase() {
  const { taskId = '' } = useParams();
  const { pick } = useI18n();
  const { q, d, run, error, setError, refresh, form, amending, startAmend, can } = useReadingCase<CaseDetail>('imaging', taskId);
  const [notice, setNotice] = useState<string>();
  const upload = useMutation({
    mutationFn: (files: File[]) => uploadStudy(d!.case.serviceRequest.replace('ServiceRequest/', ''), files),
    onSuccess: (r) => {
      setError(undefined);
      setNotice(pick(r.outcome === 'linked' ? TX.uploaded : TX.reconciliation));
      refresh();
    },
    onError: setError,
  });
  if (q.error) return <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />;
  if (!d) return <Card loading />;
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Card
        title={
          <Space wrap>
            {pick(TX.title)}
            <Tag color={d.state.final ? 'green' : 'blue'} data-testid="case-state">
              {pick(d.state.display)}
            </Tag>
            {d.overdue ? <Tag color="red">{pick(RT.overdue)}</Tag> : null}
          </Space>
        }
        extra={<CaseActions actions={d.allowedActions} busy={run.isPending} onAct={(action, body) => run.mutate({ action, body })} />}
      >
        {error ? <ErrorAlert error={error} /> : null}
        {notice ? <Alert type="success" showIcon message={notice} style={{ marginBottom: 12 }} data-testid="upload-notice" /> : null}
        <RequestFacts d={d} />
        {can.upload ? (
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
      {can.write || amending ? (
        <Card title={pick(amending ? RT.amend : RT.report)} size="small">
          <ReportEditor
            form={form}
            detail={d}
            amending={amending}
            busy={run.isPending}
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
        testId="imaging-report"
      />
      <CaseHistory history={d.history} />
    </Space>
  );
}
