/**
 * Texts of the ECG pages, Chinese first (read with useI18n().pick); the reading centres' shared texts are in
 * web/src/reading/texts.ts. The states and steps that speak of what is received are worded for ECG here (the shared
 * workflow's displays speak of images); the rest are the reading centres' common words (centreWords).
 */
import { centreWords } from '../../reading/texts';

export const ET = {
  title: { zh: '心电诊断中心', en: 'ECG centre' },
  newRequest: { zh: '开具心电检查申请', en: 'New ECG request' },
  upload: { zh: '上传心电图', en: 'Upload ECG' },
  uploadHint: {
    zh: '支持 DICOM 心电波形 (.dcm)、HL7 aECG (.xml)、JSON、CSV（须含12导联）',
    en: 'DICOM waveform (.dcm), HL7 aECG (.xml), JSON or CSV with all 12 leads',
  },
  sampleRate: { zh: 'CSV采样率 (Hz)', en: 'CSV sample rate (Hz)' },
  uploaded: { zh: '心电图已上传，已进入县心电诊断中心待诊断列表', en: 'ECG uploaded; the case is on the county ECG centre worklist' },
  tracing: { zh: '十二导联心电图', en: '12-lead ECG' },
  noTracing: { zh: '尚未上传心电图', en: 'No tracing yet' },
  scale: { zh: '走纸速度/增益', en: 'Speed / gain' },
  original: { zh: '原始文件', en: 'Original file' },
  measurements: { zh: '测量值', en: 'Measurements' },
  saveMeasurements: { zh: '保存测量值', en: 'Save measurements' },
  statements: { zh: '标准诊断术语', en: 'Standard statements' },
  chestPain: { zh: '胸痛中心时间轴', en: 'Chest-pain time-line' },
  chestPainList: { zh: '胸痛中心', en: 'Chest-pain centre' },
  milestone: { zh: '时间节点', en: 'Milestone' },
  time: { zh: '时间', en: 'Time' },
  record: { zh: '记录', en: 'Record' },
  interval: { zh: '时间间隔', en: 'Interval' },
  target: { zh: '目标', en: 'Target' },
  minutes: { zh: '分钟', en: 'min' },
  met: { zh: '达标', en: 'Met' },
  notMet: { zh: '未达标', en: 'Not met' },
  pending: { zh: '待记录', en: 'Pending' },
  openOnly: { zh: '仅进行中', en: 'Open only' },
  opened: { zh: '建立时间', en: 'Opened' },
  ...centreWords({
    actions: {
      images: { zh: '心电图已上传', en: 'Tracing received' },
      'qc-reject': { zh: '心电图质控退回', en: 'Reject (tracing quality)' },
    },
    states: {
      'awaiting-images': { zh: '待上传心电图', en: 'Awaiting tracing' },
      requested: { zh: '待诊断', en: 'To read' },
      claimed: { zh: '诊断中', en: 'Reading' },
      'qc-rejected': { zh: '心电图质控不合格，待重新上传', en: 'QC rejected' },
    },
  }),
} as const;
