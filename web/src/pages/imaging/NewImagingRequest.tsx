/** 开具影像检查申请 · New imaging request: resident, item, priority, clinical information; then the DICOM upload. */
import { Alert } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { useI18n } from '../../i18n';
import { RequestForm } from '../../reading/RequestForm';
import { catalogue, createRequest } from './api';
import { TX } from './texts';

export default function NewImagingRequest() {
  const { pick, lang } = useI18n();
  const cat = useQuery({ queryKey: ['imaging-catalogue'], queryFn: catalogue });
  return (
    <RequestForm
      centre="imaging"
      title={pick(TX.newRequest)}
      items={(cat.data?.items ?? []).map((i) => ({ value: i.code, label: `${lang === 'zh' ? i.name : i.nameEn} (${i.modality})` }))}
      create={createRequest}
      notice={
        cat.data?.archive === 'not-configured' ? (
          <Alert
            type="warning"
            showIcon
            style={{ marginBottom: 12 }}
            message={pick({ zh: '未配置影像存档服务，暂不能申请', en: 'No imaging archive is configured' })}
          />
        ) : null
      }
    />
  );
}
