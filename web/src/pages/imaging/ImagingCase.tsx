/**
 * One imaging case: the request, the images (viewer), the workflow state with the actions the caller may take, the
 * report form from templates for the reader who claimed it, signing by a second reader, the signed report with its
 * HR mark and versions (as the township sees it), the upload of images by the requester, and revision after signing.
 * The parts every reading centre shares are in web/src/reading/.
 */
import { Button, Card, Space, Typography, Upload } from 'antd';
import { UploadOutlined } from '@ant-design/icons';
import { useParams } from 'react-router-dom';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { CaseHeader } from '../../reading/CaseHeader';
import { CaseHistory } from '../../reading/CaseHistory';
import { ReportSection } from '../../reading/ReportSection';
import { RequestFacts } from '../../reading/RequestFacts';
import { RT } from '../../reading/texts';
import { useCaseUpload } from '../../reading/useCaseUpload';
import { useReadingCase } from '../../reading/useReadingCase';
import { uploadStudy, type CaseDetail } from './api';
import { TX } from './texts';
import { Viewer } from './Viewer';

export default function ImagingCase() {
  const { taskId = '' } = useParams();
  const { pick } = useI18n();
  const rc = useReadingCase<CaseDetail>('imaging', taskId);
  const { q, d, can } = rc;
  const { upload, notice } = useCaseUpload(rc, uploadStudy, (r) => (r.outcome === 'linked' ? TX.uploaded : TX.reconciliation));
  if (q.error) return <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />;
  if (!d) return <Card loading />;
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <CaseHeader rc={rc} title={TX.title}>
        {notice}
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
              {pick(upload.isPending ? RT.uploading : TX.upload)}
            </Button>
            <Typography.Text type="secondary" style={{ marginLeft: 8 }}>
              {pick(TX.uploadHint)}
            </Typography.Text>
          </Upload>
        ) : null}
      </CaseHeader>
      <Card title={pick(TX.images)} size="small">
        <Viewer study={d.imagingStudy} />
      </Card>
      <ReportSection rc={rc} testId="imaging-report" />
      <CaseHistory history={d.history} />
    </Space>
  );
}
