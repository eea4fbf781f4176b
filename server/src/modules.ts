/**
 * The module list: what each module brings to the web app's navigation. The server answers the entries a caller's
 * roles may see at `GET /api/modules`; the web app builds its menu from that answer, so a module adds its pages by
 * adding entries here (and the pages themselves under web/src/modules/<id>/).
 */
import { ROLES } from './platform/auth/roles.js';

export interface Text {
  zh: string;
  en: string;
}

export interface NavEntry {
  /** Path in the web app (react-router), e.g. `/patients`. */
  path: string;
  label: Text;
  /** Roles that see the entry; `*` = every signed-in user. */
  roles: readonly string[];
  /** Ant Design icon name used by the web app (optional). */
  icon?: string;
}

export interface ModuleInfo {
  id: string;
  name: Text;
  nav: readonly NavEntry[];
}

const CLINICAL = [ROLES.villageDoctor, ROLES.townshipDoctor, ROLES.countySpecialist, ROLES.publicHealthWorker];
const RECORD_READERS = [
  ...CLINICAL,
  ROLES.pharmacist,
  ROLES.cdcOfficer,
  ROLES.schoolDoctor,
  ROLES.insuranceOfficer,
  ROLES.povertyOfficer,
  ROLES.manager,
  ROLES.admin,
];

/** Who requests from, reads at or oversees the reading centres and remote consultation. */
const READING_CENTRE_USERS = [ROLES.villageDoctor, ROLES.townshipDoctor, ROLES.countySpecialist, ROLES.manager, ROLES.admin];

/** Who works on tasks (worklist): clinicians and the other staff that tasks are addressed to. */
const STAFF = [...CLINICAL, ROLES.pharmacist, ROLES.cdcOfficer, ROLES.schoolDoctor, ROLES.manager];
/** Who sends and receives referrals (双向转诊): village clinics, township centres, county hospitals. */
const REFERRERS = [ROLES.villageDoctor, ROLES.townshipDoctor, ROLES.countySpecialist];
/** Who orders tests and therefore receives critical values; the manager sees the timeliness indicator. */
const CV_ROLES = [ROLES.villageDoctor, ROLES.townshipDoctor, ROLES.countySpecialist, ROLES.manager];

export const MODULES: readonly ModuleInfo[] = [
  {
    id: 'platform',
    name: { zh: '平台', en: 'Platform' },
    nav: [
      { path: '/', label: { zh: '工作台', en: 'Workbench' }, roles: ['*'], icon: 'HomeOutlined' },
      { path: '/patients', label: { zh: '居民查询', en: 'Residents' }, roles: RECORD_READERS, icon: 'SearchOutlined' },
      { path: '/my-record', label: { zh: '我的健康档案', en: 'My record' }, roles: [ROLES.resident], icon: 'IdcardOutlined' },
    ],
  },
  {
    // Hand-offs between institutions: the worklist and inbox of the workflow engine and notifier (platform), two-way
    // referral (modules/referral) and critical values (modules/critical-values).
    id: 'collaboration',
    name: { zh: '医疗协同', en: 'Care coordination' },
    nav: [
      { path: '/tasks', label: { zh: '待办', en: 'Worklist' }, roles: STAFF, icon: 'CarryOutOutlined' },
      { path: '/inbox', label: { zh: '消息', en: 'Inbox' }, roles: ['*'], icon: 'BellOutlined' },
      { path: '/referrals', label: { zh: '转诊', en: 'Referrals' }, roles: REFERRERS, icon: 'SwapOutlined' },
      { path: '/critical-values', label: { zh: '危急值', en: 'Critical values' }, roles: CV_ROLES, icon: 'WarningOutlined' },
    ],
  },
  {
    id: 'admin',
    name: { zh: '系统管理', en: 'Administration' },
    nav: [
      { path: '/manage/users', label: { zh: '用户与角色', en: 'Users and roles' }, roles: [ROLES.admin], icon: 'TeamOutlined' },
      { path: '/manage/institutions', label: { zh: '机构', en: 'Institutions' }, roles: [ROLES.admin], icon: 'ApartmentOutlined' },
      { path: '/manage/audit', label: { zh: '审计查询', en: 'Audit search' }, roles: [ROLES.admin], icon: 'AuditOutlined' },
      { path: '/manage/break-glass', label: { zh: '紧急授权报告', en: 'Break-glass report' }, roles: [ROLES.admin], icon: 'AlertOutlined' },
    ],
  },
  {
    // Reading centres (modules/imaging, shared rules in modules/reading): requests and uploads by townships and villages,
    // the county centre's worklist, reports back to the requester.
    id: 'imaging',
    name: { zh: '诊断中心', en: 'Reading centres' },
    nav: [
      {
        path: '/imaging',
        label: { zh: '影像诊断', en: 'Imaging' },
        roles: READING_CENTRE_USERS,
        icon: 'CarryOutOutlined',
      },
      {
        path: '/ecg',
        label: { zh: '心电诊断', en: 'ECG' },
        roles: READING_CENTRE_USERS,
        icon: 'HeartOutlined',
      },
      {
        path: '/chest-pain',
        label: { zh: '胸痛中心', en: 'Chest pain centre' },
        roles: READING_CENTRE_USERS,
        icon: 'AlertOutlined',
      },
      {
        path: '/pathology',
        label: { zh: '病理诊断', en: 'Pathology' },
        roles: READING_CENTRE_USERS,
        icon: 'ExperimentOutlined',
      },
      {
        path: '/consultation',
        label: { zh: '远程会诊', en: 'Remote consultation' },
        roles: READING_CENTRE_USERS,
        icon: 'TeamOutlined',
      },
    ],
  },
  {
    // Chronic disease management (modules/chronic, docs/chronic.md): due follow-ups per village and doctor, the
    // follow-up form at the point of care, indicators.
    id: 'chronic',
    name: { zh: '慢病管理', en: 'Chronic disease' },
    nav: [
      {
        path: '/chronic',
        label: { zh: '慢病随访', en: 'Chronic follow-ups' },
        roles: [ROLES.villageDoctor, ROLES.townshipDoctor, ROLES.countySpecialist, ROLES.publicHealthWorker, ROLES.admin],
        icon: 'CarryOutOutlined',
      },
      {
        path: '/chronic/indicators',
        label: { zh: '慢病指标', en: 'Chronic indicators' },
        roles: [ROLES.villageDoctor, ROLES.townshipDoctor, ROLES.publicHealthWorker, ROLES.manager, ROLES.admin],
        icon: 'AuditOutlined',
      },
    ],
  },
];

/** The modules and nav entries the given roles may see (modules without a visible entry are left out). */
export function modulesFor(roles: readonly string[], modules: readonly ModuleInfo[] = MODULES): ModuleInfo[] {
  const visible = (e: NavEntry) => e.roles.includes('*') || e.roles.some((r) => roles.includes(r));
  return modules.map((m) => ({ ...m, nav: m.nav.filter(visible) })).filter((m) => m.nav.length > 0);
}
