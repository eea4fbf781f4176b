/** UI language: zh-CN first, English switchable. One dictionary; missing English falls back to the key's Chinese. */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';

export type Lang = 'zh' | 'en';

const DICT = {
  appName: ['一网 · 县域医共体', 'Yiwang · county health network'],
  login: ['登录', 'Sign in'],
  logout: ['退出', 'Sign out'],
  username: ['用户名', 'Username'],
  password: ['密码', 'Password'],
  totp: ['动态验证码', 'One-time code'],
  totpRequired: ['请输入动态验证码（双因素认证）', 'Enter your one-time code (second factor)'],
  loginFailed: ['用户名或密码错误', 'Wrong username or password'],
  sessionExpired: ['会话已过期，请重新登录', 'Your session has expired: please sign in again'],
  loggedOut: ['您已安全退出', 'You have signed out'],
  language: ['English', '中文'],
  workbench: ['工作台', 'Workbench'],
  residents: ['居民查询', 'Residents'],
  search: ['查询', 'Search'],
  searchPlaceholder: ['姓名 / 拼音 / 身份证号 / 电子健康卡 / 手机号', 'Name / pinyin / ID number / e-health card / phone'],
  scanQr: ['扫码', 'Scan QR'],
  scanTitle: ['扫描电子健康卡二维码', 'Scan an e-health card QR code'],
  cameraError: ['无法打开摄像头', 'The camera could not be opened'],
  mode: ['查询方式', 'Search by'],
  modeAuto: ['自动识别', 'Automatic'],
  modeName: ['姓名', 'Name'],
  modeId: ['身份证号', 'ID number'],
  modeCard: ['电子健康卡', 'E-health card'],
  modePhone: ['手机号', 'Phone'],
  name: ['姓名', 'Name'],
  gender: ['性别', 'Gender'],
  male: ['男', 'Male'],
  female: ['女', 'Female'],
  birthDate: ['出生日期', 'Birth date'],
  age: ['年龄', 'Age'],
  idNumber: ['身份证号', 'ID number'],
  phone: ['电话', 'Phone'],
  address: ['住址', 'Address'],
  institution: ['机构', 'Institution'],
  level: ['级别', 'Level'],
  managingOrg: ['管理机构', 'Managing institution'],
  total: ['共', 'Total'],
  noData: ['暂无数据', 'No data'],
  open: ['查看', 'Open'],
  notFound: ['未找到该居民，或不在您的服务范围内', 'Resident not found, or outside your scope'],
  breakGlass: ['紧急授权', 'Break-glass access'],
  breakGlassReason: ['紧急授权原因（将被记录并审查）', 'Reason (recorded and reviewed)'],
  breakGlassHint: [
    '仅在急救等紧急情况下使用。本次访问将记入审计并由隐私官审查。',
    'Only for emergencies. This access is recorded and reviewed by the privacy officer.',
  ],
  breakGlassActive: ['紧急授权访问中', 'Break-glass access in effect'],
  overview: ['概览', 'Overview'],
  timeline: ['就诊时间线', 'Timeline'],
  labs: ['检验', 'Lab results'],
  reports: ['检查报告', 'Reports'],
  medications: ['用药', 'Medications'],
  immunizations: ['预防接种', 'Immunisations'],
  followUps: ['慢病随访', 'Chronic follow-ups'],
  pregnancies: ['孕产', 'Pregnancies'],
  contracts: ['签约', 'Contracts'],
  referrals: ['转诊', 'Referrals'],
  accessLog: ['访问记录', 'Access log'],
  problems: ['问题列表', 'Problem list'],
  allergies: ['过敏', 'Allergies'],
  identifiers: ['证件', 'Identifiers'],
  demographics: ['基本信息', 'Demographics'],
  filterType: ['类型', 'Type'],
  filterInstitution: ['机构', 'Institution'],
  filterPeriod: ['时间', 'Period'],
  abnormal: ['异常', 'Abnormal'],
  high: ['偏高', 'High'],
  low: ['偏低', 'Low'],
  showMore: ['显示更多', 'Show more'],
  date: ['日期', 'Date'],
  item: ['项目', 'Item'],
  value: ['结果', 'Value'],
  reference: ['参考范围', 'Reference range'],
  source: ['来源机构', 'Source'],
  status: ['状态', 'Status'],
  accessor: ['访问者', 'Accessor'],
  role: ['角色', 'Role'],
  action: ['操作', 'Action'],
  time: ['时间', 'Time'],
  purpose: ['目的', 'Purpose'],
  resources: ['资源数', 'Resources'],
  loadedIn: ['加载用时', 'Loaded in'],
  users: ['用户与角色', 'Users and roles'],
  createUser: ['新建用户', 'New user'],
  roles: ['角色', 'Roles'],
  displayName: ['显示名', 'Display name'],
  organization: ['所属机构', 'Institution'],
  enable: ['启用', 'Enable'],
  disable: ['停用', 'Disable'],
  active: ['正常', 'Active'],
  disabled: ['已停用', 'Disabled'],
  institutions: ['机构', 'Institutions'],
  audit: ['审计查询', 'Audit search'],
  breakGlassReport: ['紧急授权报告', 'Break-glass report'],
  patientId: ['居民ID', 'Resident id'],
  userId: ['用户ID', 'User id'],
  from: ['开始', 'From'],
  to: ['结束', 'To'],
  outcome: ['结果', 'Outcome'],
  reason: ['原因', 'Reason'],
  save: ['保存', 'Save'],
  cancel: ['取消', 'Cancel'],
  created: ['已创建', 'Created'],
  error: ['出错了', 'Something went wrong'],
  serverDown: ['无法连接服务器，请检查网络后重试', 'Cannot reach the server: check the network and try again'],
  serverError: ['服务器出错，请稍后重试', 'The server had a problem: please try again later'],
  retry: ['重试', 'Try again'],
  pageNotFound: ['页面不存在', 'Page not found'],
  pageNotFoundHint: ['您访问的链接无效或已失效', 'This link is invalid or no longer exists'],
  backHome: ['返回工作台', 'Back to the workbench'],
  backToSearch: ['返回居民查询', 'Back to resident search'],
  forbidden: ['当前角色无权访问', 'Your role may not see this'],
  villageResidents: ['本村居民', 'Residents of the village'],
  dueFollowUps: ['慢病随访对象', 'Due chronic-disease follow-ups'],
  todayPatients: ['今日就诊', "Today's patients"],
  recentEncounters: ['近期就诊', 'Recent encounters'],
  pendingRequests: ['待处理申请', 'Pending requests'],
  pendingReferrals: ['转诊与会诊', 'Referrals and consultations'],
  worklist: ['工作列表', 'Worklist'],
  programmes: ['公卫项目', 'Public-health programmes'],
  hypertension: ['高血压', 'Hypertension'],
  diabetes: ['2型糖尿病', 'Type 2 diabetes'],
  copd: ['慢阻肺', 'COPD'],
  stroke: ['脑梗死', 'Stroke'],
  coronary: ['冠心病', 'Coronary disease'],
  pregnancyCare: ['孕产妇管理', 'Maternal care'],
  keyIndicators: ['关键指标', 'Key indicators'],
  residentsTotal: ['建档居民', 'Registered residents'],
  encounters30: ['近30天就诊', 'Encounters, 30 days'],
  chronicBurden: ['慢病患者', 'Chronic-disease patients'],
  myRecord: ['我的健康档案', 'My record'],
  adminHome: ['系统管理', 'Administration'],
  welcome: ['您好', 'Hello'],
  count: ['人数', 'Count'],
  requester: ['申请方', 'Requester'],
  performer: ['接收方', 'Performer'],
  description: ['内容', 'Description'],
  all: ['全部', 'All'],
  trend: ['趋势', 'Trend'],
  table: ['列表', 'Table'],
  kindEncounter: ['就诊', 'Encounter'],
  kindCondition: ['诊断', 'Diagnosis'],
  kindVital: ['体征', 'Vital signs'],
  kindOther: ['其他', 'Other'],
  levelOf: ['级别', 'Level'],
  tooSlow: ['加载', 'Loaded'],
} satisfies Record<string, [string, string]>;

export type TextKey = keyof typeof DICT;

const ROLE_NAMES: Record<string, [string, string]> = {
  'village-doctor': ['乡村医生', 'Village doctor'],
  'township-doctor': ['乡镇卫生院医生', 'Township doctor'],
  'county-specialist': ['县医院专科医生', 'County specialist'],
  pharmacist: ['药师', 'Pharmacist'],
  'public-health-worker': ['公卫人员', 'Public-health worker'],
  'cdc-officer': ['疾控专员', 'CDC officer'],
  'school-doctor': ['校医', 'School doctor'],
  teacher: ['教师', 'Teacher'],
  'insurance-officer': ['医保专员', 'Insurance officer'],
  'poverty-officer': ['乡村振兴专员', 'Poverty officer'],
  manager: ['管理者', 'Manager'],
  resident: ['居民', 'Resident'],
  admin: ['系统管理员', 'Administrator'],
  system: ['系统', 'System'],
};

export const ALL_ROLES = Object.keys(ROLE_NAMES).filter((r) => r !== 'system');

interface I18n {
  lang: Lang;
  setLang(lang: Lang): void;
  t(key: TextKey): string;
  roleName(role: string): string;
  /** Picks the text of a {zh, en} pair (module names from the server). */
  pick(text: { zh: string; en: string }): string;
}

const Ctx = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(() => (localStorage.getItem('yiwang.lang') === 'en' ? 'en' : 'zh'));
  const setLang = useCallback((l: Lang) => {
    localStorage.setItem('yiwang.lang', l);
    document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
    setLangState(l);
  }, []);
  const value = useMemo<I18n>(() => {
    const i = lang === 'zh' ? 0 : 1;
    return {
      lang,
      setLang,
      t: (key) => DICT[key][i],
      roleName: (role) => ROLE_NAMES[role]?.[i] ?? role,
      pick: (text) => (lang === 'zh' ? text.zh : text.en),
    };
  }, [lang, setLang]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useI18n(): I18n {
  const v = useContext(Ctx);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}
