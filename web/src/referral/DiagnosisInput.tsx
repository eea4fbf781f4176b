/** Diagnoses as tags: pick from common ICD-10 entries or type one's own as "code name" (e.g. "N18.5 慢性肾脏病5期"). */
import { Select } from 'antd';
import type { Coded } from './api';
import { parseDiagnosis } from './institutions';

const COMMON: Coded[] = [
  { code: 'I10.x00', display: '特发性(原发性)高血压' },
  { code: 'E11.900', display: '2型糖尿病' },
  { code: 'I25.100', display: '动脉硬化性心脏病' },
  { code: 'I20.000', display: '不稳定型心绞痛' },
  { code: 'I21.900', display: '急性心肌梗死' },
  { code: 'I63.900', display: '脑梗死' },
  { code: 'J44.900', display: '慢性阻塞性肺病' },
  { code: 'J18.900', display: '肺炎' },
  { code: 'E78.500', display: '高脂血症' },
  { code: 'E87.500', display: '高钾血症' },
  { code: 'E87.600', display: '低钾血症' },
  { code: 'N18.900', display: '慢性肾脏病' },
];

const SEP = '\u0001';
const encode = (d: Coded) => (d.code ? `${d.code}${SEP}${d.display}` : d.display);
const decode = (v: string): Coded => {
  if (!v.includes(SEP)) return parseDiagnosis(v);
  const [code, display] = v.split(SEP);
  return { code: code!, display: display! };
};

export function DiagnosisInput({ value, onChange, id }: { value?: Coded[]; onChange?: (v: Coded[]) => void; id?: string }) {
  const options = [...COMMON, ...(value ?? []).filter((d) => !COMMON.some((c) => c.code === d.code && c.display === d.display))];
  return (
    <Select
      id={id}
      mode="tags"
      value={(value ?? []).map(encode)}
      onChange={(vs: string[]) => onChange?.(vs.map(decode).filter((d) => d.display))}
      optionFilterProp="label"
      tokenSeparators={['，', ',']}
      data-testid="diagnosis-input"
      style={{ width: '100%' }}
      options={options.map((d) => ({ value: encode(d), label: d.code ? `${d.display} ${d.code}` : d.display }))}
    />
  );
}
