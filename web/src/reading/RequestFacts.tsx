/** The request of a case in a few lines: resident, item, priority, clinical information, when, due. */
import { Descriptions } from 'antd';
import { useI18n } from '../i18n';
import { patientName, type CaseDetail } from './api';
import { RT } from './texts';

export function RequestFacts({ d }: { d: CaseDetail }) {
  const { pick } = useI18n();
  const sr = d.serviceRequest;
  return (
    <Descriptions size="small" column={{ xs: 1, sm: 2 }} title={pick(RT.requestInfo)}>
      <Descriptions.Item label={pick(RT.patient)}>{patientName(d)}</Descriptions.Item>
      <Descriptions.Item label={pick(RT.item)}>{sr?.code?.text}</Descriptions.Item>
      <Descriptions.Item label={pick(RT.priority)}>{sr?.priority}</Descriptions.Item>
      <Descriptions.Item label={pick(RT.reason)}>{sr?.reasonCode?.[0]?.text}</Descriptions.Item>
      <Descriptions.Item label={pick(RT.requestedAt)}>
        {d.case.requestedAt ? new Date(d.case.requestedAt).toLocaleString() : ''}
      </Descriptions.Item>
      {d.due ? <Descriptions.Item label={pick(RT.due)}>{new Date(d.due).toLocaleString()}</Descriptions.Item> : null}
    </Descriptions>
  );
}
