/** 病理诊断中心 · Pathology cases: the centre's worklist and the caller's institution's requests, with statistics. */
import { Button, Space } from 'antd';
import { BarChartOutlined, PlusOutlined } from '@ant-design/icons';
import { useNavigate } from 'react-router-dom';
import { useI18n } from '../../i18n';
import { CaseTable } from '../../reading/CaseTable';
import { PT } from './texts';

export default function PathologyCases() {
  const { pick } = useI18n();
  const navigate = useNavigate();
  return (
    <CaseTable
      centre="pathology"
      title={pick(PT.title)}
      stateLabel={(code) => (PT.states[code] ? pick(PT.states[code]) : undefined)}
      testId="pathology-cases"
      extra={
        <Space>
          <Button icon={<BarChartOutlined />} onClick={() => navigate('/pathology/quality')}>
            {pick(PT.quality)}
          </Button>
          <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/pathology/new')} data-testid="new-pathology-request">
            {pick(PT.newRequest)}
          </Button>
        </Space>
      }
    />
  );
}
