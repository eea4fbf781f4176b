/**
 * Small catalogues for the synthetic demo county: the ICD-10 codes it uses (疾病分类与代码国家临床版 2.0, official
 * Chinese names), lab items (LOINC, UCUM units, adult reference ranges), a few drugs, medical-service charge items
 * (收费项目) with prices, the 2021 national immunisation schedule, and the towns of 南川区 (NBS 2023 codes) so the
 * library works without the shared data directory.
 */
import { RESIDENT_ID_SYSTEM } from '../platform/identity/empi/person.js';

export const ICD10_SYSTEM = 'http://hl7.org/fhir/sid/icd-10-cn';
export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';
export const DRUG_SYSTEM = 'urn:yiwang:drug';
export const VACCINE_SYSTEM = 'urn:yiwang:vaccine';
export const ORG_TYPE_SYSTEM = 'urn:yiwang:org-type';
export const CENTRE_SYSTEM = 'urn:yiwang:centre-role';
/** 居民身份证号 (GB 11643), the system the resident index checks on every Patient write. */
export const ID_NUMBER_SYSTEM = RESIDENT_ID_SYSTEM;
export const YIWANG_TAG_SYSTEM = 'urn:yiwang:tag';
/** 电子健康卡 (national resident e-health card) id: the system the web app's resident search sends (web/src/api/fhir.ts). */
export const EHEALTH_CARD_SYSTEM = 'urn:yiwang:e-health-card';

/**
 * Administrative-division codes (区划代码) of the division `Location`s: the 6-digit county code (GB/T 2260), the
 * 9-digit township code (GB/T 10114, as published by NBS) and the 12-digit village/community code of NBS 统计用区划代码,
 * whose first 6 digits are the GB/T 2260 code. One system for the three levels, as NBS publishes them as one table.
 * Not `urn:oid:2.16.156.10011.2.3.2`: that is the arc under which the WS 364 value-domain tables are numbered
 * (e.g. `2.16.156.10011.2.3.2.62` 医疗卫生机构业务科室分类与代码表 in WS/T 500 shared documents), not a code system for
 * divisions, and no registered OID for GB/T 2260 or the NBS codes was found; hence a platform URN.
 */
export const ADMIN_DIVISION_SYSTEM = 'urn:yiwang:admin-division';
export const LOCATION_PHYSICAL_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/location-physical-type';

/**
 * Extension `address-division` (context: `Address`; value: `valueCode`, required, 1..1): the 12-digit NBS code of the
 * village or community (村/居委会) the address lies in, i.e. the `identifier` of a division `Location`
 * (physicalType `jdn`) whose `partOf` chain leads to the town and the county. `Address.district` keeps the town's
 * name and `Address.city` the county's, as in every other Yiwang address; the extension only adds the code.
 */
export const ADDRESS_DIVISION_EXTENSION = 'https://yiwang.cn/fhir/StructureDefinition/address-division';

/**
 * Extension `organization-division` (context: `Organization`; value: `valueReference` to a division `Location`): the
 * administrative division an institution belongs to (county, town or village). R4 has no element for it:
 * `Organization` refers to no Location, and `Location.managingOrganization` means the organisation that runs a place,
 * which for a jurisdiction is its government, not the clinics inside it (a town holds several institutions).
 */
export const ORGANIZATION_DIVISION_EXTENSION = 'https://yiwang.cn/fhir/StructureDefinition/organization-division';

/** ICD-10 国家临床版 2.0 codes used by the generator, with their official names. */
export const ICD10 = {
  hypertension: { code: 'I10.x00', display: '特发性(原发性)高血压' },
  diabetes: { code: 'E11.900', display: '2型糖尿病' },
  copd: { code: 'J44.900', display: '慢性阻塞性肺病' },
  hyperlipidaemia: { code: 'E78.500', display: '高脂血症' },
  coronary: { code: 'I25.100', display: '动脉硬化性心脏病' },
  stroke: { code: 'I63.900', display: '脑梗死' },
  uri: { code: 'J06.900', display: '急性上呼吸道感染' },
  bronchitis: { code: 'J20.900', display: '急性支气管炎' },
  gastritis: { code: 'K29.700', display: '胃炎' },
  lowBackPain: { code: 'M54.500', display: '下背痛' },
  kneeArthrosis: { code: 'M17.900', display: '膝关节病' },
  pregnancy: { code: 'Z33.x00x001', display: '妊娠状态' },
  delivery: { code: 'O80.900x001', display: '正常分娩' },
} as const;

export type IcdKey = keyof typeof ICD10;

/** Acute complaints seen in primary care, with relative frequency. */
export const ACUTE_COMPLAINTS: readonly [IcdKey, number][] = [
  ['uri', 40],
  ['bronchitis', 12],
  ['gastritis', 18],
  ['lowBackPain', 14],
  ['kneeArthrosis', 10],
];

export interface LabItem {
  code: string;
  display: string;
  unit: string;
  low: number;
  high: number;
  /** Typical value and spread for the population (normal distribution, clipped at > 0). */
  mean: number;
  sd: number;
  decimals: number;
}

export const LAB: Record<string, LabItem> = {
  glucose: { code: '14771-0', display: '空腹血糖', unit: 'mmol/L', low: 3.9, high: 6.1, mean: 5.4, sd: 0.7, decimals: 1 },
  hba1c: { code: '4548-4', display: '糖化血红蛋白', unit: '%', low: 4.0, high: 6.0, mean: 5.5, sd: 0.5, decimals: 1 },
  cholesterol: { code: '14647-2', display: '总胆固醇', unit: 'mmol/L', low: 2.8, high: 5.2, mean: 4.8, sd: 0.9, decimals: 2 },
  triglycerides: { code: '14927-8', display: '甘油三酯', unit: 'mmol/L', low: 0.45, high: 1.7, mean: 1.5, sd: 0.6, decimals: 2 },
  ldl: { code: '22748-8', display: '低密度脂蛋白胆固醇', unit: 'mmol/L', low: 0, high: 3.4, mean: 2.9, sd: 0.7, decimals: 2 },
  creatinine: { code: '14682-9', display: '肌酐', unit: 'umol/L', low: 44, high: 133, mean: 80, sd: 20, decimals: 0 },
  urea: { code: '14937-7', display: '尿素', unit: 'mmol/L', low: 2.8, high: 7.2, mean: 5.5, sd: 1.4, decimals: 1 },
  alt: { code: '1742-6', display: '丙氨酸氨基转移酶', unit: 'U/L', low: 9, high: 50, mean: 25, sd: 11, decimals: 0 },
  haemoglobin: { code: '718-7', display: '血红蛋白', unit: 'g/L', low: 115, high: 175, mean: 135, sd: 14, decimals: 0 },
};

export const VITALS = {
  bpPanel: { code: '85354-9', display: '血压' },
  systolic: { code: '8480-6', display: '收缩压' },
  diastolic: { code: '8462-4', display: '舒张压' },
  heartRate: { code: '8867-4', display: '心率' },
  weight: { code: '29463-7', display: '体重' },
  gestationalAge: { code: '11884-4', display: '孕周' },
} as const;

export interface Drug {
  code: string;
  display: string;
  dosage: string;
}

export const DRUGS: Record<string, Drug> = {
  amlodipine: { code: 'XC08CAA001', display: '苯磺酸氨氯地平片 5mg', dosage: '口服，每次5mg，每日1次' },
  nifedipine: { code: 'XC08CAN001', display: '硝苯地平缓释片 20mg', dosage: '口服，每次20mg，每日2次' },
  irbesartan: { code: 'XC09CAI001', display: '厄贝沙坦片 150mg', dosage: '口服，每次150mg，每日1次' },
  metformin: { code: 'XA10BAE001', display: '盐酸二甲双胍片 0.5g', dosage: '口服，每次0.5g，每日3次，餐中服' },
  glimepiride: { code: 'XA10BBG001', display: '格列美脲片 2mg', dosage: '口服，每次2mg，每日1次，早餐前' },
  atorvastatin: { code: 'XC10AAA001', display: '阿托伐他汀钙片 20mg', dosage: '口服，每次20mg，每晚1次' },
  tiotropium: { code: 'XR03BBT001', display: '噻托溴铵粉吸入剂 18μg', dosage: '吸入，每次18μg，每日1次' },
  // Short courses for acute visits (used by the past years of `--years`).
  amoxicillin: { code: 'XJ01CAA001', display: '阿莫西林胶囊 0.25g', dosage: '口服，每次0.5g，每日3次，连服5天' },
  coldTablets: { code: 'XN02BEF001', display: '复方氨酚烷胺片', dosage: '口服，每次1片，每日2次，连服3天' },
  omeprazole: { code: 'XA02BCA001', display: '奥美拉唑肠溶胶囊 20mg', dosage: '口服，每次20mg，每日1次，早餐前，连服14天' },
  ibuprofen: { code: 'XM01AEB001', display: '布洛芬缓释胶囊 0.3g', dosage: '口服，每次0.3g，每日2次，疼痛时服' },
};

/**
 * Medical-service charge items (医疗服务收费项目) of the county's institutions, for `ChargeItem.code`. Codes are the
 * platform's own (system `urn:yiwang:charge-item`), not those of the national 医疗服务价格项目规范; names follow it and
 * prices (CNY per unit) are illustrative of a Chongqing county (public institutions, 2024 levels), not an official
 * price list. Drugs are charged separately (MedicationRequest), not here.
 */
export const CHARGE_ITEM_SYSTEM = 'urn:yiwang:charge-item';

export interface ChargeCatalogueItem {
  code: string;
  display: string;
  /** Price per unit in CNY. */
  price: number;
}

export const CHARGE_ITEMS = {
  registration: { code: 'GH001', display: '挂号费（普通门诊）', price: 1 },
  generalVillage: { code: 'ZC001', display: '一般诊疗费（村卫生室）', price: 6 },
  consultationTown: { code: 'ZC002', display: '诊查费（乡镇卫生院普通门诊）', price: 10 },
  consultationCounty: { code: 'ZC003', display: '诊查费（县级医院普通门诊）', price: 15 },
  homeVisit: { code: 'ZC004', display: '出诊费', price: 10 },
  antenatal: { code: 'ZC005', display: '产前检查费', price: 15 },
  delivery: { code: 'ZY001', display: '住院分娩（单胎顺产，按病种付费）', price: 2800 },
  elderlyCheck: { code: 'TJ001', display: '老年人健康体检（血常规、血糖、血脂、肝肾功能、心电图）', price: 130 },
  venepuncture: { code: 'ZL001', display: '静脉采血', price: 3 },
  injection: { code: 'ZL002', display: '肌肉注射', price: 3 },
  infusion: { code: 'ZL003', display: '静脉输液（第一组）', price: 10 },
  bloodRoutine: { code: 'JY001', display: '血常规（血细胞分析）', price: 20 },
  glucose: { code: 'JY002', display: '血糖测定（空腹）', price: 5 },
  fingerGlucose: { code: 'JY003', display: '快速血糖测定（指尖血）', price: 5 },
  hba1c: { code: 'JY004', display: '糖化血红蛋白测定', price: 50 },
  liver: { code: 'JY005', display: '肝功能（丙氨酸氨基转移酶）', price: 5 },
  kidney: { code: 'JY006', display: '肾功能（肌酐）', price: 5 },
  lipids: { code: 'JY007', display: '血脂（总胆固醇、甘油三酯）', price: 10 },
  ecg: { code: 'JC001', display: '心电图（常规十二导联）', price: 20 },
  chestDr: { code: 'JC002', display: '胸部DR（正侧位）', price: 80 },
} as const satisfies Record<string, ChargeCatalogueItem>;

export type ChargeKey = keyof typeof CHARGE_ITEMS;

export interface Vaccine {
  code: string;
  display: string;
}

export const VACCINES: Record<string, Vaccine> = {
  HepB: { code: 'HepB', display: '乙肝疫苗' },
  BCG: { code: 'BCG', display: '卡介苗' },
  IPV: { code: 'IPV', display: '脊灰灭活疫苗' },
  bOPV: { code: 'bOPV', display: '二价脊灰减毒活疫苗' },
  DTaP: { code: 'DTaP', display: '百白破疫苗' },
  DT: { code: 'DT', display: '白破疫苗' },
  MenA: { code: 'MenA', display: 'A群流脑多糖疫苗' },
  MenAC: { code: 'MenAC', display: 'A群C群流脑多糖疫苗' },
  MMR: { code: 'MMR', display: '麻腮风疫苗' },
  JEL: { code: 'JE-L', display: '乙脑减毒活疫苗' },
  HepAL: { code: 'HepA-L', display: '甲肝减毒活疫苗' },
};

/** 国家免疫规划 2021: [age in months, vaccine key, dose number]. Versioned by its effective year. */
export const IMMUNISATION_SCHEDULE_2021: readonly [number, string, number][] = [
  [0, 'HepB', 1],
  [0, 'BCG', 1],
  [1, 'HepB', 2],
  [2, 'IPV', 1],
  [3, 'IPV', 2],
  [3, 'DTaP', 1],
  [4, 'bOPV', 1],
  [4, 'DTaP', 2],
  [5, 'DTaP', 3],
  [6, 'HepB', 3],
  [6, 'MenA', 1],
  [8, 'MMR', 1],
  [8, 'JEL', 1],
  [9, 'MenA', 2],
  [18, 'DTaP', 4],
  [18, 'MMR', 2],
  [18, 'HepAL', 1],
  [24, 'JEL', 2],
  [36, 'MenAC', 1],
  [48, 'bOPV', 2],
  [72, 'DT', 1],
  [72, 'MenAC', 2],
];

/**
 * County hospital departments: [name, centre role or null]. 心血管内科 is the chest-pain team (胸痛中心) that the ECG
 * centre's chest-pain record notifies (docs/ecg.md).
 */
export const COUNTY_DEPARTMENTS: readonly [string, string | null][] = [
  ['心血管内科', 'chest-pain'],
  ['内分泌科', null],
  ['呼吸与危重症医学科', null],
  ['全科医学科', 'consultation'],
  ['急诊科', 'emergency'],
  ['医学影像科', 'imaging'],
  ['心电图室', 'ecg'],
  ['检验科', 'lab'],
  ['病理科', 'pathology'],
  ['消毒供应中心', 'sterile-supply'],
  ['药剂科', 'pharmacy-review'],
];

export const CENTRE_ROLES: Record<string, string> = {
  imaging: '影像诊断中心',
  ecg: '心电诊断中心',
  lab: '临床检验中心',
  pathology: '病理诊断中心',
  consultation: '远程会诊中心',
  'sterile-supply': '消毒供应中心',
  emergency: '急救中心',
  'pharmacy-review': '处方审核中心',
  'chest-pain': '胸痛中心',
};

/**
 * Centre roles only a department holds, not the county hospital above it: the chest-pain record notifies the first
 * institution it finds with the role, so the demo has one (心血管内科) rather than two to choose from.
 */
export const DEPARTMENT_ONLY_CENTRE_ROLES: readonly string[] = ['chest-pain'];

/** Towns and sub-districts of 南川区 (NBS 2023 statistical codes). */
export const NANCHUAN_TOWNS: readonly [string, string][] = [
  ['500119001', '东城街道'],
  ['500119002', '南城街道'],
  ['500119003', '西城街道'],
  ['500119100', '三泉镇'],
  ['500119101', '南平镇'],
  ['500119102', '神童镇'],
  ['500119103', '鸣玉镇'],
  ['500119104', '大观镇'],
  ['500119105', '兴隆镇'],
  ['500119106', '太平场镇'],
  ['500119107', '白沙镇'],
  ['500119108', '水江镇'],
  ['500119109', '石墙镇'],
  ['500119110', '金山镇'],
  ['500119111', '头渡镇'],
  ['500119112', '大有镇'],
  ['500119113', '合溪镇'],
  ['500119114', '黎香湖镇'],
  ['500119115', '山王坪镇'],
  ['500119116', '木凉镇'],
  ['500119117', '楠竹山镇'],
  ['500119118', '石溪镇'],
  ['500119119', '德隆镇'],
  ['500119120', '民主镇'],
  ['500119121', '福寿镇'],
  ['500119122', '河图镇'],
  ['500119123', '庆元镇'],
  ['500119124', '古花镇'],
  ['500119125', '石莲镇'],
  ['500119126', '乾丰镇'],
  ['500119127', '骑龙镇'],
  ['500119128', '冷水关镇'],
  ['500119207', '中桥乡'],
  ['500119212', '峰岩乡'],
];

/** County codes of residents whose ID numbers were issued elsewhere. */
export const OTHER_COUNTIES: readonly [string, string][] = [
  ['500110', '綦江区'],
  ['500106', '沙坪坝区'],
  ['500112', '渝北区'],
  ['500102', '涪陵区'],
  ['520302', '红花岗区'],
  ['520304', '播州区'],
];
