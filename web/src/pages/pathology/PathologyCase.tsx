/**
 * One pathology case: the request and the workflow state in the centre's words; specimens with their cold-ischaemia
 * badge, receipt or rejection; sending and resending by the requester; grossing, slides and pictures for the
 * pathologist who claimed it; the report form (shared), signing, the report with its HR mark, pictures and versions.
 */
import { useState } from 'react';
import { Alert, Button, Card, Space, Tag } from 'antd';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useNavigate, useParams } from 'react-router-dom';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { CaseActions } from '../../reading/CaseActions';
import { ReportEditor } from '../../reading/ReportEditor';
import { ReportPanel } from '../../reading/ReportPanel';
import { RT } from '../../reading/texts';
import { useReadingCase } from '../../reading/useReadingCase';
import { catalogue, labStep, type CaseDetail } from './api';
import { PathologyFacts, PathologyHistory } from './CaseFacts';
import { Gallery, ReportPictures } from './Gallery';
import { LabWork } from './LabWork';
import { Specimens } from './Specimens';
import { PT } from './texts';

/** The actions this page offers with its own controls (rejection needs a coded reason, resubmission new specimens). */
const OWN = new Set(['qc-reject', 'resubmit']);

export default function PathologyCase() {
  const { taskId = '' } = useParams();
  const { pick } = useI18n();
  const navigate = useNavigate();
  const { q, d, state, run, error, setError, refresh, form, amending, startAmend, can } = useReadingCase<CaseDetail>('pathology', taskId);
  const cat = useQuery({ queryKey: ['pathology-catalogue'], queryFn: catalogue });
  const [stepError, setStepError] = useState<unknown>();
  const step = useMutation({
    mutationFn: ({ name, body }: { name: string; body: Record<string, unknown> }) => labStep(taskId, name, body),
    onSuccess: () => {
      setStepError(undefined);
      setError(undefined);
      refresh();
    },
    onError: setStepError,
  });
  if (q.error) return <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />;
  if (!d) return <Card loading />;
  /** Resolves once the server has taken the step; a refusal is shown by the mutation and the form keeps its input. */
  const onStep = (name: string, body: Record<string, unknown>) =>
    step.mutateAsync({ name, body }).then(
      () => true,
      () => false,
    );
  const centre = d.side === 'centre';
  const sendable = d.allowedActions.some((a) => a.action === 'images');
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Card
        data-testid="pathology-case-header"
        title={
          <Space wrap>
            {pick(PT.title)}
            <Tag color={d.state.final ? 'green' : 'blue'} data-testid="case-state">
              {PT.states[state] ? pick(PT.states[state]) : pick(d.state.display)}
            </Tag>
            {d.overdue ? <Tag color="red">{pick(RT.overdue)}</Tag> : null}
          </Space>
        }
        extra={
          <Space wrap>
            {sendable ? (
              <Button type="primary" loading={run.isPending} onClick={() => run.mutate({ action: 'images' })} data-testid="pathology-send">
                {pick(PT.send)}
              </Button>
            ) : null}
            {d.side === 'requester' && state === 'qc-rejected' ? (
              <Button
                onClick={() => navigate(`/pathology/new?resubmit=${taskId}&item=${d.case.item ?? ''}`)}
                data-testid="pathology-resubmit"
              >
                {pick(PT.resubmit)}
              </Button>
            ) : null}
            <CaseActions
              actions={d.allowedActions.filter((a) => !OWN.has(a.action))}
              busy={run.isPending}
              onAct={(action, body) => run.mutate({ action, body })}
              label={(a) => (PT.actions[a.action] ? pick(PT.actions[a.action]) : undefined)}
            />
          </Space>
        }
      >
        {error ? <ErrorAlert error={error} /> : null}
        {stepError ? <ErrorAlert error={stepError} /> : null}
        <PathologyFacts d={d} />
      </Card>
      <Card title={pick(PT.specimens)} size="small">
        <Specimens
          specimens={d.specimens}
          catalogue={cat.data}
          canReceive={centre && state === 'requested'}
          canReject={centre && (state === 'requested' || state === 'claimed')}
          busy={step.isPending}
          onStep={onStep}
        />
      </Card>
      {can.write ? (
        <Card title={pick(PT.grossing)} size="small">
          <LabWork specimens={d.specimens} catalogue={cat.data} busy={step.isPending} onStep={onStep} />
        </Card>
      ) : null}
      {centre ? (
        <Card title={pick(PT.pictures)} size="small">
          <Gallery pictures={d.pictures} canEdit={can.write} busy={step.isPending} onStep={onStep} />
        </Card>
      ) : null}
      {can.write || amending ? (
        <Card title={pick(amending ? RT.amend : RT.report)} size="small">
          {d.reportBlocker && !amending ? (
            <Alert type="info" showIcon style={{ marginBottom: 12 }} message={`${pick(PT.blocker)}：${d.reportBlocker}`} />
          ) : null}
          <ReportEditor
            form={form}
            detail={d}
            amending={amending}
            busy={run.isPending}
            onSubmit={(body) => run.mutate({ action: amending ? 'amend' : 'report', body: { ...body } })}
          />
        </Card>
      ) : null}
      <ReportPanel
        detail={d}
        canSign={can.sign}
        canAmend={can.amend}
        busy={run.isPending}
        onSign={() => run.mutate({ action: 'sign' })}
        onAmend={() => startAmend()}
        testId="pathology-report"
      />
      <ReportPictures report={d.report} pictures={d.pictures} />
      <PathologyHistory history={d.history} />
    </Space>
  );
}
