/**
 * The report part of a case page: the report form for the reader who claimed the case or who revises a signed report
 * (a centre's note above it, e.g. why the report must wait), then the report with signing, revision and versions.
 */
import type { ReactNode } from 'react';
import { Card } from 'antd';
import { useI18n } from '../i18n';
import type { CaseDetail } from './api';
import { ReportEditor, type ReportEditorProps, type ReportValues } from './ReportEditor';
import { ReportPanel } from './ReportPanel';
import { RT } from './texts';
import type { ReadingCase } from './useReadingCase';

export interface ReportSectionProps<D extends CaseDetail = CaseDetail> extends Pick<
  ReportEditorProps<ReportValues>,
  'picker' | 'statementsLabel'
> {
  rc: ReadingCase<D>;
  /** data-testid of the report view. */
  testId: string;
  /** Shown above the report form. */
  note?: ReactNode;
}

export function ReportSection<D extends CaseDetail>({ rc, testId, note, picker, statementsLabel }: ReportSectionProps<D>) {
  const { pick } = useI18n();
  const { d, run, form, amending, startAmend, can } = rc;
  if (!d) return null;
  return (
    <>
      {can.write || amending ? (
        <Card title={pick(amending ? RT.amend : RT.report)} size="small">
          {note}
          <ReportEditor
            form={form}
            detail={d}
            amending={amending}
            busy={run.isPending}
            picker={picker}
            statementsLabel={statementsLabel}
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
        testId={testId}
      />
    </>
  );
}
