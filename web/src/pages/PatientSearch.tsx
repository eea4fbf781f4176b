/**
 * Resident search: name in characters (name=) or pinyin (name-pinyin= when the server offers it, else name=),
 * ID number, e-health card (typed, pasted or scanned from its QR code) or phone. The server masks and audits.
 */
import { useCallback, useState } from 'react';
import { Button, Card, Input, Select, Space, Typography } from 'antd';
import { ScanOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router-dom';
import { resources, search } from '../api/fhir';
import { patientQuery, type Mode } from '../api/patient-query';
import type { Patient } from '../api/types';
import { PatientTable } from '../components/PatientTable';
import { QrScanner } from '../components/QrScanner';
import { usePatientSearchParams } from '../hooks';
import { useI18n } from '../i18n';
import { ErrorAlert } from '../components/ErrorAlert';

export default function PatientSearch() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const [mode, setMode] = useState<Mode>((params.get('mode') as Mode | null) ?? 'auto');
  const [scanning, setScanning] = useState(false);
  const q = params.get('q') ?? '';
  const spQuery = usePatientSearchParams();
  const pinyin = spQuery.data?.has('name-pinyin') ?? false;
  const result = useQuery({
    queryKey: ['patient-search', q, mode, pinyin],
    queryFn: () => search<Patient>('Patient', { ...patientQuery(q, mode, pinyin), _count: 50, _total: 'accurate' }),
    enabled: q.trim() !== '' && !spQuery.isLoading,
  });
  const submit = useCallback((text: string) => setParams(text ? { q: text, mode } : {}), [setParams, mode]);
  const onScan = useCallback(
    (text: string) => {
      setScanning(false);
      setMode('card');
      setParams({ q: text, mode: 'card' });
    },
    [setParams],
  );
  const patients = resources(result.data).filter((r): r is Patient => r.resourceType === 'Patient');
  return (
    <Card title={t('residents')}>
      <Space.Compact style={{ width: '100%', marginBottom: 12 }}>
        <Select<Mode>
          value={mode}
          onChange={setMode}
          style={{ width: 110 }}
          options={(['auto', 'name', 'id', 'card', 'phone'] as const).map((m) => ({
            value: m,
            label: t(({ auto: 'modeAuto', name: 'modeName', id: 'modeId', card: 'modeCard', phone: 'modePhone' } as const)[m]),
          }))}
        />
        <Input.Search
          defaultValue={q}
          key={q}
          allowClear
          placeholder={t('searchPlaceholder')}
          enterButton={t('search')}
          onSearch={submit}
          data-testid="patient-search"
        />
        <Button icon={<ScanOutlined />} onClick={() => setScanning(true)} aria-label={t('scanQr')} />
      </Space.Compact>
      {result.error && <ErrorAlert error={result.error} onRetry={() => void result.refetch()} />}
      {q && result.data && (
        <Typography.Paragraph type="secondary" data-testid="search-total">
          {t('total')} {result.data.total ?? patients.length}
        </Typography.Paragraph>
      )}
      {q && <PatientTable patients={patients} loading={result.isFetching} testId="search-results" />}
      <QrScanner open={scanning} onClose={() => setScanning(false)} onResult={onScan} />
    </Card>
  );
}
