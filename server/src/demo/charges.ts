/**
 * Charge items (收费项目) for the billable parts of every encounter, derived from the encounter and its labs and
 * reports after a resident's care is generated: the visit fee of the level (village 一般诊疗费; township and county
 * 挂号费 + 诊查费; 出诊费 for a home visit; 产前检查费; the delivery package), each lab item (with 静脉采血 once when blood is drawn), ECG and
 * chest DR, and an infusion for acute bronchitis below county level; the elderly health check is one package item. Services of the national basic public health
 * programme (chronic follow-ups, the elderly health check, antenatal and postpartum care) are free to the resident: their items are
 * recorded at price 0 with the reason, except HbA1c, which the programme does not cover.
 *
 * Draws nothing from the seeded streams (ids are digests of the seed and the encounter), so adding charge items
 * leaves every other resource of the county unchanged.
 */
import type { ChargeItem, Condition, DiagnosticReport, Encounter, Observation, Resource } from '@medplum/fhirtypes';
import { CHARGE_ITEMS, CHARGE_ITEM_SYSTEM, ICD10, type ChargeKey } from './catalogues.js';
import type { CountyContext } from './context.js';
import type { Registries } from './registries.js';

/** Encounter reasons (`Encounter.type.text`) of the national basic public health service programme. */
export const PUBLIC_HEALTH_VISITS = new Set([
  '高血压患者随访',
  '糖尿病患者随访',
  '老年人健康体检',
  '孕早期检查（建册）',
  '产前检查',
  '产后访视',
]);
const FREE_REASON = '国家基本公共卫生服务项目，居民免费';

/** Lab item (LOINC) → charge item; lipids and kidney function are one charge whatever the number of results. */
const LAB_CHARGES: Record<string, ChargeKey> = {
  '14771-0': 'glucose',
  '4548-4': 'hba1c',
  '14647-2': 'lipids',
  '14927-8': 'lipids',
  '22748-8': 'lipids',
  '14682-9': 'kidney',
  '14937-7': 'kidney',
  '1742-6': 'liver',
  '718-7': 'bloodRoutine',
};

interface Visit {
  encounter: Encounter;
  labs: Observation[];
  reports: DiagnosticReport[];
  diagnoses: Condition[];
}

const idOf = (ref: string | undefined) => ref?.slice(ref.indexOf('/') + 1);

export class Charges {
  private readonly villageClinics: Set<string>;
  private readonly townCentres: Set<string>;

  constructor(
    private readonly ctx: CountyContext,
    reg: Registries,
  ) {
    this.villageClinics = new Set(reg.villages.map((v) => v.clinicId));
    this.townCentres = new Set(reg.townCentres.map((t) => t.id));
  }

  /** Appends to `out` the charge items of the encounters in `out[start..]` (one resident's care). */
  addFor(out: Resource[], start: number): void {
    const visits = new Map<string, Visit>();
    const end = out.length;
    for (let i = start; i < end; i++) {
      const r = out[i]!;
      if (r.resourceType === 'Encounter') visits.set(r.id!, { encounter: r, labs: [], reports: [], diagnoses: [] });
      else if (r.resourceType === 'Observation') {
        if (r.category?.[0]?.coding?.[0]?.code === 'laboratory') visits.get(idOf(r.encounter?.reference) ?? '')?.labs.push(r);
      } else if (r.resourceType === 'DiagnosticReport') visits.get(idOf(r.encounter?.reference) ?? '')?.reports.push(r);
      else if (r.resourceType === 'Condition') visits.get(idOf(r.encounter?.reference) ?? '')?.diagnoses.push(r);
    }
    for (const visit of visits.values()) this.visit(visit, out);
  }

  private visit({ encounter, labs, reports, diagnoses }: Visit, out: Resource[]): void {
    const org = idOf(encounter.serviceProvider?.reference)!;
    const level = this.villageClinics.has(org) ? 'village' : this.townCentres.has(org) ? 'town' : 'county';
    const reason = encounter.type?.[0]?.text ?? '';
    const free = PUBLIC_HEALTH_VISITS.has(reason);
    let n = 0;
    const charge = (key: ChargeKey, performer: string, service?: Observation | DiagnosticReport) => {
      const item = CHARGE_ITEMS[key];
      const waived = free && key !== 'hba1c';
      const ci: ChargeItem = {
        resourceType: 'ChargeItem',
        id: this.ctx.nameUuid(`charge-item:${encounter.id}:${n++}`),
        status: 'billed',
        code: { coding: [{ system: CHARGE_ITEM_SYSTEM, code: item.code, display: item.display }], text: item.display },
        subject: encounter.subject!,
        context: this.ctx.ref('Encounter', encounter.id!),
        occurrenceDateTime: encounter.period!.start!,
        performingOrganization: this.ctx.ref('Organization', performer),
        requestingOrganization: encounter.serviceProvider!,
        quantity: { value: 1 },
        priceOverride: { value: waived ? 0 : item.price, currency: 'CNY' },
        ...(waived ? { overrideReason: FREE_REASON } : {}),
        enterer: encounter.participant![0]!.individual!,
        enteredDate: encounter.period!.end!,
        ...(service ? { service: [this.ctx.ref(service.resourceType, service.id!)] } : {}),
      };
      out.push(ci);
    };

    // The elderly health check is one package (free to the resident), its labs and ECG included.
    if (reason === '老年人健康体检') {
      charge('elderlyCheck', org);
      return;
    }
    // The visit itself.
    if (reason === '孕早期检查（建册）' || reason === '产前检查') charge('antenatal', org);
    else if (encounter.class.code === 'HH') charge('homeVisit', org);
    else if (reason === '住院分娩') charge('delivery', org);
    else if (level === 'village') charge('generalVillage', org);
    else {
      charge('registration', org);
      charge(level === 'town' ? 'consultationTown' : 'consultationCounty', org);
    }
    // Labs: one charge per item (lipids, kidney function once), blood drawn once unless a village finger-prick.
    const seen = new Set<ChargeKey>();
    let venous = false;
    for (const lab of labs) {
      const loinc = lab.code.coding?.[0]?.code ?? '';
      let key = LAB_CHARGES[loinc];
      if (!key) continue;
      const fingerPrick = key === 'glucose' && level === 'village';
      if (fingerPrick) key = 'fingerGlucose';
      if (seen.has(key)) continue;
      seen.add(key);
      venous ||= !fingerPrick;
      charge(key, idOf(lab.performer?.[0]?.reference) ?? org, lab);
    }
    if (venous) charge('venepuncture', org);
    for (const report of reports) {
      const kind = report.category?.[0]?.coding?.[0]?.code;
      const performer = report.performer?.find((r) => r.reference?.startsWith('Organization/'))?.reference;
      charge(kind === 'EC' ? 'ecg' : 'chestDr', idOf(performer) ?? org, report);
    }
    if (level !== 'county' && diagnoses.some((c) => c.code?.coding?.[0]?.code === ICD10.bronchitis.code)) charge('infusion', org);
  }
}
