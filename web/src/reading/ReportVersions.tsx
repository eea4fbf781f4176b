/** The versions of a report (preliminary, final, amended …), newest first, as one line under the report. */
import { Typography } from 'antd';
import { useI18n } from '../i18n';
import { RT } from './texts';

/* eslint-disable-next-line @typescript-eslint/no-explicit-any -- DiagnosticReport versions as sent */
export function ReportVersions({ versions }: { versions: any[] }) {
  const { pick } = useI18n();
  if (versions.length <= 1) return null;
  return (
    <Typography.Text type="secondary" data-testid="report-versions">
      {pick(RT.versions)}:{' '}
      {versions
        .map((v) => {
          const s = RT.reportStatus[v.status as keyof typeof RT.reportStatus];
          return `v${v.meta?.versionId} ${s ? pick(s) : v.status}`;
        })
        .join(' · ')}
    </Typography.Text>
  );
}
