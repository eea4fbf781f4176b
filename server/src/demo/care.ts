/**
 * The care a resident has had in the past year: chronic disease (hypertension, diabetes, COPD … at the prevalence of
 * rural Chongqing) with quarterly follow-ups and prescriptions, the yearly check of the elderly, acute visits at
 * village, township and county level with labs and reports, childhood immunisations (2021 schedule), pregnancies,
 * insurance coverage and the poverty-household flag; with `pastYears`, the years before it (`--years`). Resources go to
 * `out` in generation order.
 */
import type { CodeableConcept, Observation, Reference, Resource } from '@medplum/fhirtypes';
import { Weighted } from '../platform/identity/testpop/rng.js';
import {
  ACUTE_COMPLAINTS,
  DRUGS,
  DRUG_SYSTEM,
  ICD10,
  ICD10_SYSTEM,
  IMMUNISATION_SCHEDULE_2021,
  LAB,
  LOINC,
  UCUM,
  VACCINES,
  VACCINE_SYSTEM,
  VITALS,
  YIWANG_TAG_SYSTEM,
  type IcdKey,
  type LabItem,
} from './catalogues.js';
import { DAY, pad2, type CountyContext } from './context.js';
import type { Registries } from './registries.js';
import type { Household, Person, VillageInfo } from './types.js';

/** A chronic condition on the problem list: [key, Condition id, onset date]. */
export type ChronicCondition = [IcdKey, string, string];

/** What the past year of a resident's care decided, for the years before it. */
export interface CareProfile {
  townDoctor: string;
  chronic: ChronicCondition[];
}

/** The short course prescribed for an acute complaint (the past years of `--years`). */
const ACUTE_DRUGS: Partial<Record<IcdKey, keyof typeof DRUGS>> = {
  uri: 'coldTablets',
  bronchitis: 'amoxicillin',
  gastritis: 'omeprazole',
  lowBackPain: 'ibuprofen',
  kneeArthrosis: 'ibuprofen',
};

export class Care {
  /** Generated resources, drained by the caller between households (a household's resources may refer back). */
  out: Resource[] = [];
  private readonly complaints = new Weighted(
    ACUTE_COMPLAINTS.map((c) => c[0]),
    ACUTE_COMPLAINTS.map((c) => c[1]),
  );

  constructor(
    private readonly ctx: CountyContext,
    private readonly reg: Registries,
  ) {}

  private encounter(p: Person, orgId: string, practitionerId: string, daysAgo: number, reason: string, cls = 'AMB'): [string, string] {
    const id = this.ctx.uuid();
    const start = this.ctx.dateTime(daysAgo);
    const end = start.replace(/T(\d\d):/, (_, hh: string) => `T${pad2(Math.min(23, Number(hh) + 1))}:`);
    this.out.push({
      resourceType: 'Encounter',
      id,
      status: 'finished',
      class: {
        system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
        code: cls,
        display: cls === 'AMB' ? 'ambulatory' : cls === 'IMP' ? 'inpatient encounter' : 'home health',
      },
      type: [{ text: reason }],
      subject: this.ctx.ref('Patient', p.id),
      participant: [{ individual: this.ctx.ref('Practitioner', practitionerId) }],
      period: { start, end },
      serviceProvider: this.ctx.ref('Organization', orgId),
    });
    return [id, start];
  }

  private condition(
    p: Person,
    key: IcdKey,
    onset: string,
    category: 'problem-list-item' | 'encounter-diagnosis',
    encounterId?: string,
  ): string {
    const id = this.ctx.uuid();
    const c = ICD10[key];
    const chronic = category === 'problem-list-item';
    this.out.push({
      resourceType: 'Condition',
      id,
      clinicalStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: chronic ? 'active' : 'resolved' }],
      },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: category }] }],
      code: { coding: [{ system: ICD10_SYSTEM, code: c.code, display: c.display }], text: c.display },
      subject: this.ctx.ref('Patient', p.id),
      ...(encounterId ? { encounter: this.ctx.ref('Encounter', encounterId) } : {}),
      onsetDateTime: onset,
      recordedDate: onset,
    });
    return id;
  }

  private interpretation(value: number, low: number, high: number): CodeableConcept | undefined {
    const code = value > high ? 'H' : value < low ? 'L' : undefined;
    if (!code) return undefined;
    return {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
          code,
          display: code === 'H' ? 'High' : 'Low',
        },
      ],
    };
  }

  private bloodPressure(p: Person, encounterId: string, when: string, hypertensive: boolean): void {
    const controlled = this.ctx.rng.chance(0.6);
    const sys = Math.round(
      hypertensive ? (controlled ? this.ctx.normal(132, 7) : this.ctx.normal(152, 12)) : this.ctx.normal(112 + p.age * 0.35, 9),
    );
    const dia = Math.round(Math.max(50, sys * 0.6 + this.ctx.normal(4, 5)));
    const component = (code: { code: string; display: string }, v: number, high: number) => {
      const interp = this.interpretation(v, 0, high - 1);
      return {
        code: { coding: [{ system: LOINC, code: code.code, display: code.display }] },
        valueQuantity: { value: v, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' },
        ...(interp ? { interpretation: [interp] } : {}),
      };
    };
    const obs: Observation = {
      resourceType: 'Observation',
      id: this.ctx.uuid(),
      status: 'final',
      category: [this.category('vital-signs')],
      code: { coding: [{ system: LOINC, code: VITALS.bpPanel.code, display: VITALS.bpPanel.display }], text: '血压' },
      subject: this.ctx.ref('Patient', p.id),
      encounter: this.ctx.ref('Encounter', encounterId),
      effectiveDateTime: when,
      component: [component(VITALS.systolic, sys, 140), component(VITALS.diastolic, dia, 90)],
    };
    this.out.push(obs);
  }

  private category(code: 'vital-signs' | 'laboratory'): CodeableConcept {
    return { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code }] };
  }

  private lab(p: Person, item: LabItem, encounterId: string, when: string, mean = item.mean, performer?: string): string {
    const factor = 10 ** item.decimals;
    const value = Math.round(Math.max(item.low / 2 + 0.1, this.ctx.normal(mean, item.sd)) * factor) / factor;
    const interp = this.interpretation(value, item.low, item.high);
    const id = this.ctx.uuid();
    this.out.push({
      resourceType: 'Observation',
      id,
      status: 'final',
      category: [this.category('laboratory')],
      code: { coding: [{ system: LOINC, code: item.code, display: item.display }], text: item.display },
      subject: this.ctx.ref('Patient', p.id),
      encounter: this.ctx.ref('Encounter', encounterId),
      effectiveDateTime: when,
      ...(performer ? { performer: [this.ctx.ref('Organization', performer)] } : {}),
      valueQuantity: { value, unit: item.unit, system: UCUM, code: item.unit === 'umol/L' ? 'umol/L' : item.unit },
      ...(interp ? { interpretation: [interp] } : {}),
      referenceRange: [
        {
          low: { value: item.low, unit: item.unit, system: UCUM, code: item.unit },
          high: { value: item.high, unit: item.unit, system: UCUM, code: item.unit },
        },
      ],
    });
    return id;
  }

  /** A prescription; `past` ones (the years before the last) are completed and belong to a visit. */
  private medication(
    p: Person,
    drug: keyof typeof DRUGS,
    requesterId: string,
    authoredOn: string,
    reasonId: string,
    past?: { encounterId: string; days: number },
  ): void {
    const d = DRUGS[drug]!;
    this.out.push({
      resourceType: 'MedicationRequest',
      id: this.ctx.uuid(),
      status: past ? 'completed' : 'active',
      intent: 'order',
      medicationCodeableConcept: { coding: [{ system: DRUG_SYSTEM, code: d.code, display: d.display }], text: d.display },
      subject: this.ctx.ref('Patient', p.id),
      ...(past ? { encounter: this.ctx.ref('Encounter', past.encounterId) } : {}),
      authoredOn,
      requester: this.ctx.ref('Practitioner', requesterId),
      reasonReference: [this.ctx.ref('Condition', reasonId)],
      dosageInstruction: [{ text: d.dosage }],
      dispenseRequest: { expectedSupplyDuration: { value: past?.days ?? 28, unit: '天', system: UCUM, code: 'd' } },
    });
  }

  private report(p: Person, encounterId: string, when: string, kind: 'ecg' | 'imaging', performerOrg: string, performer: string): void {
    const ecg = kind === 'ecg';
    const conclusions = ecg
      ? ['窦性心律，正常心电图', '窦性心律，ST-T改变', '窦性心动过缓', '窦性心律，左心室高电压', '心房颤动']
      : ['双肺纹理增多，心影不大', '双肺未见明显异常', '主动脉迂曲、钙化', '右下肺少许炎症，建议治疗后复查'];
    this.out.push({
      resourceType: 'DiagnosticReport',
      id: this.ctx.uuid(),
      status: 'final',
      category: [
        {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/v2-0074',
              code: ecg ? 'EC' : 'RAD',
              display: ecg ? 'Electrocardiac' : 'Radiology',
            },
          ],
        },
      ],
      code: ecg
        ? { coding: [{ system: LOINC, code: '11524-6', display: 'EKG study' }], text: '十二导联心电图' }
        : { coding: [{ system: LOINC, code: '36643-5', display: 'XR Chest 2 Views' }], text: '胸部X线正侧位片' },
      subject: this.ctx.ref('Patient', p.id),
      encounter: this.ctx.ref('Encounter', encounterId),
      effectiveDateTime: when,
      issued: when.replace(/\+08:00$/, '.000+08:00'),
      performer: [this.ctx.ref('Organization', performerOrg), this.ctx.ref('Practitioner', performer)],
      conclusion: this.ctx.rng.chance(0.6) ? conclusions[0]! : this.ctx.rng.pick(conclusions),
    });
  }

  /** The past year of care; returns what later parts (the years before it) build on. */
  careFor(p: Person, h: Household): CareProfile {
    const v = h.village;
    const townDoctor = this.ctx.rng.pick(v.townDoctorIds);
    const adult = p.age >= 35;
    const a = p.age;
    const htnP = !adult ? 0 : a < 45 ? 0.09 : a < 55 ? 0.19 : a < 65 ? 0.28 : a < 75 ? 0.35 : 0.38;
    const dmP = !adult ? 0 : a < 45 ? 0.045 : a < 55 ? 0.09 : a < 65 ? 0.125 : 0.145;
    const hypertension = this.ctx.rng.chance(htnP);
    const diabetes = this.ctx.rng.chance(dmP);
    const copd = a >= 55 && this.ctx.rng.chance(a >= 70 ? 0.1 : 0.05);
    const lipids = adult && this.ctx.rng.chance(0.08);
    const coronary = a >= 55 && this.ctx.rng.chance(0.04);

    const chronic: ChronicCondition[] = [];
    const onset = () => this.ctx.date(this.ctx.todayMs - this.ctx.rng.between(200, 365 * Math.max(1, Math.min(15, a - 34))) * DAY);
    const problem = (key: IcdKey) => {
      const since = onset();
      chronic.push([key, this.condition(p, key, since, 'problem-list-item'), since]);
    };
    if (hypertension) problem('hypertension');
    if (diabetes) problem('diabetes');
    if (copd) problem('copd');
    if (lipids) problem('hyperlipidaemia');
    if (coronary) problem('coronary');

    // Quarterly follow-ups by the village doctor (some at home), one each season of the past year.
    if (hypertension || diabetes) {
      for (let q = 0; q < 4; q++) {
        const daysAgo = q * 91 + this.ctx.rng.between(3, 80);
        const [enc, when] = this.encounter(
          p,
          v.clinicId,
          v.doctorId,
          daysAgo,
          hypertension ? '高血压患者随访' : '糖尿病患者随访',
          this.ctx.rng.chance(0.2) ? 'HH' : 'AMB',
        );
        this.bloodPressure(p, enc, when, hypertension);
        if (diabetes) this.lab(p, LAB['glucose']!, enc, when, this.ctx.rng.chance(0.55) ? 6.4 : 8.6);
        if (diabetes && q === 0) this.lab(p, LAB['hba1c']!, enc, when, this.ctx.rng.chance(0.5) ? 6.6 : 7.8);
      }
    }
    for (const [key, condId] of chronic) {
      const authored = this.ctx.date(this.ctx.todayMs - this.ctx.rng.between(5, 80) * DAY);
      if (key === 'hypertension')
        this.medication(p, this.ctx.rng.pick(['amlodipine', 'nifedipine', 'irbesartan']), v.doctorId, authored, condId);
      if (key === 'diabetes') {
        this.medication(p, 'metformin', v.doctorId, authored, condId);
        if (this.ctx.rng.chance(0.3)) this.medication(p, 'glimepiride', townDoctor, authored, condId);
      }
      if (key === 'hyperlipidaemia' || key === 'coronary') this.medication(p, 'atorvastatin', townDoctor, authored, condId);
      if (key === 'copd') this.medication(p, 'tiotropium', townDoctor, authored, condId);
    }

    // Yearly health check of the elderly at the township centre: labs, some with ECG at the county ECG centre.
    if (a >= 65 && this.ctx.rng.chance(0.7)) {
      const [enc, when] = this.encounter(p, v.townCentreId, townDoctor, this.ctx.rng.between(10, 300), '老年人健康体检');
      this.bloodPressure(p, enc, when, hypertension);
      for (const key of ['glucose', 'cholesterol', 'triglycerides', 'creatinine', 'alt', 'haemoglobin'] as const) {
        const item = LAB[key]!;
        const mean = key === 'glucose' && diabetes ? 7.8 : key === 'haemoglobin' && p.sex === 'female' ? 125 : item.mean;
        this.lab(p, item, enc, when, mean);
      }
      if (this.ctx.rng.chance(0.5)) {
        const ecg = this.reg.departments.get('心电图室')!;
        this.report(p, enc, when, 'ecg', ecg.orgId, ecg.practitionerId);
      }
    }

    // Acute visits: mostly village and township, some at the county hospitals.
    const visits = this.ctx.rng.chance(0.3) ? 1 + (this.ctx.rng.chance(0.25) ? 1 : 0) : 0;
    for (let i = 0; i < visits; i++) {
      const key = this.complaints.sample(this.ctx.rng);
      const r = this.ctx.rng.next();
      const daysAgo = this.ctx.rng.between(1, 360);
      if (r < 0.6) {
        const [enc, when] = this.encounter(p, v.clinicId, v.doctorId, daysAgo, ICD10[key].display);
        this.condition(p, key, when, 'encounter-diagnosis', enc);
      } else if (r < 0.88) {
        const [enc, when] = this.encounter(p, v.townCentreId, townDoctor, daysAgo, ICD10[key].display);
        this.condition(p, key, when, 'encounter-diagnosis', enc);
        if (this.ctx.rng.chance(0.4)) this.lab(p, LAB['haemoglobin']!, enc, when, p.sex === 'female' ? 128 : 142);
      } else {
        const dept = this.reg.departments.get(key === 'uri' || key === 'bronchitis' ? '呼吸与危重症医学科' : '全科医学科')!;
        const hospital = this.ctx.rng.chance(0.75) ? this.reg.countyHospitalId : this.reg.tcmHospitalId;
        const [enc, when] = this.encounter(p, hospital, dept.practitionerId, daysAgo, ICD10[key].display);
        this.condition(p, key, when, 'encounter-diagnosis', enc);
        const labDept = this.reg.departments.get('检验科')!;
        this.lab(p, LAB['haemoglobin']!, enc, when, p.sex === 'female' ? 128 : 142, labDept.orgId);
        if (key === 'uri' || key === 'bronchitis') {
          const img = this.reg.departments.get('医学影像科')!;
          this.report(p, enc, when, 'imaging', img.orgId, img.practitionerId);
        }
      }
    }

    // Childhood immunisations (2021 schedule) for children under 7, given at the township centre.
    if (a < 7) this.immunisations(p, v);

    // Pregnancy: women 20–40, managed by the township centre (booklet, first check, BP and gestational age).
    if (p.sex === 'female' && a >= 20 && a <= 40 && this.ctx.rng.chance(0.05)) this.pregnancy(p, v, townDoctor);
    return { townDoctor, chronic };
  }

  /**
   * The `years - 1` years before the past one (`careFor`), for `--years`: yearly insurance, the quarterly follow-ups of
   * hypertension and diabetes (national basic public health service) at the village clinic, some at home, sometimes
   * with a long prescription (12 weeks), and once a year HbA1c at the township centre's lab; other chronic
   * conditions' yearly prescriptions; the yearly health check of those 65 or older then; acute visits with short
   * courses; a yearly county specialist visit for some with heart disease or hypertension; and the immunisations of
   * the schedule that fell in those years. Nothing happens before birth or before a condition's onset.
   */
  pastYears(p: Person, h: Household, profile: CareProfile, years: number): void {
    const v = h.village;
    const { townDoctor, chronic } = profile;
    const birthMs = Date.parse(p.birth + 'T00:00:00Z');
    const onsetOf = (key: IcdKey) => chronic.find((c) => c[0] === key)?.[2];
    const htnOnset = onsetOf('hypertension');
    const dmOnset = onsetOf('diabetes');
    const followUpOnset = [htnOnset, dmOnset].filter((d): d is string => !!d).sort()[0];
    const dayOf = (daysAgo: number) => this.ctx.date(this.ctx.todayMs - daysAgo * DAY);
    const htnDrug = this.ctx.rng.pick(['amlodipine', 'nifedipine', 'irbesartan'] as const);
    let delivered = false;
    for (let y = 1; y < years; y++) {
      const base = y * 365;
      const ageThen = p.age - y;
      if (Date.parse(`${Number(this.ctx.today.slice(0, 4)) - y}-12-31T00:00:00Z`) < birthMs) break;
      this.coverage(p, h, y);
      // Quarterly follow-ups from the onset on.
      if (followUpOnset) {
        for (let q = 0; q < 4; q++) {
          const daysAgo = base + q * 91 + this.ctx.rng.between(3, 80);
          if (dayOf(daysAgo) < followUpOnset) continue;
          const hypertension = !!htnOnset && dayOf(daysAgo) >= htnOnset;
          const diabetic = !!dmOnset && dayOf(daysAgo) >= dmOnset;
          const atTown = diabetic && q === 2 && this.ctx.rng.chance(0.5);
          const reason = hypertension && (!diabetic || this.ctx.rng.chance(0.5)) ? '高血压患者随访' : '糖尿病患者随访';
          const cls = !atTown && this.ctx.rng.chance(0.2) ? 'HH' : 'AMB';
          const [enc, when] = atTown
            ? this.encounter(p, v.townCentreId, townDoctor, daysAgo, reason)
            : this.encounter(p, v.clinicId, v.doctorId, daysAgo, reason, cls);
          this.bloodPressure(p, enc, when, hypertension);
          const performer = atTown ? v.townCentreId : undefined;
          if (diabetic) this.lab(p, LAB['glucose']!, enc, when, this.ctx.rng.chance(0.55) ? 6.4 : 8.6, performer);
          if (atTown) this.lab(p, LAB['hba1c']!, enc, when, this.ctx.rng.chance(0.5) ? 6.6 : 7.8, performer);
          const authored = when.slice(0, 10);
          const past = { encounterId: enc, days: 84 };
          // A third refill their 12-week prescription at the clinic (the others at the county hospital or a pharmacy).
          for (const [key, condId, since] of chronic) {
            if (since > authored || !this.ctx.rng.chance(0.3)) continue;
            const prescriber = atTown ? townDoctor : v.doctorId;
            if (key === 'hypertension') this.medication(p, htnDrug, prescriber, authored, condId, past);
            if (key === 'diabetes') this.medication(p, 'metformin', prescriber, authored, condId, past);
          }
        }
      }
      // The other chronic conditions: a prescription a year from the township centre.
      for (const [key, condId, since] of chronic) {
        if (key === 'hypertension' || key === 'diabetes') continue;
        const daysAgo = base + this.ctx.rng.between(5, 360);
        const authored = dayOf(daysAgo);
        if (authored < since) continue;
        const [enc] = this.encounter(p, v.townCentreId, townDoctor, daysAgo, `${ICD10[key].display}复诊`);
        const drug = key === 'copd' ? 'tiotropium' : 'atorvastatin';
        this.medication(p, drug, townDoctor, authored, condId, { encounterId: enc, days: 84 });
      }
      // Yearly health check of the elderly at the township centre.
      if (ageThen >= 65 && this.ctx.rng.chance(0.7)) {
        const [enc, when] = this.encounter(p, v.townCentreId, townDoctor, base + this.ctx.rng.between(10, 300), '老年人健康体检');
        this.bloodPressure(p, enc, when, !!htnOnset && when.slice(0, 10) >= htnOnset);
        const diabetic = !!dmOnset && when.slice(0, 10) >= dmOnset;
        for (const key of ['glucose', 'cholesterol', 'triglycerides', 'creatinine', 'alt', 'haemoglobin'] as const) {
          const item = LAB[key]!;
          const mean = key === 'glucose' && diabetic ? 7.8 : key === 'haemoglobin' && p.sex === 'female' ? 125 : item.mean;
          this.lab(p, item, enc, when, mean, v.townCentreId);
        }
        if (this.ctx.rng.chance(0.5)) {
          const ecg = this.reg.departments.get('心电图室')!;
          this.report(p, enc, when, 'ecg', ecg.orgId, ecg.practitionerId);
        }
      }
      // A county specialist visit for some with hypertension or heart disease: ECG and kidney function.
      const cardiac = chronic.find((c) => (c[0] === 'hypertension' || c[0] === 'coronary') && c[2] <= dayOf(base));
      if (cardiac && this.ctx.rng.chance(0.15)) {
        const dept = this.reg.departments.get('心血管内科')!;
        const [enc, when] = this.encounter(
          p,
          this.reg.countyHospitalId,
          dept.practitionerId,
          base + this.ctx.rng.between(5, 360),
          `${ICD10[cardiac[0]].display}复诊`,
        );
        const labDept = this.reg.departments.get('检验科')!;
        this.lab(p, LAB['creatinine']!, enc, when, undefined, labDept.orgId);
        const ecg = this.reg.departments.get('心电图室')!;
        this.report(p, enc, when, 'ecg', ecg.orgId, ecg.practitionerId);
      }
      // A pregnancy that ended that year (at most one in these years): antenatal care, delivery, a postpartum visit.
      if (!delivered && p.sex === 'female' && ageThen >= 20 && ageThen <= 40 && this.ctx.rng.chance(0.05)) {
        delivered = true;
        this.pastPregnancy(p, v, townDoctor, base + this.ctx.rng.between(0, 364), years * 365);
      }
      // Acute visits, as in the past year, with a short course of medicine.
      const visits = this.ctx.rng.chance(0.3) ? 1 + (this.ctx.rng.chance(0.25) ? 1 : 0) : 0;
      for (let i = 0; i < visits; i++) {
        const key = this.complaints.sample(this.ctx.rng);
        const r = this.ctx.rng.next();
        const daysAgo = base + this.ctx.rng.between(1, 364);
        if (this.ctx.todayMs - daysAgo * DAY < birthMs) continue;
        let enc: string, when: string, prescriber: string;
        if (r < 0.6) {
          [enc, when] = this.encounter(p, v.clinicId, v.doctorId, daysAgo, ICD10[key].display);
          prescriber = v.doctorId;
        } else if (r < 0.88) {
          [enc, when] = this.encounter(p, v.townCentreId, townDoctor, daysAgo, ICD10[key].display);
          prescriber = townDoctor;
          if (this.ctx.rng.chance(0.4)) this.lab(p, LAB['haemoglobin']!, enc, when, p.sex === 'female' ? 128 : 142, v.townCentreId);
        } else {
          const dept = this.reg.departments.get(key === 'uri' || key === 'bronchitis' ? '呼吸与危重症医学科' : '全科医学科')!;
          const hospital = this.ctx.rng.chance(0.75) ? this.reg.countyHospitalId : this.reg.tcmHospitalId;
          [enc, when] = this.encounter(p, hospital, dept.practitionerId, daysAgo, ICD10[key].display);
          prescriber = dept.practitionerId;
          const labDept = this.reg.departments.get('检验科')!;
          this.lab(p, LAB['haemoglobin']!, enc, when, p.sex === 'female' ? 128 : 142, labDept.orgId);
          if (key === 'uri' || key === 'bronchitis') {
            const img = this.reg.departments.get('医学影像科')!;
            this.report(p, enc, when, 'imaging', img.orgId, img.practitionerId);
          }
        }
        const condId = this.condition(p, key, when, 'encounter-diagnosis', enc);
        const drug = ACUTE_DRUGS[key];
        if (drug && this.ctx.rng.chance(0.7))
          this.medication(p, drug, prescriber, when.slice(0, 10), condId, { encounterId: enc, days: 7 });
      }
    }
    // Doses of the schedule that fell in those years (those of children under 7 come with the past year).
    if (p.age >= 7) this.immunisations(p, v, this.ctx.todayMs - years * 365 * DAY);
  }

  /**
   * A pregnancy managed by the township centre that ended in a delivery at the county hospital `deliveryDaysAgo`
   * days before today: the five antenatal checks (those `horizon` days ago or later), the delivery and the postpartum
   * home visit (产后访视).
   */
  private pastPregnancy(p: Person, v: VillageInfo, townDoctor: string, deliveryDaysAgo: number, horizon: number): void {
    const weeks = this.ctx.rng.between(37, 41);
    const startDaysAgo = deliveryDaysAgo + weeks * 7;
    const { episodeId, conditionId } = this.pregnancyRecords(p, v, townDoctor, this.ctx.todayMs - startDaysAgo * DAY, {
      episodeEndMs: this.ctx.todayMs - Math.max(0, deliveryDaysAgo - 42) * DAY,
      deliveryMs: this.ctx.todayMs - deliveryDaysAgo * DAY,
    });
    const visit = (daysAgo: number, reason: string, orgId: string, practitionerId: string, cls?: string) => {
      const [enc, when] = this.encounter(p, orgId, practitionerId, daysAgo, reason, cls);
      const encounter = this.out[this.out.length - 1] as { episodeOfCare?: Reference[] };
      encounter.episodeOfCare = [this.ctx.ref('EpisodeOfCare', episodeId)];
      return [enc, when] as const;
    };
    for (const atWeek of [11, 18, 23, 32, 38]) {
      if (atWeek >= weeks) break;
      if (startDaysAgo - atWeek * 7 >= horizon) continue;
      const [enc, when] = visit(startDaysAgo - atWeek * 7, atWeek === 11 ? '孕早期检查（建册）' : '产前检查', v.townCentreId, townDoctor);
      this.bloodPressure(p, enc, when, false);
      this.out.push({
        resourceType: 'Observation',
        id: this.ctx.uuid(),
        status: 'final',
        code: { coding: [{ system: LOINC, code: VITALS.gestationalAge.code, display: VITALS.gestationalAge.display }] },
        subject: this.ctx.ref('Patient', p.id),
        encounter: this.ctx.ref('Encounter', enc),
        focus: [this.ctx.ref('Condition', conditionId)],
        effectiveDateTime: when,
        valueQuantity: { value: atWeek, unit: '周', system: UCUM, code: 'wk' },
      });
    }
    // The registries have no obstetrics department (adding one would change every county): 急诊科 admits.
    const [delivery, deliveredAt] = visit(
      deliveryDaysAgo,
      '住院分娩',
      this.reg.countyHospitalId,
      this.reg.departments.get('急诊科')!.practitionerId,
      'IMP',
    );
    this.condition(p, 'delivery', deliveredAt, 'encounter-diagnosis', delivery);
    if (deliveryDaysAgo > 7) visit(deliveryDaysAgo - this.ctx.rng.between(3, 7), '产后访视', v.townCentreId, townDoctor, 'HH');
  }

  /** The doses of the schedule due by today (and, with `sinceMs`, not before it). */
  private immunisations(p: Person, v: VillageInfo, sinceMs?: number): void {
    const birthMs = Date.parse(p.birth + 'T00:00:00Z');
    for (const [months, key, dose] of IMMUNISATION_SCHEDULE_2021) {
      const due = birthMs + Math.round(months * 30.44) * DAY + (months === 0 ? 0 : this.ctx.rng.between(0, 14) * DAY);
      if (due > this.ctx.todayMs || (sinceMs !== undefined && due < sinceMs)) continue;
      if (this.ctx.rng.chance(0.02)) continue; // a missed dose
      const vac = VACCINES[key]!;
      this.out.push({
        resourceType: 'Immunization',
        id: this.ctx.uuid(),
        status: 'completed',
        vaccineCode: { coding: [{ system: VACCINE_SYSTEM, code: vac.code, display: vac.display }], text: vac.display },
        patient: this.ctx.ref('Patient', p.id),
        occurrenceDateTime: `${this.ctx.date(due)}T${pad2(this.ctx.rng.between(8, 16))}:00:00+08:00`,
        primarySource: true,
        performer: [{ actor: this.ctx.ref('Organization', months === 0 ? this.reg.countyHospitalId : v.townCentreId) }],
        protocolApplied: [{ series: '国家免疫规划2021', doseNumberPositiveInt: dose }],
      });
    }
  }

  /**
   * The township centre's pregnancy episode (孕产妇健康管理) and the pregnancy on the problem list; `ended` closes both
   * (the episode 42 days after delivery, the condition at delivery).
   */
  private pregnancyRecords(
    p: Person,
    v: VillageInfo,
    townDoctor: string,
    startMs: number,
    ended?: { episodeEndMs: number; deliveryMs: number },
  ): { episodeId: string; conditionId: string } {
    const episodeId = this.ctx.uuid();
    this.out.push({
      resourceType: 'EpisodeOfCare',
      id: episodeId,
      status: ended ? 'finished' : 'active',
      type: [{ coding: [{ system: 'urn:yiwang:episode-type', code: 'pregnancy', display: '孕产妇健康管理' }] }],
      patient: this.ctx.ref('Patient', p.id),
      managingOrganization: this.ctx.ref('Organization', v.townCentreId),
      period: { start: this.ctx.date(startMs), ...(ended ? { end: this.ctx.date(ended.episodeEndMs) } : {}) },
      careManager: this.ctx.ref('Practitioner', townDoctor),
    });
    const conditionId = this.ctx.uuid();
    this.out.push({
      resourceType: 'Condition',
      id: conditionId,
      clinicalStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: ended ? 'resolved' : 'active' }],
      },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' }] }],
      code: { coding: [{ system: ICD10_SYSTEM, code: ICD10.pregnancy.code, display: ICD10.pregnancy.display }] },
      subject: this.ctx.ref('Patient', p.id),
      onsetDateTime: this.ctx.date(startMs),
      ...(ended ? { abatementDateTime: this.ctx.date(ended.deliveryMs) } : {}),
    });
    return { episodeId, conditionId };
  }

  private pregnancy(p: Person, v: VillageInfo, townDoctor: string): void {
    const weeks = this.ctx.rng.between(8, 38);
    const startMs = this.ctx.todayMs - weeks * 7 * DAY;
    const { episodeId, conditionId } = this.pregnancyRecords(p, v, townDoctor, startMs);
    // Checks done so far: first before 13 weeks, then at 16–20, 21–24, 28–36, 37–40.
    for (const atWeek of [11, 18, 23, 32, 38]) {
      if (atWeek > weeks) break;
      const daysAgo = (weeks - atWeek) * 7;
      const [enc, when] = this.encounter(p, v.townCentreId, townDoctor, daysAgo, atWeek === 11 ? '孕早期检查（建册）' : '产前检查');
      const encounter = this.out[this.out.length - 1] as { episodeOfCare?: Reference[] };
      encounter.episodeOfCare = [this.ctx.ref('EpisodeOfCare', episodeId)];
      this.bloodPressure(p, enc, when, false);
      this.out.push({
        resourceType: 'Observation',
        id: this.ctx.uuid(),
        status: 'final',
        code: { coding: [{ system: LOINC, code: VITALS.gestationalAge.code, display: VITALS.gestationalAge.display }] },
        subject: this.ctx.ref('Patient', p.id),
        encounter: this.ctx.ref('Encounter', enc),
        focus: [this.ctx.ref('Condition', conditionId)],
        effectiveDateTime: when,
        valueQuantity: { value: atWeek, unit: '周', system: UCUM, code: 'wk' },
      });
    }
  }

  /** Insurance for the calendar year `yearsAgo` before today's (0: this year). */
  coverage(p: Person, h: Household, yearsAgo = 0): void {
    const year = Number(this.ctx.today.slice(0, 4)) - yearsAgo;
    this.out.push({
      resourceType: 'Coverage',
      id: this.ctx.uuid(),
      status: 'active',
      type: { coding: [{ system: 'urn:yiwang:insurance-type', code: 'urban-rural-resident', display: '城乡居民基本医疗保险' }] },
      subscriberId: p.idNumber,
      beneficiary: this.ctx.ref('Patient', p.id),
      relationship: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship', code: 'self' }] },
      period: { start: `${year}-01-01`, end: `${year}-12-31` },
      payor: [{ reference: `Organization/${this.reg.insuranceId}`, display: '南川区医疗保障局' }],
      ...(h.poverty ? { class: [{ type: { text: '参保类别' }, value: 'poverty', name: '脱贫人口（资助参保）' }] } : {}),
    });
  }

  povertyFlag(p: Person): void {
    this.out.push({
      resourceType: 'Flag',
      id: this.ctx.uuid(),
      status: 'active',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/flag-category', code: 'admin', display: 'Administrative' }] }],
      code: { coding: [{ system: YIWANG_TAG_SYSTEM, code: 'poverty-household', display: '脱贫户/监测户' }], text: '脱贫户' },
      subject: this.ctx.ref('Patient', p.id),
      period: { start: `${Number(this.ctx.today.slice(0, 4)) - this.ctx.rng.between(1, 6)}-01-01` },
      author: this.ctx.ref('Organization', this.reg.povertyOfficeId),
    });
  }
}
