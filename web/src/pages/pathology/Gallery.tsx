/**
 * The case's pictures (fetched with the user's token) with the choice of those printed in the report, and the upload
 * of a gross photograph or photomicrograph by the claimant (sent as base64; the server checks it is PNG or JPEG).
 */
import { useEffect, useState } from 'react';
import { Button, Card, Checkbox, Empty, Image, Select, Space, Upload } from 'antd';
import { UploadOutlined } from '@ant-design/icons';
import { useI18n } from '../../i18n';
import { pictureUrl, type PictureView } from './api';
import { PT } from './texts';

function Picture({ p, testId }: { p: PictureView; testId: string }) {
  const [src, setSrc] = useState<string>();
  useEffect(() => {
    const ctrl = new AbortController();
    let url: string | undefined;
    pictureUrl(p.url, ctrl.signal).then(
      (u) => setSrc((url = u)),
      () => undefined,
    );
    return () => {
      ctrl.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [p.url]);
  return <Image src={src} alt={p.title} width={180} height={140} style={{ objectFit: 'cover' }} data-testid={testId} />;
}

/** The pictures the signed (or preliminary) report carries (DiagnosticReport.media), as the requester reads them. */
/* eslint-disable-next-line @typescript-eslint/no-explicit-any -- a DiagnosticReport as sent */
export function ReportPictures({ report, pictures }: { report: any; pictures: PictureView[] }) {
  const { pick } = useI18n();
  const chosen = ((report?.media ?? []) as { link?: { reference?: string } }[])
    .map((m) => pictures.find((p) => m.link?.reference === `Media/${p.id}`))
    .filter((p): p is PictureView => !!p);
  if (!chosen.length) return null;
  return (
    <Card title={pick(PT.reportPictures)} size="small" data-testid="report-pictures">
      <Space wrap>
        {chosen.map((p) => (
          <Card key={p.id} size="small" style={{ width: 200 }} cover={<Picture p={p} testId="report-picture" />}>
            <Card.Meta title={p.title} description={pick(PT[p.kind])} />
          </Card>
        ))}
      </Space>
    </Card>
  );
}

const base64Of = (file: File) =>
  new Promise<string>((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });

export interface GalleryProps {
  pictures: PictureView[];
  canEdit: boolean;
  busy: boolean;
  onStep: (step: string, body: Record<string, unknown>) => void;
}

export function Gallery({ pictures, canEdit, busy, onStep }: GalleryProps) {
  const { pick } = useI18n();
  const [kind, setKind] = useState<'gross' | 'micro'>('micro');
  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid="pathology-gallery">
      {canEdit ? (
        <Space>
          <Select
            value={kind}
            onChange={setKind}
            style={{ width: 130 }}
            options={[
              { value: 'gross', label: pick(PT.gross) },
              { value: 'micro', label: pick(PT.micro) },
            ]}
          />
          <Upload
            accept="image/png,image/jpeg"
            showUploadList={false}
            beforeUpload={(file) => {
              void base64Of(file).then((data) => onStep('pictures', { data, kind, title: file.name }));
              return false;
            }}
          >
            <Button icon={<UploadOutlined />} loading={busy} data-testid="pathology-upload">
              {pick(PT.upload)}
            </Button>
          </Upload>
        </Space>
      ) : null}
      {pictures.length ? (
        <Space wrap>
          {pictures.map((p) => (
            <Card key={p.id} size="small" style={{ width: 200 }} cover={<Picture p={p} testId="pathology-picture" />}>
              <Card.Meta title={p.title} description={pick(PT[p.kind])} />
              <Checkbox
                checked={p.inReport}
                disabled={!canEdit || busy}
                onChange={(e) => onStep(`pictures/${p.id}`, { inReport: e.target.checked })}
              >
                {pick(PT.inReport)}
              </Checkbox>
            </Card>
          ))}
        </Space>
      ) : (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />
      )}
    </Space>
  );
}
