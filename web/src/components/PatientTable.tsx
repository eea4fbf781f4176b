/** A list of residents (masked per role by the server) linking to their 360° view. */
import { useEffect } from 'react';
import { Table } from 'antd';
import { Link } from 'react-router-dom';
import type { Patient } from '../api/types';
import { ageOf, genderText, idNumberOf, nameOf, phoneOf, refId } from '../api/format';
import { useOrganizations } from '../hooks';
import { useI18n } from '../i18n';

export function PatientTable({ patients, loading, testId }: { patients: Patient[]; loading?: boolean; testId?: string }) {
  const { t } = useI18n();
  const orgs = useOrganizations();
  // A list of residents is usually followed by opening one: fetch the 360° view's code while the user looks.
  useEffect(() => {
    const id = setTimeout(() => void import('../pages/patient/Patient360'), 300);
    return () => clearTimeout(id);
  }, []);
  return (
    <Table<Patient>
      data-testid={testId}
      rowKey={(p) => p.id ?? ''}
      size="small"
      loading={loading}
      dataSource={patients}
      pagination={{ pageSize: 20, hideOnSinglePage: true, size: 'small' }}
      scroll={{ x: 'max-content' }}
      columns={[
        {
          title: t('name'),
          key: 'name',
          render: (_, p) => <Link to={`/patients/${p.id}`}>{nameOf(p.name)}</Link>,
        },
        { title: t('gender'), key: 'gender', render: (_, p) => genderText(p.gender, t) },
        { title: t('age'), key: 'age', render: (_, p) => ageOf(p.birthDate) ?? '—' },
        { title: t('idNumber'), key: 'id', render: (_, p) => <span className="id-number">{idNumberOf(p) ?? '—'}</span> },
        { title: t('phone'), key: 'phone', render: (_, p) => phoneOf(p) ?? '—' },
        {
          title: t('managingOrg'),
          key: 'org',
          render: (_, p) => orgs.data?.get(refId(p.managingOrganization) ?? '')?.name ?? '—',
        },
      ]}
    />
  );
}
