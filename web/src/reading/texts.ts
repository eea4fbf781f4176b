/** Texts every reading centre's pages share, Chinese first (read with useI18n().pick). */
import type { Text } from './api';

export const RT = {
  patient: { zh: '居民', en: 'Resident' },
  item: { zh: '检查项目', en: 'Examination' },
  priority: { zh: '紧急程度', en: 'Priority' },
  reason: { zh: '临床摘要与检查目的', en: 'Clinical information' },
  state: { zh: '状态', en: 'State' },
  requestedAt: { zh: '申请时间', en: 'Requested' },
  due: { zh: '时限', en: 'Due' },
  overdue: { zh: '已超时', en: 'Overdue' },
  open: { zh: '打开', en: 'Open' },
  requestInfo: { zh: '申请信息', en: 'Request' },
  report: { zh: '诊断报告', en: 'Report' },
  template: { zh: '报告模板', en: 'Template' },
  findings: { zh: '检查所见', en: 'Findings' },
  impression: { zh: '诊断意见', en: 'Impression' },
  positive: { zh: '阳性', en: 'Positive' },
  negative: { zh: '阴性', en: 'Negative' },
  critical: { zh: '危急值发现', en: 'Critical findings' },
  saveReport: { zh: '提交初步报告', en: 'Submit preliminary report' },
  sign: { zh: '审核签发（电子签名）', en: 'Review and sign (SM2)' },
  amend: { zh: '修订报告', en: 'Amend report' },
  amendReason: { zh: '修订原因', en: 'Reason for the revision' },
  actionReason: { zh: '原因', en: 'Reason' },
  confirm: { zh: '确定', en: 'OK' },
  cancel: { zh: '取消', en: 'Cancel' },
  history: { zh: '流程记录', en: 'History' },
  versions: { zh: '报告版本', en: 'Report versions' },
  hr: { zh: '互认', en: 'Recognised' },
  centreView: { zh: '本中心待阅（工作列表）', en: 'Centre worklist' },
  requestedView: { zh: '本机构申请', en: 'Our requests' },
  includeFinished: { zh: '含已完成', en: 'Include finished' },
  stats: { zh: '统计（近30天）', en: 'Statistics (30 days)' },
  reports: { zh: '报告数', en: 'Reports' },
  positiveRate: { zh: '阳性率', en: 'Positive rate' },
  tatMedian: { zh: '报告时长中位数（分钟）', en: 'Median turnaround (min)' },
  qcRejections: { zh: '质控退回', en: 'QC rejections' },
  routine: { zh: '普通', en: 'Routine' },
  urgent: { zh: '加急', en: 'Urgent' },
  stat: { zh: '危急（立即）', en: 'Stat' },
  submit: { zh: '提交申请', en: 'Submit request' },
  uploading: { zh: '正在上传…', en: 'Uploading…' },
  reportStatus: {
    preliminary: { zh: '初步报告', en: 'Preliminary' },
    final: { zh: '已签发', en: 'Final' },
    amended: { zh: '已修订', en: 'Amended' },
  },
  empty: { zh: '暂无数据', en: 'No data' },
} as const;

/**
 * How a centre words the shared reading workflow, whose own displays speak of images: its states (by code) and its
 * steps (by action, on the buttons and in the history). Read with stateText and actionText.
 */
export interface CentreWords {
  states: Record<string, Text>;
  actions: Record<string, Text>;
}

/** The states and steps that do not speak of images, worded alike by every centre that words the workflow its own way. */
const COMMON: CentreWords = {
  states: {
    preliminary: { zh: '初步报告，待审核签发', en: 'Preliminary report, awaiting the second reader' },
    final: { zh: '报告已签发', en: 'Report signed' },
    cancelled: { zh: '已撤销', en: 'Cancelled' },
  },
  actions: {
    claim: { zh: '领取诊断', en: 'Claim' },
    release: { zh: '退回待诊断', en: 'Release' },
    report: { zh: '提交初步报告', en: 'Submit the preliminary report' },
    return: { zh: '退回修改', en: 'Return for correction' },
    sign: { zh: '审核签发', en: 'Review and sign' },
    amend: { zh: '修订报告', en: 'Amend the report' },
    cancel: { zh: '撤销申请', en: 'Cancel the request' },
  },
};

/** A centre's words: the common ones with the centre's own (those that name what it receives) over them. */
export function centreWords(own: CentreWords): CentreWords {
  return { states: { ...COMMON.states, ...own.states }, actions: { ...COMMON.actions, ...own.actions } };
}

/** The centre's word for a state or step, if it has one (else the caller shows the workflow's display). */
export const stateText = (words: CentreWords | undefined, code: string): Text | undefined => words?.states[code];
export const actionText = (words: CentreWords | undefined, action: string): Text | undefined => words?.actions[action];

/** A request's priority in words (asap reads as urgent; no priority is routine). */
export const priorityText = (priority: string | undefined): Text =>
  priority === 'stat' ? RT.stat : priority === 'urgent' || priority === 'asap' ? RT.urgent : RT.routine;
