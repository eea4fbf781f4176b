/** Demographics, identifiers (masked by the server per role), problem list and allergies. */
import { Card, Col, Descriptions, List, Row, Tag } from 'antd';
import type { Organization, Patient } from '../../api/types';
import { addressOf, ageOf, genderText, idNumberOf, nameOf, phoneOf, refId } from '../../api/format';
import { useI18n } from '../../i18n';
import type { Item } from './model';
import { Source } from './Source';

export function Overview({ patient, items, orgs }: { patient: Patient; items: Item[]; orgs?: Map<string, Organization> }) {
  const { t } = useI18n();
  const problems = items.filter(
    (i) =>
      i.kind === 'condition' &&
      i.resource.resourceType === 'Condition' &&
      i.resource.category?.some((c) => c.coding?.some((x) => x.code === 'problem-list-item')),
  );
  const allergies = items.filter((i) => i.kind === 'allergy');
  return (
    <Row gutter={[12, 12]}>
      <Col xs={24} lg={12}>
        <Card size="small" title={t('demographics')}>
          <Descriptions size="small" column={1} data-testid="demographics">
            <Descriptions.Item label={t('name')}>{nameOf(patient.name)}</Descriptions.Item>
            <Descriptions.Item label={t('gender')}>{genderText(patient.gender, t)}</Descriptions.Item>
            <Descriptions.Item label={t('birthDate')}>
              {patient.birthDate ?? '—'} ({ageOf(patient.birthDate) ?? '—'})
            </Descriptions.Item>
            <Descriptions.Item label={t('idNumber')}>
              <span data-testid="id-number">{idNumberOf(patient) ?? '—'}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t('phone')}>
              <span data-testid="phone">{phoneOf(patient) ?? '—'}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t('address')}>{addressOf(patient) ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('managingOrg')}>
              <Source orgId={refId(patient.managingOrganization, 'Organization')} orgs={orgs} />
            </Descriptions.Item>
            <Descriptions.Item label={t('identifiers')}>
              {!patient.identifier?.length && '—'}
              {(patient.identifier ?? []).map((i) => (
                // Long identifiers (ID number, e-health card) wrap on a 360-px phone instead of widening the page.
                <Tag key={`${i.system}|${i.value}`} style={{ whiteSpace: 'normal', wordBreak: 'break-all', marginBottom: 4 }}>
                  {i.value}
                </Tag>
              ))}
            </Descriptions.Item>
          </Descriptions>
        </Card>
      </Col>
      <Col xs={24} lg={12}>
        <Card size="small" title={t('problems')} style={{ marginBottom: 12 }}>
          <List
            size="small"
            data-testid="problems"
            dataSource={problems}
            locale={{ emptyText: t('noData') }}
            renderItem={(i) => (
              <List.Item>
                {i.title} · {i.date?.slice(0, 10)} · <Source orgId={i.orgId} orgs={orgs} />
              </List.Item>
            )}
          />
        </Card>
        <Card size="small" title={t('allergies')}>
          <List
            size="small"
            dataSource={allergies}
            locale={{ emptyText: t('noData') }}
            renderItem={(i) => <List.Item>{i.title}</List.Item>}
          />
        </Card>
      </Col>
    </Row>
  );
}
