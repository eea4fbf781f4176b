/**
 * Texts of the imaging pages, Chinese first (read with useI18n().pick, so the header's language switch applies); those
 * every reading centre shares are web/src/reading/texts.ts (RT).
 */
export const TX = {
  title: { zh: '影像诊断中心', en: 'Imaging centre' },
  newRequest: { zh: '开具影像检查申请', en: 'New imaging request' },
  upload: { zh: '上传DICOM影像', en: 'Upload DICOM images' },
  uploadHint: { zh: '选择一个检查的DICOM文件（DR/CT/MR/超声），可多选', en: 'Choose the DICOM files of one study (DR/CT/MR/US)' },
  uploaded: { zh: '影像已上传，已进入县影像中心阅片列表', en: 'Images uploaded; the case is on the county centre worklist' },
  reconciliation: {
    zh: '影像已保存，但患者信息与申请居民不符，已转入待核对列表',
    en: 'Stored, but the patient does not match the request: sent to reconciliation',
  },
  images: { zh: '影像', en: 'Images' },
  noImages: { zh: '尚未上传影像', en: 'No images yet' },
  instance: { zh: '图像', en: 'Image' },
  prev: { zh: '上一幅', en: 'Previous' },
  next: { zh: '下一幅', en: 'Next' },
  reconcileQueue: { zh: '待核对影像', en: 'Studies to reconcile' },
} as const;
