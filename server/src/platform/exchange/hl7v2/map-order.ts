/**
 * ORM^O01 and OML^O21 → ServiceRequest, one per order (ORC with its OBR, TQ1, NTE and DG1).
 * The ServiceRequest of a result message (ORU) is built here too.
 *
 * | HL7                                    | FHIR ServiceRequest                                           |
 * |----------------------------------------|---------------------------------------------------------------|
 * | ORC-2 / OBR-2 placer order number      | identifier (type PLAC; system from EI-2/3/4)                  |
 * | ORC-3 / OBR-3 filler order number      | identifier (type FILL)                                        |
 * | ORC-4 placer group number              | requisition (type PGN)                                        |
 * | ORC-5 order status (else ORC-1)        | status: A/IP/SC → active, CM → completed, CA/DC/RP → revoked, |
 * |                                        | HD → on-hold, ER → entered-in-error; ORC-1 NW/XO/RL → active, |
 * |                                        | CA/OC/CR/DC/OD → revoked, HD/OH → on-hold                     |
 * | —                                      | intent = order                                                |
 * | OBR-4 universal service id             | code                                                          |
 * | TQ1-9 / ORC-7.6 / OBR-27.6 / OBR-5     | priority: S → stat, A/T → asap, P → urgent, R → routine       |
 * | TQ1-7/8, ORC-7.4/5, OBR-27.4/5         | occurrenceDateTime / occurrencePeriod                         |
 * | ORC-9 date/time of transaction         | authoredOn                                                    |
 * | ORC-12 (else OBR-16) ordering provider | requester (Practitioner)                                      |
 * | OBR-31, DG1-3 of the order             | reasonCode                                                    |
 * | NTE after ORC/OBR                      | note                                                          |
 * | PID / PV1                              | subject / encounter                                           |
 *
 * Requests: order messages update the request by its placer (else filler) number
 * (PUT ServiceRequest?identifier=…); result messages only create it when missing.
 */
import type { Annotation, CodeableConcept, Identifier, Reference, ServiceRequest } from '@medplum/fhirtypes';
import { encounterEntry, patientEntry } from './map-adt.js';
import { clean, codeableConcept, eiIdentifier, identifierQuery, practitionerRef, v2IdentifierType, type MapContext } from './map-common.js';
import type { Hl7Segment } from './message.js';

/** One order: ORC and/or OBR with the segments that belong to it. */
export interface OrderGroup {
  orc?: Hl7Segment;
  obr?: Hl7Segment;
  tq1?: Hl7Segment;
  notes: string[];
  dg1: Hl7Segment[];
  /** 1-based index of the order in the message. */
  index: number;
}

const ORDER_STATUS: Record<string, ServiceRequest['status']> = {
  A: 'active',
  IP: 'active',
  SC: 'active',
  CM: 'completed',
  CA: 'revoked',
  DC: 'revoked',
  RP: 'revoked',
  HD: 'on-hold',
  ER: 'entered-in-error',
};
const ORDER_CONTROL: Record<string, ServiceRequest['status']> = {
  NW: 'active',
  OK: 'active',
  XO: 'active',
  XX: 'active',
  XR: 'active',
  RL: 'active',
  RP: 'active',
  RO: 'active',
  SN: 'active',
  CA: 'revoked',
  OC: 'revoked',
  CR: 'revoked',
  DC: 'revoked',
  OD: 'revoked',
  DR: 'revoked',
  HD: 'on-hold',
  OH: 'on-hold',
  HR: 'on-hold',
};
const PRIORITY: Record<string, ServiceRequest['priority']> = {
  S: 'stat',
  A: 'asap',
  T: 'asap',
  P: 'urgent',
  R: 'routine',
  C: 'routine',
  PRN: 'routine',
};

export function orderStatus(orc: Hl7Segment | undefined, fallback: ServiceRequest['status']): ServiceRequest['status'] {
  if (!orc) return fallback;
  return ORDER_STATUS[orc.get(5).trim().toUpperCase()] ?? ORDER_CONTROL[orc.get(1).trim().toUpperCase()] ?? fallback;
}

export interface OrderIds {
  placer?: Identifier;
  filler?: Identifier;
}

export function orderIdentifiers(order: OrderGroup, ctx: MapContext): OrderIds {
  const pick = (field: number, kind: string, type: string): Identifier | undefined =>
    (order.orc && eiIdentifier(order.orc.field(field).rep(1), ctx, kind, type)) ||
    (order.obr && eiIdentifier(order.obr.field(field).rep(1), ctx, kind, type)) ||
    undefined;
  return { placer: pick(2, 'placer-order', 'PLAC'), filler: pick(3, 'filler-order', 'FILL') };
}

function priority(order: OrderGroup): ServiceRequest['priority'] {
  const candidates = [order.tq1?.get(9), order.orc?.get(7, 6), order.obr?.get(27, 6), order.obr?.get(5)];
  for (const c of candidates) {
    const p = PRIORITY[(c ?? '').trim().toUpperCase()];
    if (p) return p;
  }
  return undefined;
}

function occurrence(order: OrderGroup, ctx: MapContext): Pick<ServiceRequest, 'occurrenceDateTime' | 'occurrencePeriod'> {
  const pairs: Array<[string | undefined, string | undefined]> = [
    [order.tq1?.get(7), order.tq1?.get(8)],
    [order.orc?.get(7, 4), order.orc?.get(7, 5)],
    [order.obr?.get(27, 4), order.obr?.get(27, 5)],
  ];
  for (const [s, e] of pairs) {
    const start = ctx.dateTime(s ?? '');
    const end = ctx.dateTime(e ?? '');
    if (start && end) return { occurrencePeriod: { start, end } };
    if (start) return { occurrenceDateTime: start };
  }
  return {};
}

/**
 * Adds the ServiceRequest of an order. `method` PUT for order messages, POST (create when
 * missing) for result messages. Returns undefined when the order has no identifier at all and
 * `method` is POST (nothing to match later results against).
 */
export function serviceRequestEntry(
  order: OrderGroup,
  ctx: MapContext,
  subject: Reference,
  encounter: Reference | undefined,
  method: 'PUT' | 'POST',
  fallbackStatus: ServiceRequest['status'] = 'active',
): Reference | undefined {
  const { placer, filler } = orderIdentifiers(order, ctx);
  const group = order.orc ? eiIdentifier(order.orc.field(4).rep(1), ctx, 'order-group', 'PGN') : undefined;
  const requesterRep = order.orc && !order.orc.field(12).isEmpty ? order.orc.field(12).rep(1) : order.obr?.field(16).rep(1);
  const reasons: CodeableConcept[] = [
    ...(order.obr?.field(31).values ?? []).map((r) => codeableConcept(r, ctx)),
    ...order.dg1.map((d) => codeableConcept(d.field(3).rep(1), ctx) ?? (d.get(4).trim() ? { text: d.get(4).trim() } : undefined)),
  ].filter((c): c is CodeableConcept => !!c);
  const note: Annotation[] = order.notes.map((text) => ({ text }));
  const sr = clean<ServiceRequest>({
    resourceType: 'ServiceRequest',
    identifier: [placer, filler].filter((i): i is Identifier => !!i),
    requisition: group ? { ...group, type: v2IdentifierType('PGN') } : undefined,
    status: orderStatus(order.orc, fallbackStatus),
    intent: 'order',
    priority: priority(order),
    code: order.obr ? codeableConcept(order.obr.field(4).rep(1), ctx) : undefined,
    subject,
    encounter,
    ...occurrence(order, ctx),
    authoredOn: ctx.dateTime(order.orc?.get(9) ?? ''),
    requester: requesterRep ? practitionerRef(requesterRep, ctx) : undefined,
    reasonCode: reasons,
    note,
  } as ServiceRequest);
  const key = placer ?? filler;
  if (key) return { reference: ctx.builder.add(sr, method, identifierQuery(key)) };
  if (method === 'POST') return undefined;
  const synthetic: Identifier = { system: ctx.localSystem('message-order'), value: `${ctx.msg.controlId}-${order.index}` };
  ctx.warn(`Order ${order.index} has no placer or filler number: keyed by message control id`);
  sr.identifier = [...(sr.identifier ?? []), synthetic];
  return { reference: ctx.builder.add(sr, method, identifierQuery(synthetic)) };
}

/** Walks the message and calls `onOrder` for each order with the patient and visit in effect. */
export function forEachOrder(
  ctx: MapContext,
  patientMethod: 'PUT' | 'POST',
  onOrder: (order: OrderGroup, subject: Reference, encounter: Reference | undefined) => void,
): void {
  let subject: Reference | undefined;
  let patientKey: Identifier | undefined;
  let encounter: Reference | undefined;
  let order: OrderGroup | undefined;
  let index = 0;
  let last = '';
  const flush = (): void => {
    if (order && subject) onOrder(order, subject, encounter);
    order = undefined;
  };
  for (const seg of ctx.msg.segments()) {
    switch (seg.name) {
      case 'PID': {
        flush();
        const p = patientEntry(seg, ctx, patientMethod);
        subject = p.subject;
        patientKey = p.key;
        encounter = undefined;
        break;
      }
      case 'PV1':
        if (subject) encounter = encounterEntry(seg, ctx, subject, patientKey, seg.field(45).isEmpty ? 'in-progress' : 'finished', 'POST');
        break;
      case 'ORC':
        flush();
        order = { orc: seg, notes: [], dg1: [], index: ++index };
        break;
      case 'OBR':
        if (!order || order.obr) {
          flush();
          order = { notes: [], dg1: [], index: ++index };
        }
        order.obr = seg;
        break;
      case 'TQ1':
        if (order && !order.tq1) order.tq1 = seg;
        break;
      case 'NTE':
        if (order && (last === 'ORC' || last === 'OBR' || last === 'TQ1')) {
          const text = seg
            .field(3)
            .repetitions.map((r) => r.value)
            .join('\n')
            .trim();
          if (text) order.notes.push(text);
        }
        break;
      case 'DG1':
        if (order) order.dg1.push(seg);
        break;
    }
    if (seg.name !== 'NTE') last = seg.name;
  }
  flush();
}

/** ORM^O01 / OML^O21 → ServiceRequests (conditional update), Patient and Encounter (create if missing). */
export function mapOrders(ctx: MapContext): void {
  forEachOrder(ctx, 'POST', (order, subject, encounter) => {
    serviceRequestEntry(order, ctx, subject, encounter, 'PUT');
  });
}
