/**
 * What the workbench panels of the reading centres share: which centres the signed-in user works at (the centre roles
 * `urn:yiwang:centre-role` on their organisation's `Organization.type`, from the cached institution registry), each
 * centre's name, page and words, and the panels' texts (Chinese first, read with useI18n().pick).
 */
import { CENTRE_SYSTEM } from '../api/fhir';
import { useAuth } from '../auth';
import { useOrganizations } from '../hooks';
import type { CaseItem, Centre, Text } from '../reading/api';
import { RT, stateText, type CentreWords } from '../reading/texts';
import { ET } from '../pages/ecg/texts';
import { TX as IMAGING } from '../pages/imaging/texts';
import { PT } from '../pages/pathology/texts';

export const READING_CENTRES: readonly Centre[] = ['imaging', 'ecg', 'pathology'];

/** Each centre's name and its own words for the workflow's states (imaging speaks of images, as the workflow does). */
export const CENTRE_INFO: Record<Centre, { title: Text; words?: CentreWords }> = {
  imaging: { title: IMAGING.title },
  ecg: { title: ET.title, words: ET },
  pathology: { title: PT.title, words: PT },
};

/** Texts of the workbench panels of the centres. */
export const BT = {
  toRead: { zh: '待诊断', en: 'To read' },
  readingMine: { zh: '诊断中（我的）', en: 'Reading (mine)' },
  toSign: { zh: '待审核签发', en: 'To sign' },
  overdue: RT.overdue,
  firstCases: { zh: '待处理病例', en: 'Open cases' },
  none: { zh: '暂无', en: 'None' },
  viewAll: { zh: '查看全部', en: 'View all' },
  open: RT.open,
  critical: { zh: '危急', en: 'Critical' },
  reportsBack: { zh: '检查报告回传', en: 'Reports from the centres' },
  reportsBackHint: { zh: '近7天签发的报告及待本机构处理的申请', en: 'Signed in the last 7 days, and requests waiting on us' },
  waitingOnUs: { zh: '待本机构处理', en: 'Waiting on us' },
  signedAt: { zh: '签发', en: 'Signed' },
  consultations: { zh: '远程会诊', en: 'Remote consultations' },
  incoming: { zh: '会诊中心待处理', en: 'At the centre' },
  expert: { zh: '邀请我的会诊', en: 'Invited as expert' },
  scheduledAt: { zh: '会诊时间', en: 'Session' },
  requestedAt: { zh: '期望时间', en: 'Preferred' },
} as const;

export type CentreRole = Centre | 'consultation' | 'chest-pain';

/** The centre roles of the signed-in user's organisation (empty while the registry loads or when it has none). */
export function useMyCentreRoles(): { roles: CentreRole[]; loading: boolean } {
  const { me } = useAuth();
  const orgs = useOrganizations();
  const org = me?.organizationId ? orgs.data?.get(me.organizationId) : undefined;
  const roles = (org?.type ?? [])
    .flatMap((t) => t.coding ?? [])
    .filter((c) => c.system === CENTRE_SYSTEM && c.code)
    .map((c) => c.code as CentreRole);
  return { roles, loading: orgs.isLoading };
}

/** A case's state as its centre words it, else the workflow's display. */
export function stateLabel(centre: Centre, item: CaseItem, pick: (t: Text) => string): string {
  const own = stateText(CENTRE_INFO[centre].words, item.state.code);
  return own ? pick(own) : pick(item.state.display);
}

/** The case page of a centre. */
export const casePath = (centre: Centre, task: string) => `/${centre}/cases/${encodeURIComponent(task)}`;

/** Query keys start with 'tasks': a reading notification on the live stream refreshes them (notify/LiveProvider). */
export const benchKey = (...parts: string[]) => ['tasks', 'bench', ...parts];
