/**
 * The request of a case in a few lines: resident, item, (the site, where the centre asks for one), priority in words,
 * clinical information, when, due.
 */
import { Descriptions } from 'antd';
import { useI18n } from '../i18n';
import { patientName, type CaseDetail, type Text } from './api';
import { priorityText, RT } from './texts';
import { dateTime } from '../api/format';

export function RequestFacts({
  d,
  site,
  testId,
}: {
  d: CaseDetail;
  /** Label of the body-site line, if the centre shows it. */ site?: Text;
  testId?: string;
}) {
  const { pick } = useI18n();
  const sr = d.serviceRequest;
  return (
    <Descriptions size="small" column={{ xs: 1, sm: 2 }} title={pick(RT.requestInfo)} data-testid={testId}>
      <Descriptions.Item label={pick(RT.patient)}>{patientName(d)}</Descriptions.Item>
      <Descriptions.Item label={pick(RT.item)}>{sr?.code?.text}</Descriptions.Item>
      {site ? <Descriptions.Item label={pick(site)}>{sr?.bodySite?.[0]?.text}</Descriptions.Item> : null}
      <Descriptions.Item label={pick(RT.priority)}>{pick(priorityText(sr?.priority))}</Descriptions.Item>
      <Descriptions.Item label={pick(RT.reason)}>{sr?.reasonCode?.[0]?.text}</Descriptions.Item>
      <Descriptions.Item label={pick(RT.requestedAt)}>{d.case.requestedAt ? dateTime(d.case.requestedAt) : ''}</Descriptions.Item>
      {d.due ? <Descriptions.Item label={pick(RT.due)}>{dateTime(d.due)}</Descriptions.Item> : null}
    </Descriptions>
  );
}
