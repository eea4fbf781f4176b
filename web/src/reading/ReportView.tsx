/** A reading centre's report as the reader and the requester see it: status, HR mark, critical findings, the two sections. */
import { Space, Tag, Typography } from 'antd';
import { useI18n } from '../i18n';
import { findingsOf } from './api';
import { RT } from './texts';

interface Coding {
  system: string;
  code?: string;
  display?: string;
}

/* eslint-disable-next-line @typescript-eslint/no-explicit-any -- a DiagnosticReport as sent */
export function ReportView({ report, mark, testId = 'reading-report' }: { report: any; mark?: string; testId?: string }) {
  const { pick } = useI18n();
  if (!report) return null;
  const hr = report.meta?.tag?.find((t: Coding) => t.system === 'urn:yiwang:recognition' && t.code === 'HR');
  const status = RT.reportStatus[report.status as keyof typeof RT.reportStatus];
  const codings: Coding[] = (report.conclusionCode ?? []).flatMap((c: { coding?: Coding[] }) => c.coding ?? []);
  return (
    <div data-testid={testId}>
      <Space wrap style={{ marginBottom: 8 }}>
        <Tag color={report.status === 'preliminary' ? 'blue' : 'green'} data-testid="report-status">
          {status ? pick(status) : report.status}
        </Tag>
        {hr ? (
          <Tag color="gold" data-testid="report-hr">
            {mark ?? hr.display?.split(' ')[0] ?? 'HR'} {pick(RT.hr)}
          </Tag>
        ) : null}
        {codings
          .filter((c) => c.system === 'urn:yiwang:critical-finding')
          .map((c) => (
            <Tag color="red" key={c.code ?? c.display}>
              {c.display}
            </Tag>
          ))}
      </Space>
      <Typography.Title level={5}>{pick(RT.findings)}</Typography.Title>
      <Typography.Paragraph data-testid="report-findings" style={{ whiteSpace: 'pre-wrap' }}>
        {findingsOf(report)}
      </Typography.Paragraph>
      <Typography.Title level={5}>{pick(RT.impression)}</Typography.Title>
      <Typography.Paragraph strong data-testid="report-impression" style={{ whiteSpace: 'pre-wrap' }}>
        {report.conclusion}
      </Typography.Paragraph>
    </div>
  );
}
