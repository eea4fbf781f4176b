/**
 * SIU^S12 (new appointment booking) → Appointment (+ Patient, Encounter, Practitioner, Location).
 *
 * | HL7                                          | FHIR Appointment                                                 |
 * |----------------------------------------------|------------------------------------------------------------------|
 * | SCH-1 placer appointment id (EI)             | identifier (type PLAC)                                           |
 * | SCH-2 filler appointment id (EI)             | identifier (type FILL); conditional update key (else SCH-1)      |
 * | SCH-25 filler status code                    | status: Booked → booked, Pending → pending, Cancelled/Dc →       |
 * |                                              | cancelled, Complete → fulfilled, Noshow → noshow, Waitlist →     |
 * |                                              | waitlist, Started → arrived, Deleted → entered-in-error;         |
 * |                                              | default booked                                                   |
 * | SCH-6 event reason                           | reasonCode                                                       |
 * | SCH-7 appointment reason (table 0276)        | appointmentType                                                  |
 * | TQ1-7/8, SCH-11.4/5, AIS-4/AIG-8/AIL-6/AIP-6 | start / end (end = start + SCH-9/SCH-10 or AIS-7/AIS-8 duration) |
 * | SCH-9 / SCH-10                               | minutesDuration                                                  |
 * | AIS-3                                        | serviceType                                                      |
 * | PID                                          | participant (Patient, accepted)                                  |
 * | AIP-3 (XCN)                                  | participant (Practitioner)                                       |
 * | AIL-3 (PL)                                   | participant (Location)                                           |
 * | NTE                                          | comment                                                          |
 */
import type { Appointment, AppointmentParticipant, CodeableConcept, Identifier, Reference } from '@medplum/fhirtypes';
import { encounterEntry, patientEntry } from './map-adt.js';
import { clean, codeableConcept, eiIdentifier, identifierQuery, locationRef, practitionerRef, type MapContext } from './map-common.js';

const STATUS: Record<string, Appointment['status']> = {
  BOOKED: 'booked',
  PENDING: 'pending',
  CANCELLED: 'cancelled',
  DC: 'cancelled',
  COMPLETE: 'fulfilled',
  NOSHOW: 'noshow',
  WAITLIST: 'waitlist',
  OVERBOOK: 'booked',
  BLOCKED: 'booked',
  STARTED: 'arrived',
  DELETED: 'entered-in-error',
};

/** Minutes for a duration and its unit (CE: min, s, h, d; default minutes). */
function minutes(value: string, unit: string): number | undefined {
  const n = Number(value.trim());
  if (!value.trim() || !Number.isFinite(n) || n <= 0) return undefined;
  const u = unit.trim().toLowerCase();
  const factor = u.startsWith('s') ? 1 / 60 : u.startsWith('h') ? 60 : u.startsWith('d') ? 1440 : 1;
  return Math.round(n * factor);
}

/** Adds minutes to a FHIR instant, keeping its offset. */
export function addMinutes(instant: string, mins: number): string | undefined {
  const m = /([+-])(\d{2}):(\d{2})$|Z$/.exec(instant);
  const t = Date.parse(instant);
  if (!m || Number.isNaN(t)) return undefined;
  const offset = m[0] === 'Z' ? 0 : (m[1] === '-' ? -1 : 1) * (parseInt(m[2]!, 10) * 60 + parseInt(m[3]!, 10));
  const d = new Date(t + (mins + offset) * 60_000);
  const p = (n: number): string => String(n).padStart(2, '0');
  const suffix = m[0] === 'Z' ? 'Z' : m[0];
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}T${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}${suffix}`;
}

/** SIU^S12 → Appointment with conditional update on the filler (else placer) appointment id. */
export function mapSiu(ctx: MapContext): void {
  const sch = ctx.msg.segment('SCH');
  const pid = ctx.msg.segment('PID');
  if (!sch || !pid) return;
  const { subject, key } = patientEntry(pid, ctx, 'POST');
  const pv1 = ctx.msg.segment('PV1');
  const encounter = pv1 ? encounterEntry(pv1, ctx, subject, key, pv1.field(45).isEmpty ? 'in-progress' : 'finished', 'POST') : undefined;

  const placer = eiIdentifier(sch.field(1).rep(1), ctx, 'placer-appointment', 'PLAC');
  const filler = eiIdentifier(sch.field(2).rep(1), ctx, 'filler-appointment', 'FILL');
  const tq1 = ctx.msg.segment('TQ1');
  const ais = ctx.msg.segment('AIS');
  const resourceStarts = [ais?.get(4), ctx.msg.segment('AIG')?.get(8), ctx.msg.segment('AIL')?.get(6), ctx.msg.segment('AIP')?.get(6)];
  const start = [tq1?.get(7), sch.get(11, 4), ...resourceStarts].map((v) => ctx.instant(v ?? '')).find((v) => !!v);
  let end = [tq1?.get(8), sch.get(11, 5)].map((v) => ctx.instant(v ?? '')).find((v) => !!v);
  const duration = minutes(sch.get(9), sch.get(10)) ?? (ais ? minutes(ais.get(7), ais.get(8)) : undefined);
  if (start && !end && duration) end = addMinutes(start, duration);

  const participant: AppointmentParticipant[] = [{ actor: subject, required: 'required', status: 'accepted' }];
  for (const aip of ctx.msg.segments('AIP')) {
    for (const rep of aip.field(3).values) {
      const actor = practitionerRef(rep, ctx);
      if (actor)
        participant.push(
          clean({
            actor,
            type: aip.field(4).isEmpty ? undefined : [codeableConcept(aip.field(4).rep(1), ctx)],
            status: 'accepted',
          }) as AppointmentParticipant,
        );
    }
  }
  for (const ail of ctx.msg.segments('AIL')) {
    const actor = locationRef(ail.field(3).rep(1), ctx);
    if (actor) participant.push({ actor, status: 'accepted' });
  }
  const comments = ctx.msg
    .segments('NTE')
    .map((n) =>
      n
        .field(3)
        .repetitions.map((r) => r.value)
        .join('\n')
        .trim(),
    )
    .filter(Boolean);
  const statusCode = (sch.get(25, 1) || sch.get(25, 2)).trim().toUpperCase();
  const status = STATUS[statusCode] ?? 'booked';
  if ((status === 'booked' || status === 'arrived' || status === 'fulfilled') && !start) {
    ctx.warn('SCH/TQ1/AIS carry no start time: a booked Appointment needs start and end');
  }
  const appointment = clean<Appointment>({
    resourceType: 'Appointment',
    identifier: [placer, filler].filter((i): i is Identifier => !!i),
    status,
    serviceType: ctx.msg
      .segments('AIS')
      .map((a) => codeableConcept(a.field(3).rep(1), ctx))
      .filter((c): c is CodeableConcept => !!c),
    appointmentType: codeableConcept(sch.field(7).rep(1), ctx),
    reasonCode: sch.field(6).values.map((r) => codeableConcept(r, ctx)),
    start,
    end: start ? end : undefined,
    minutesDuration: duration,
    comment: comments.length ? comments.join('\n') : undefined,
    participant,
    supportingInformation: encounter ? [encounter as Reference] : undefined,
  } as Appointment);
  const keyId = filler ?? placer;
  if (keyId) {
    ctx.builder.add(appointment, 'PUT', identifierQuery(keyId));
  } else {
    ctx.warn('SCH has no appointment id: the Appointment is created unconditionally');
    ctx.builder.add(appointment, 'POST');
  }
}
