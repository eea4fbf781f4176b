/**
 * 慢病随访记录 · Follow-up form (national fields), phone-friendly: pre-filled from the record (latest readings, current
 * medicines), the guidance points and what else is due shown beside it, visits elsewhere that can be credited, and the
 * server's classification, next date and referral shown after saving.
 */
import { useEffect, useMemo, useState } from 'react';
import {
  Alert,
  Button,
  Card,
  Checkbox,
  Col,
  DatePicker,
  Descriptions,
  Form,
  Input,
  InputNumber,
  List,
  Modal,
  Radio,
  Row,
  Select,
  Space,
  Tag,
  Typography,
} from 'antd';
import { useMutation, useQuery } from '@tanstack/react-query';
import dayjs, { type Dayjs } from 'dayjs';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { creditVisit, patientContext, recordFollowUp, type Creditable, type Programme, type Recorded } from './api';

interface Values {
  date: Dayjs;
  mode: string;
  symptoms?: string[];
  sbp?: number;
  dbp?: number;
  heartRate?: number;
  weight?: number;
  height?: number;
  waist?: number;
  glucose?: number;
  hba1c?: number;
  smokingPerDay?: number;
  alcoholPerDay?: number;
  exerciseTimesPerWeek?: number;
  exerciseMinutes?: number;
  salt?: string;
  psychology?: string;
  compliance?: string;
  adherence?: string;
  adverse?: boolean;
  adverseText?: string;
  complication: string;
  medication?: string;
  note?: string;
}

const num = (label: string, name: keyof Values, step = 1) => (
  <Col xs={12} sm={8}>
    <Form.Item label={label} name={name}>
      <InputNumber style={{ width: '100%' }} step={step} inputMode="decimal" data-testid={`chronic-${name}`} />
    </Form.Item>
  </Col>
);

function ResultCard({ r }: { r: Recorded }) {
  const { t, pick } = useI18n();
  const color = r.classification.code === 'controlled' ? 'green' : r.urgent ? 'red' : 'orange';
  return (
    <Card title={t('chrResult')} data-testid="chronic-result" style={{ marginBottom: 12 }}>
      {r.referral?.status === 'created' ? (
        <Alert
          type={r.referral.urgency === 'urgent' ? 'error' : 'warning'}
          showIcon
          data-testid="chronic-referral"
          message={r.referral.urgency === 'urgent' ? t('chrUrgentReferral') : t('chrReferral')}
          description={<Link to={`/referrals/${r.referral.id}`}>{t('chrOpenReferral')}</Link>}
          style={{ marginBottom: 12 }}
        />
      ) : r.referral ? (
        <Alert
          type="error"
          showIcon
          data-testid="chronic-referral-failed"
          message={t('chrReferralFailed')}
          description={r.referral.message}
          style={{ marginBottom: 12 }}
        />
      ) : null}
      <Descriptions column={1} size="small">
        <Descriptions.Item label={t('chrClassification')}>
          <Tag color={color} data-testid="chronic-classification">
            {pick(r.classification)}
          </Tag>
        </Descriptions.Item>
        <Descriptions.Item label={t('chrDecision')}>{pick(r.decision)}</Descriptions.Item>
        <Descriptions.Item label={t('chrNextDue')}>
          <span data-testid="chronic-next-due">
            {r.nextDue.start} ~ {r.nextDue.end}
          </span>
        </Descriptions.Item>
        <Descriptions.Item label={t('chrRuleVersion')}>{r.ruleVersion}</Descriptions.Item>
      </Descriptions>
      <ul style={{ margin: 0, paddingInlineStart: 18 }}>
        {r.reasons.map((x) => (
          <li key={x}>
            <Typography.Text type="secondary">{x}</Typography.Text>
          </li>
        ))}
      </ul>
    </Card>
  );
}

export default function FollowUpForm() {
  const { t, pick } = useI18n();
  const { patientId = '' } = useParams();
  const [params] = useSearchParams();
  const [form] = Form.useForm<Values>();
  const ctx = useQuery({ queryKey: ['chronic-context', patientId], queryFn: () => patientContext(patientId) });
  const [episodeId, setEpisodeId] = useState<string | undefined>(params.get('episode') ?? undefined);
  const episodes = ctx.data?.episodes ?? [];
  const episode = episodes.find((e) => e.id === episodeId) ?? episodes[0];
  const programme: Programme | undefined = episode?.programme;
  const [result, setResult] = useState<Recorded>();

  useEffect(() => {
    if (!ctx.data) return;
    const r = ctx.data.prefill.readings;
    form.setFieldsValue({
      weight: r.weight,
      height: r.height,
      waist: r.waist,
      medication: ctx.data.prefill.medication.join('；') || undefined,
    });
  }, [ctx.data, form]);

  const save = useMutation({
    mutationFn: (v: Values) =>
      recordFollowUp({
        episode: `EpisodeOfCare/${episode?.id}`,
        date: v.date.format('YYYY-MM-DD'),
        mode: v.mode,
        vitals: { sbp: v.sbp, dbp: v.dbp, heartRate: v.heartRate, weight: v.weight, height: v.height, waist: v.waist },
        glucose: v.glucose,
        hba1c: v.hba1c,
        symptoms: v.symptoms ?? [],
        lifestyle: {
          smokingPerDay: v.smokingPerDay,
          alcoholPerDay: v.alcoholPerDay,
          exerciseTimesPerWeek: v.exerciseTimesPerWeek,
          exerciseMinutes: v.exerciseMinutes,
          salt: v.salt,
          psychology: v.psychology,
          compliance: v.compliance,
        },
        adherence: v.adherence,
        adverseReaction: { present: !!v.adverse, description: v.adverseText },
        complication: v.complication,
        medication: v.medication,
        note: v.note,
      }),
    onSuccess: (r) => {
      setResult(r);
      void ctx.refetch();
      window.scrollTo({ top: 0 });
    },
  });
  const credit = useMutation({
    mutationFn: (c: Creditable) => creditVisit({ episode: `EpisodeOfCare/${episode?.id}`, encounter: c.encounter, confirm: true }),
    onSuccess: (r) => {
      setResult(r);
      void ctx.refetch();
    },
  });

  const guidanceTopics = useMemo(() => {
    const topics = ctx.data?.guidance?.topics ?? {};
    return [programme, 'hyperlipidaemia', 'obesity'].filter((k): k is string => !!k && !!topics[k]).map((k) => topics[k]!);
  }, [ctx.data, programme]);

  if (ctx.error) return <ErrorAlert error={ctx.error} onRetry={() => void ctx.refetch()} />;
  if (ctx.isLoading || !ctx.data) return <Card loading />;
  const name =
    ctx.data.patient.name?.[0]?.text ?? `${ctx.data.patient.name?.[0]?.family ?? ''}${(ctx.data.patient.name?.[0]?.given ?? []).join('')}`;
  if (!episode)
    return (
      <Card title={`${t('chrFormTitle')} · ${name}`}>
        <Alert type="info" message={t('chrNotEnrolled')} />
      </Card>
    );
  const symptoms = ctx.data.rules.programmes[episode.programme].symptoms;
  const creditable = ctx.data.creditable.filter((c) => c.episodes.some((e) => e.id === episode.id));

  return (
    <div style={{ maxWidth: 960 }}>
      {result ? <ResultCard r={result} /> : null}
      <Card
        title={
          <span data-testid="chronic-form-title">
            {t('chrFormTitle')} · {name}
          </span>
        }
        extra={
          episodes.length > 1 ? (
            <Select
              value={episode.id}
              onChange={(v) => setEpisodeId(v)}
              options={episodes.map((e) => ({
                value: e.id,
                label: e.programme === 'hypertension' ? t('chrHypertension') : t('chrDiabetes'),
              }))}
            />
          ) : (
            <Tag>{episode.programme === 'hypertension' ? t('chrHypertension') : t('chrDiabetes')}</Tag>
          )
        }
        style={{ marginBottom: 12 }}
      >
        {episode.lastFollowUp ? (
          <Typography.Paragraph type="secondary">
            {t('chrLastFollowUp')}: {episode.lastFollowUp.day}{' '}
            {episode.lastFollowUp.sbp ? `${episode.lastFollowUp.sbp}/${episode.lastFollowUp.dbp} mmHg ` : ''}
            {episode.lastFollowUp.glucose ? `${episode.lastFollowUp.glucose} mmol/L` : ''}
          </Typography.Paragraph>
        ) : null}
        {save.error ? <ErrorAlert error={save.error} /> : null}
        {credit.error ? <ErrorAlert error={credit.error} /> : null}
        <Form<Values>
          form={form}
          layout="vertical"
          initialValues={{ date: dayjs(ctx.data.today), mode: 'clinic', complication: 'none' }}
          onFinish={(v) => save.mutate(v)}
        >
          <Row gutter={12}>
            <Col xs={12} sm={8}>
              <Form.Item label={t('chrDate')} name="date" rules={[{ required: true }]}>
                <DatePicker style={{ width: '100%' }} disabledDate={(d) => d.isAfter(dayjs(ctx.data?.today), 'day')} inputReadOnly />
              </Form.Item>
            </Col>
            <Col xs={12} sm={8}>
              <Form.Item label={t('chrMode')} name="mode">
                <Select
                  options={[
                    { value: 'clinic', label: t('chrModeClinic') },
                    { value: 'home', label: t('chrModeHome') },
                    { value: 'phone', label: t('chrModePhone') },
                  ]}
                />
              </Form.Item>
            </Col>
          </Row>
          <Form.Item label={t('chrSymptoms')} name="symptoms">
            <Checkbox.Group>
              <Row>
                {symptoms.map((s) => (
                  <Col xs={12} sm={8} key={s.code}>
                    <Checkbox value={s.code}>
                      <span style={s.urgent ? { color: '#cf1322' } : undefined}>{pick(s)}</span>
                    </Checkbox>
                  </Col>
                ))}
              </Row>
            </Checkbox.Group>
          </Form.Item>
          <Typography.Title level={5}>{t('chrVitals')}</Typography.Title>
          <Row gutter={12}>
            {num(t('chrSbp'), 'sbp')}
            {num(t('chrDbp'), 'dbp')}
            {num(t('chrHeartRate'), 'heartRate')}
            {num(t('chrWeight'), 'weight', 0.1)}
            {num(t('chrHeight'), 'height')}
            {num(t('chrWaist'), 'waist')}
            {num(t('chrGlucose'), 'glucose', 0.1)}
            {episode.programme === 'diabetes' ? num(t('chrHba1c'), 'hba1c', 0.1) : null}
          </Row>
          <Typography.Title level={5}>{t('chrLifestyle')}</Typography.Title>
          <Row gutter={12}>
            {num(t('chrSmoking'), 'smokingPerDay')}
            {num(t('chrAlcohol'), 'alcoholPerDay', 0.5)}
            {num(t('chrExercise'), 'exerciseTimesPerWeek')}
            {num(t('chrExerciseMin'), 'exerciseMinutes')}
            <Col xs={12} sm={8}>
              <Form.Item label={t('chrSalt')} name="salt">
                <Radio.Group
                  optionType="button"
                  options={[
                    { value: 'light', label: t('chrSaltLight') },
                    { value: 'medium', label: t('chrSaltMedium') },
                    { value: 'heavy', label: t('chrSaltHeavy') },
                  ]}
                />
              </Form.Item>
            </Col>
            {(['psychology', 'compliance'] as const).map((k) => (
              <Col xs={12} sm={8} key={k}>
                <Form.Item label={t(k === 'psychology' ? 'chrPsychology' : 'chrCompliance')} name={k}>
                  <Radio.Group
                    optionType="button"
                    options={[
                      { value: 'good', label: t('chrGood') },
                      { value: 'fair', label: t('chrFair') },
                      { value: 'poor', label: t('chrPoor') },
                    ]}
                  />
                </Form.Item>
              </Col>
            ))}
          </Row>
          <Row gutter={12}>
            <Col xs={24} sm={12}>
              <Form.Item label={t('chrAdherence')} name="adherence">
                <Radio.Group
                  optionType="button"
                  options={[
                    { value: 'regular', label: t('chrAdhRegular') },
                    { value: 'intermittent', label: t('chrAdhIntermittent') },
                    { value: 'none', label: t('chrAdhNone') },
                  ]}
                />
              </Form.Item>
            </Col>
            <Col xs={24} sm={12}>
              <Form.Item label={t('chrComplication')} name="complication">
                <Radio.Group
                  optionType="button"
                  options={[
                    { value: 'none', label: t('chrCompNone') },
                    { value: 'stable', label: t('chrCompStable') },
                    { value: 'new', label: t('chrCompNew') },
                    { value: 'worse', label: t('chrCompWorse') },
                  ]}
                />
              </Form.Item>
            </Col>
            <Col xs={24} sm={12}>
              <Form.Item name="adverse" valuePropName="checked">
                <Checkbox>{t('chrAdverse')}</Checkbox>
              </Form.Item>
              <Form.Item name="adverseText">
                <Input placeholder={t('chrAdverseText')} />
              </Form.Item>
            </Col>
            <Col xs={24} sm={12}>
              <Form.Item label={t('chrMedication')} name="medication">
                <Input.TextArea autoSize={{ minRows: 1, maxRows: 3 }} />
              </Form.Item>
              <Form.Item label={t('chrNote')} name="note">
                <Input.TextArea autoSize={{ minRows: 1, maxRows: 3 }} />
              </Form.Item>
            </Col>
          </Row>
          <Button type="primary" htmlType="submit" block loading={save.isPending} data-testid="chronic-save">
            {t('chrSave')}
          </Button>
        </Form>
      </Card>
      {creditable.length ? (
        <Card title={t('chrCreditable')} size="small" style={{ marginBottom: 12 }}>
          <List
            dataSource={creditable}
            renderItem={(c) => (
              <List.Item
                actions={[
                  <Button
                    key="credit"
                    size="small"
                    data-testid="chronic-credit"
                    loading={credit.isPending}
                    onClick={() => Modal.confirm({ title: t('chrCreditConfirm'), onOk: () => credit.mutateAsync(c) })}
                  >
                    {t('chrCredit')}
                  </Button>,
                ]}
              >
                {c.date} {c.readings.sbp ? `${c.readings.sbp}/${c.readings.dbp} mmHg ` : ''}
                {c.readings.glucose ? `${c.readings.glucose} mmol/L` : ''}
              </List.Item>
            )}
          />
        </Card>
      ) : null}
      <Card title={t('chrPrompts')} size="small" style={{ marginBottom: 12 }} data-testid="chronic-prompts">
        {ctx.data.prompts.length ? (
          <Space wrap>
            {ctx.data.prompts.map((p) => (
              <Tag color="blue" key={p.id}>
                {pick(p)}
                {p.last ? `（${p.last}）` : ''}
              </Tag>
            ))}
          </Space>
        ) : (
          <Typography.Text type="secondary">{t('chrNothingDue')}</Typography.Text>
        )}
      </Card>
      <Card title={t('chrGuidance')} size="small" data-testid="chronic-guidance">
        {guidanceTopics.map((g) => (
          <div key={g.name.zh} style={{ marginBottom: 8 }}>
            <Typography.Text strong>{pick(g.name)}</Typography.Text>
            <ul style={{ margin: 0, paddingInlineStart: 18 }}>
              {g.diet.map((d) => (
                <li key={d.zh}>
                  {t('chrDiet')}：{pick(d)}
                </li>
              ))}
              {g.exercise.map((d) => (
                <li key={d.zh}>
                  {t('chrExerciseGuide')}：{pick(d)}
                </li>
              ))}
            </ul>
          </div>
        ))}
      </Card>
    </div>
  );
}
