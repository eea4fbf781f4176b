/** The measurements of a tracing (HR, PR, QRS, QT, QTc): shown to all, entered by the reader while reporting. */
import { Button, Descriptions, Form, InputNumber, Space } from 'antd';
import { useMutation } from '@tanstack/react-query';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { saveMeasurements, type EcgCaseDetail, type MeasurementKey } from './api';
import { ET } from './texts';

const KEYS: MeasurementKey[] = ['hr', 'pr', 'qrs', 'qt', 'qtc'];

export function Measurements({ d, editable, onSaved }: { d: EcgCaseDetail; editable: boolean; onSaved: () => void }) {
  const { pick } = useI18n();
  const save = useMutation({
    mutationFn: (v: Partial<Record<MeasurementKey, number>>) => saveMeasurements(d.case.task, v),
    onSuccess: onSaved,
  });
  const items = d.measurementItems;
  if (!editable)
    return (
      <Descriptions size="small" column={5}>
        {KEYS.map((k) => (
          <Descriptions.Item key={k} label={items[k]?.zh ?? k}>
            {d.measurements[k] ?? '—'} {d.measurements[k] !== undefined ? items[k]?.unit : ''}
          </Descriptions.Item>
        ))}
      </Descriptions>
    );
  return (
    <Form
      layout="inline"
      initialValues={d.measurements}
      onFinish={(v: Record<MeasurementKey, number | null>) =>
        save.mutate(
          Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'number')) as Partial<Record<MeasurementKey, number>>,
        )
      }
    >
      <Space wrap>
        {KEYS.map((k) => (
          <Form.Item key={k} name={k} label={`${items[k]?.zh ?? k} (${items[k]?.unit ?? ''})`}>
            <InputNumber min={items[k]?.min} max={items[k]?.max} style={{ width: 90 }} data-testid={`measure-${k}`} />
          </Form.Item>
        ))}
        <Button htmlType="submit" loading={save.isPending} data-testid="measurements-save">
          {pick(ET.saveMeasurements)}
        </Button>
      </Space>
      {save.error ? <ErrorAlert error={save.error} /> : null}
    </Form>
  );
}
