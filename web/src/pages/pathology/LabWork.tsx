/** The claimant's lab work: grossing (gross description and blocks of a received specimen) and slides (block, stain). */
import { Button, Form, Input, Select, Space } from 'antd';
import { useI18n } from '../../i18n';
import type { Catalogue, SpecimenView } from './api';
import { PT } from './texts';

export interface LabWorkProps {
  specimens: SpecimenView[];
  catalogue?: Catalogue;
  busy: boolean;
  /** Resolves true when the server took the step (the form is then cleared; a refused step keeps what was typed). */
  onStep: (step: 'grossing' | 'slides', body: Record<string, unknown>) => Promise<boolean>;
}

export function LabWork({ specimens, catalogue, busy, onStep }: LabWorkProps) {
  const { pick } = useI18n();
  const [gross] = Form.useForm<{ specimen: string; description: string; blocks: string }>();
  const [slide] = Form.useForm<{ block: string; stain: string; marker?: string; label: string }>();
  const received = specimens.filter((s) => s.kind === 'specimen' && s.status === 'received');
  const blocks = specimens.filter((s) => s.kind === 'block');
  const stain = Form.useWatch('stain', slide);
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Form
        form={gross}
        layout="inline"
        onFinish={(v) => {
          void onStep('grossing', {
            specimen: v.specimen,
            description: v.description,
            blocks: v.blocks
              .split(/[,，\s]+/)
              .filter(Boolean)
              .map((label) => ({ label })),
          }).then((ok) => ok && gross.resetFields());
        }}
      >
        <Form.Item name="specimen" label={pick(PT.grossing)} rules={[{ required: true }]}>
          <Select id="grossing-specimen" style={{ width: 110 }} options={received.map((s) => ({ value: s.id, label: s.label }))} />
        </Form.Item>
        <Form.Item name="description" rules={[{ required: true }]}>
          <Input.TextArea placeholder={pick(PT.grossDescription)} autoSize style={{ width: 320 }} data-testid="grossing-description" />
        </Form.Item>
        <Form.Item name="blocks" rules={[{ required: true }]}>
          <Input placeholder={pick(PT.blocks)} style={{ width: 220 }} data-testid="grossing-blocks" />
        </Form.Item>
        <Button htmlType="submit" loading={busy} data-testid="pathology-grossing">
          {pick(PT.saveGrossing)}
        </Button>
      </Form>
      <Form
        form={slide}
        layout="inline"
        onFinish={(v) => {
          void onStep('slides', { ...v }).then((ok) => ok && slide.resetFields());
        }}
      >
        <Form.Item name="block" label={pick(PT.slides)} rules={[{ required: true }]}>
          <Select
            id="slide-block"
            style={{ width: 110 }}
            placeholder={pick(PT.block)}
            options={blocks.map((s) => ({ value: s.id, label: s.label }))}
          />
        </Form.Item>
        <Form.Item name="stain" rules={[{ required: true }]}>
          <Select
            id="slide-stain"
            style={{ width: 160 }}
            placeholder={pick(PT.stain)}
            options={(catalogue?.stains ?? []).map((s) => ({ value: s.code, label: pick({ zh: s.display, en: s.en }) }))}
          />
        </Form.Item>
        {catalogue?.stains.find((s) => s.code === stain)?.marker ? (
          <Form.Item name="marker" rules={[{ required: true }]}>
            <Input placeholder={pick(PT.marker)} style={{ width: 110 }} />
          </Form.Item>
        ) : null}
        <Form.Item name="label" rules={[{ required: true }]}>
          <Input placeholder={pick(PT.label)} style={{ width: 110 }} data-testid="slide-label" />
        </Form.Item>
        <Button htmlType="submit" loading={busy} data-testid="pathology-slide">
          {pick(PT.addSlide)}
        </Button>
      </Form>
    </Space>
  );
}
