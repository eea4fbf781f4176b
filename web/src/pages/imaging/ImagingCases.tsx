/** 影像诊断中心 · Imaging cases: the centre's worklist and the requests of the caller's institution, with statistics. */
import { Button } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useNavigate } from 'react-router-dom';
import { useI18n } from '../../i18n';
import { CaseTable } from '../../reading/CaseTable';
import { TX } from './texts';

export default function ImagingCases() {
  const { pick } = useI18n();
  const navigate = useNavigate();
  return (
    <CaseTable
      centre="imaging"
      title={pick(TX.title)}
      extra={
        <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/imaging/new')} data-testid="new-imaging-request">
          {pick(TX.newRequest)}
        </Button>
      }
    />
  );
}
