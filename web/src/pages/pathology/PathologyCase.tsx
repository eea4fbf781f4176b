/**
 * One pathology case: the request and the workflow state in the centre's words; specimens with their cold-ischaemia
 * badge, receipt or rejection; sending and resending by the requester; grossing, slides and pictures for the
 * pathologist who claimed it; the report form (shared), signing, the report with its HR mark, pictures and versions.
 */
import { useState } from 'react';
import { Alert, Button, Card, Space } from 'antd';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useNavigate, useParams } from 'react-router-dom';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { CaseHeader } from '../../reading/CaseHeader';
import { CaseHistory, useActionLabel } from '../../reading/CaseHistory';
import { ReportSection } from '../../reading/ReportSection';
import { RequestFacts } from '../../reading/RequestFacts';
import { useReadingCase } from '../../reading/useReadingCase';
import { catalogue, labStep, type CaseDetail } from './api';
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
  const label = useActionLabel(PT);
  const rc = useReadingCase<CaseDetail>('pathology', taskId);
  const { q, d, state, run, setError, refresh, amending, can } = rc;
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
      <CaseHeader
        rc={rc}
        title={PT.title}
        words={PT}
        ownActions={OWN}
        testId="pathology-case-header"
        controls={
          <>
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
          </>
        }
      >
        {stepError ? <ErrorAlert error={stepError} /> : null}
        <RequestFacts d={d} site={PT.site} testId="pathology-facts" />
      </CaseHeader>
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
      <ReportSection
        rc={rc}
        testId="pathology-report"
        note={
          d.reportBlocker && !amending ? (
            <Alert type="info" showIcon style={{ marginBottom: 12 }} message={`${pick(PT.blocker)}：${d.reportBlocker}`} />
          ) : null
        }
      />
      <ReportPictures report={d.report} pictures={d.pictures} />
      <CaseHistory history={d.history} label={label} testId="pathology-history" />
    </Space>
  );
}
