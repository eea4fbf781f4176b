/** 心电诊断中心 · ECG cases: the centre's worklist and the requests of the caller's institution, with statistics. */
import { Button } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useNavigate } from 'react-router-dom';
import { useI18n } from '../../i18n';
import { CaseTable } from '../../reading/CaseTable';
import { ET } from './texts';

export default function EcgCases() {
  const { pick } = useI18n();
  const navigate = useNavigate();
  return (
    <CaseTable
      centre="ecg"
      title={pick(ET.title)}
      stateLabel={(code) => (ET.states[code] ? pick(ET.states[code]!) : undefined)}
      extra={
        <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/ecg/new')} data-testid="new-ecg-request">
          {pick(ET.newRequest)}
        </Button>
      }
    />
  );
}
