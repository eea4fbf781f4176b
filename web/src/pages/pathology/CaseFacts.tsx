/**
 * The request and the history of a pathology case in the centre's words. The shared RequestFacts and CaseHistory
 * (web/src/reading) speak of images and show the priority code; these show the operation/biopsy site, the priority in
 * words, and name the steps as a pathology centre does (标本送检, 标本拒收, 重新送检).
 */
import { Card, Descriptions, Timeline } from 'antd';
import { useI18n } from '../../i18n';
import { patientName } from '../../reading/api';
import { RT } from '../../reading/texts';
import type { CaseDetail } from './api';
import { PT } from './texts';

const PRIORITIES = ['routine', 'urgent', 'asap', 'stat'] as const;

export function PathologyFacts({ d }: { d: CaseDetail }) {
  const { pick } = useI18n();
  const sr = d.serviceRequest;
  const priority = sr?.priority as string | undefined;
  const known = PRIORITIES.find((p) => p === priority);
  return (
    <Descriptions size="small" column={{ xs: 1, sm: 2 }} title={pick(RT.requestInfo)} data-testid="pathology-facts">
      <Descriptions.Item label={pick(RT.patient)}>{patientName(d)}</Descriptions.Item>
      <Descriptions.Item label={pick(RT.item)}>{sr?.code?.text}</Descriptions.Item>
      <Descriptions.Item label={pick(PT.site)}>{sr?.bodySite?.[0]?.text}</Descriptions.Item>
      <Descriptions.Item label={pick(RT.priority)}>
        {known ? pick(known === 'asap' ? RT.urgent : RT[known]) : (priority ?? pick(RT.routine))}
      </Descriptions.Item>
      <Descriptions.Item label={pick(RT.reason)}>{sr?.reasonCode?.[0]?.text}</Descriptions.Item>
      <Descriptions.Item label={pick(RT.requestedAt)}>
        {d.case.requestedAt ? new Date(d.case.requestedAt).toLocaleString() : ''}
      </Descriptions.Item>
      {d.due ? <Descriptions.Item label={pick(RT.due)}>{new Date(d.due).toLocaleString()}</Descriptions.Item> : null}
    </Descriptions>
  );
}

export function PathologyHistory({ history }: Pick<CaseDetail, 'history'>) {
  const { pick } = useI18n();
  return (
    <Card title={pick(RT.history)} size="small">
      <Timeline
        data-testid="pathology-history"
        items={history.map((h) => {
          const own = h.action ? PT.actions[h.action] : undefined;
          return {
            children: `${new Date(h.at).toLocaleString()} · ${own ? pick(own) : h.display}${h.whoDisplay ? ` · ${h.whoDisplay}` : ''}${h.reason ? ` · ${h.reason}` : ''}`,
          };
        })}
      />
    </Card>
  );
}
