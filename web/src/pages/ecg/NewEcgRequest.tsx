/** 开具心电检查申请 · New ECG request: resident, item, priority, clinical information; then the tracing upload. */
import { useQuery } from '@tanstack/react-query';
import { useI18n } from '../../i18n';
import { RequestForm } from '../../reading/RequestForm';
import { catalogue, createRequest } from './api';
import { ET } from './texts';

export default function NewEcgRequest() {
  const { pick, lang } = useI18n();
  const cat = useQuery({ queryKey: ['ecg-catalogue'], queryFn: catalogue });
  return (
    <RequestForm
      centre="ecg"
      title={pick(ET.newRequest)}
      items={(cat.data?.items ?? []).map((i) => ({ value: i.code, label: lang === 'zh' ? i.name : i.nameEn }))}
      create={createRequest}
      initialItem="ECG-12"
    />
  );
}
