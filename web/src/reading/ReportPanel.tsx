/**
 * The report card of a case: the report, the second reader's signing, the start of a revision after signing, and the
 * versions. Which buttons show is the page's decision (it knows the caller); the server checks again.
 */
import { Button, Card, Space } from 'antd';
import { useI18n } from '../i18n';
import type { CaseDetail } from './api';
import { ReportVersions } from './ReportVersions';
import { ReportView } from './ReportView';
import { RT } from './texts';

export interface ReportPanelProps {
  detail: Pick<CaseDetail, 'report' | 'reportVersions'>;
  canSign: boolean;
  canAmend: boolean;
  busy: boolean;
  onSign: () => void;
  onAmend: () => void;
  testId?: string;
}

export function ReportPanel({ detail, canSign, canAmend, busy, onSign, onAmend, testId }: ReportPanelProps) {
  const { pick } = useI18n();
  if (!detail.report) return null;
  return (
    <Card
      title={pick(RT.report)}
      size="small"
      extra={
        <Space>
          {canSign ? (
            <Button type="primary" loading={busy} onClick={onSign} data-testid="report-sign">
              {pick(RT.sign)}
            </Button>
          ) : null}
          {canAmend ? (
            <Button onClick={onAmend} data-testid="report-amend">
              {pick(RT.amend)}
            </Button>
          ) : null}
        </Space>
      }
    >
      <ReportView report={detail.report} {...(testId ? { testId } : {})} />
      <ReportVersions versions={detail.reportVersions} />
    </Card>
  );
}
