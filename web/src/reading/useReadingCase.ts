/**
 * The state of a reading case page: the case (query), the actions (mutation) and what the caller may do now — write
 * the report (the claimant), sign (another reader), add images/tracing (the requester), revise (the centre, once
 * signed). A centre's page adds its own parts (viewer, tracing, upload).
 */
import { useState } from 'react';
import { Form } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useAuth } from '../auth';
import { findingsOf, readingApi, type CaseDetail, type Centre } from './api';
import type { ReportValues } from './ReportEditor';

export function useReadingCase<D extends CaseDetail = CaseDetail, V extends ReportValues = ReportValues>(centre: Centre, taskId: string) {
  const calls = readingApi<D>(centre);
  const { me } = useAuth();
  const qc = useQueryClient();
  const key = [`${centre}-case`, taskId];
  const q = useQuery({ queryKey: key, queryFn: () => calls.caseDetail(taskId) });
  const [error, setError] = useState<unknown>();
  const [amending, setAmending] = useState(false);
  const [form] = Form.useForm<V>();
  const refresh = (d?: D) => {
    if (d) qc.setQueryData(key, d);
    else void qc.invalidateQueries({ queryKey: key });
  };
  const run = useMutation({
    mutationFn: ({ action, body }: { action: string; body?: Record<string, unknown> }) => calls.act(taskId, action, body),
    onSuccess: (d) => {
      setError(undefined);
      setAmending(false);
      refresh(d);
    },
    onError: setError,
  });
  const d = q.data;
  const state = d?.state.code ?? '';
  const myRef = me?.practitionerId ? `Practitioner/${me.practitionerId}` : undefined;
  const can = {
    write: !!d && d.side === 'centre' && state === 'claimed' && d.case.claimedBy === myRef,
    sign: !!d && d.side === 'centre' && state === 'preliminary' && d.case.reportedBy !== myRef,
    upload: !!d && d.side === 'requester' && ['awaiting-images', 'qc-rejected'].includes(state),
    amend: !!d && d.side === 'centre' && (d.report?.status === 'final' || d.report?.status === 'amended') && !amending,
  };
  /** Opens the revision form with the signed report's text (coded conclusions chosen again on purpose). */
  const startAmend = (extra: Partial<V> = {}) => {
    const r = d?.report;
    form.setFieldsValue({
      findings: findingsOf(r),
      impression: r?.conclusion,
      positive: !!r?.conclusionCode?.some((c: { coding?: { code?: string }[] }) => c.coding?.some((x) => x.code === 'positive')),
      conclusions: [],
      ...extra,
    } as Parameters<typeof form.setFieldsValue>[0]);
    setAmending(true);
  };
  return { q, d, state, run, error, setError, refresh, form, amending, startAmend, can };
}

/** What useReadingCase gives a page, handed on to the shared parts of the page (CaseHeader, ReportSection). */
export type ReadingCase<D extends CaseDetail = CaseDetail> = ReturnType<typeof useReadingCase<D>>;
