/**
 * The HL7 v2 receiver behind both transports (MLLP listener, POST /hl7/v2): raw bytes in, ACK out.
 *
 *   decode (MSH-18) → parse → validate → map → apply in ONE database transaction → log → ACK
 *
 * - AR: the message cannot be processed at all (unparseable, header errors, unsupported type, event,
 *   version or processing id). AE: content errors (validation, or the store refused a resource).
 *   AA: applied (warnings, if any, as ERR segments with severity W).
 * - Anything that fails rolls the whole transaction back: a message is applied entirely or not at all.
 * - Idempotency: a message whose sender (MSH-3 + MSH-4) and MSH-10 match an accepted one is not
 *   applied again; it is answered AA with MSA-3 saying so, and logged as a duplicate.
 * - Every message is logged with its outcome (message-log.ts); `replay` re-processes a logged one.
 * Messages are applied with system rights for the tenant of the transport (see docs/hl7v2.md).
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../../db/database.js';
import type { Keyring } from '../../crypto/keyring.js';
import type { Repository } from '../../fhir/repository.js';
import { acceptMessage, buildAck, recoverHeader, type AckCode } from './ack.js';
import { applyBundle, applyMerge, conditionalKeys, issuesFromError, lockKeys, type MergePatients } from './apply.js';
import { charsetFromMsh18, encodeText } from './encoding.js';
import { formatLocation, Hl7ErrorCode, ParseError, type Hl7Issue } from './errors.js';
import type { MapOptions } from './map-common.js';
import { mapToFhir, type MappingResult } from './map.js';
import type { Hl7Message } from './message.js';
import {
  findAccepted,
  getLogEntry,
  insertLogEntry,
  listLogEntries,
  senderKey,
  type Hl7Transport,
  type ListOptions,
  type LogEntry,
  type LoggedIssue,
  type LoggedResource,
} from './message-log.js';

export interface Hl7ServiceDeps {
  db: Database;
  /**
   * Encrypts the raw messages in the log (SM4, crypto/field.ts). A function when the ring can change
   * while running (key rotation reloads it).
   */
  keyring: Keyring | (() => Keyring);
  /** A repository with system rights for the tenant (every Patient write goes through it and its EMPI hooks). */
  repositoryFor(tenant: string): Repository;
  /** FHIR base URL, for the bundle processing (conditional references). */
  baseUrl: string;
  mapOptions?: MapOptions;
  /** ADT^A40; without it A40 is answered AE 'merge not available'. */
  mergePatients?: MergePatients;
  /** MSH-3/MSH-4 of ACKs; default: MSH-5/MSH-6 of the message answered. */
  receivingApplication?: string;
  receivingFacility?: string;
  /** Logging of failures that are not the sender's (log writes, internal errors). */
  onError?: (message: string, err: unknown) => void;
  now?: () => Date;
}

export interface TransportInfo {
  transport: Exclude<Hl7Transport, 'replay'>;
  /** Remote address (ip:port). */
  peer?: string;
  tenant: string;
}

export interface ProcessResult {
  /** Id of the log entry. */
  id: string;
  code: AckCode;
  /** The ACK text and the same encoded in the message's character set. */
  ack: string;
  ackBytes: Buffer;
  charset: string;
  errors: LoggedIssue[];
  resources: LoggedResource[];
  /** Set when the message was a resend of an accepted one and was not applied again. */
  duplicateOf?: string;
}

interface Run {
  tenant: string;
  transport: Hl7Transport;
  peer?: string;
  replayOf?: string;
}

function toLogged(i: Hl7Issue): LoggedIssue {
  const location = formatLocation(i.location);
  const message = i instanceof ParseError ? i.detail : i.message;
  return { code: i.code, severity: i.severity ?? 'E', message, ...(location ? { location } : {}) };
}

export class Hl7Service {
  constructor(private readonly deps: Hl7ServiceDeps) {}

  private get keyring(): Keyring {
    const k = this.deps.keyring;
    return typeof k === 'function' ? k() : k;
  }

  private now(): Date {
    return this.deps.now ? this.deps.now() : new Date();
  }

  /** Receives one message from a transport. Never throws for anything the message contains. */
  process(raw: Buffer, info: TransportInfo): Promise<ProcessResult> {
    return this.run(raw, { tenant: info.tenant, transport: info.transport, peer: info.peer });
  }

  /**
   * Answers AR without processing (the transport refused the message, e.g. a frame over the size
   * limit). The log keeps the first `keepBytes` of it.
   */
  refuse(raw: Buffer, info: TransportInfo, issue: Hl7Issue, keepBytes = 64 * 1024): Promise<ProcessResult> {
    const receivedAt = this.now();
    const ack = buildAck(raw.subarray(0, keepBytes), { ...this.ackOptions(), now: receivedAt, code: 'AR', errors: [issue] });
    const run: Run = { tenant: info.tenant, transport: info.transport, peer: info.peer };
    return this.finish(raw.subarray(0, keepBytes), run, {
      size: raw.length,
      id: randomUUID(),
      receivedAt,
      started: performance.now(),
      code: 'AR',
      ack,
      issues: [issue],
      resources: [],
    });
  }

  /** Re-processes a logged message (after fixing master data or a mapping); records a new outcome. */
  async replay(tenant: string, id: string, by?: string): Promise<ProcessResult | undefined> {
    const entry = await getLogEntry(this.deps.db, tenant, id, this.keyring);
    if (!entry) return undefined;
    return this.run(entry.raw, { tenant, transport: 'replay', peer: by, replayOf: id });
  }

  list(tenant: string, options: ListOptions = {}): Promise<LogEntry[]> {
    return listLogEntries(this.deps.db, tenant, options);
  }

  get(tenant: string, id: string): Promise<(LogEntry & { raw: Buffer }) | undefined> {
    return getLogEntry(this.deps.db, tenant, id, this.keyring);
  }

  private ackOptions(): { sendingApplication?: string; sendingFacility?: string } {
    return {
      ...(this.deps.receivingApplication !== undefined ? { sendingApplication: this.deps.receivingApplication } : {}),
      ...(this.deps.receivingFacility !== undefined ? { sendingFacility: this.deps.receivingFacility } : {}),
    };
  }

  private async run(raw: Buffer, run: Run): Promise<ProcessResult> {
    const started = performance.now();
    const receivedAt = this.now();
    const id = randomUUID();
    const ackOptions = { ...this.ackOptions(), now: receivedAt };
    let accepted: ReturnType<typeof acceptMessage>;
    try {
      accepted = acceptMessage(raw, ackOptions);
    } catch (err) {
      // A parser bug must not take the listener down: answer AR and keep the message for a replay.
      this.deps.onError?.('HL7 v2: unexpected error while parsing', err);
      const issue: Hl7Issue = { code: Hl7ErrorCode.ApplicationInternalError, message: 'The message could not be read', severity: 'E' };
      const ack = buildAck(Buffer.alloc(0), { ...ackOptions, code: 'AR', errors: [issue] });
      return this.finish(raw, run, { id, receivedAt, started, code: 'AR', ack, issues: [issue], resources: [] });
    }
    const msg = accepted.message;
    if (!msg || accepted.code !== 'AA') {
      return this.finish(raw, run, {
        id,
        receivedAt,
        started,
        msg,
        code: accepted.code,
        ack: accepted.ack,
        issues: accepted.errors,
        resources: [],
      });
    }
    const warnings: Hl7Issue[] = accepted.errors; // validation passed: only warnings are left
    let mapping: MappingResult;
    try {
      mapping = mapToFhir(msg, this.deps.mapOptions);
    } catch (err) {
      const issues = err instanceof ParseError ? [err] : issuesFromError(err);
      const code: AckCode = err instanceof ParseError ? 'AR' : 'AE';
      if (!(err instanceof ParseError)) this.deps.onError?.('HL7 v2: mapping failed', err);
      return this.answer(raw, run, { id, receivedAt, started, msg, code, issues, resources: [] });
    }
    const mapWarnings: Hl7Issue[] = mapping.warnings.map((w) => ({ code: Hl7ErrorCode.MessageAccepted, message: w, severity: 'W' }));
    const allWarnings = [...warnings, ...mapWarnings];
    const sender = senderKey(msg.sendingApplication, msg.sendingFacility);
    try {
      return await this.deps.repositoryFor(run.tenant).withTransaction(async (tx) => {
        const keys = [`message|${sender}|${msg.controlId}`, ...(mapping.kind === 'transaction' ? conditionalKeys(mapping.bundle) : [])];
        await lockKeys(tx, keys);
        const previous = run.replayOf || !msg.controlId ? undefined : await findAccepted(tx.db, run.tenant, sender, msg.controlId);
        if (previous) {
          // The sender did not get (or lost) our first ACK: answer it again without applying twice.
          const text = `Duplicate of message accepted ${previous.receivedAt.toISOString().slice(0, 19)}Z; not applied again`;
          return this.answer(
            raw,
            run,
            { id, receivedAt, started, msg, code: 'AA', issues: [], resources: previous.resources, text, duplicateOf: previous.id },
            tx,
          );
        }
        let resources: LoggedResource[];
        if (mapping.kind === 'transaction') resources = await applyBundle(tx, mapping.bundle, this.deps.baseUrl);
        else if (!this.deps.mergePatients) throw new MergeUnavailable();
        else resources = await applyMerge(tx, mapping.merge, this.deps.baseUrl, this.deps.mergePatients);
        // Logged in the same transaction: an accepted message is recorded exactly when it is applied.
        return this.answer(raw, run, { id, receivedAt, started, msg, code: 'AA', issues: allWarnings, resources }, tx);
      });
    } catch (err) {
      const issues =
        err instanceof MergeUnavailable
          ? [
              {
                code: Hl7ErrorCode.ApplicationInternalError,
                message: 'merge not available',
                location: { segment: 'MRG' },
                severity: 'E' as const,
              },
            ]
          : issuesFromError(err, mapping.kind === 'transaction' ? mapping.bundle : undefined);
      if (issues.some((i) => i.code === Hl7ErrorCode.ApplicationInternalError) && !(err instanceof MergeUnavailable)) {
        this.deps.onError?.('HL7 v2: applying the message failed', err);
      }
      return this.answer(raw, run, { id, receivedAt, started, msg, code: 'AE', issues: [...issues, ...allWarnings], resources: [] });
    }
  }

  /** Builds the ACK for a parsed message, then logs. */
  private answer(raw: Buffer, run: Run, o: Outcome & { msg: Hl7Message; text?: string }, tx?: Repository): Promise<ProcessResult> {
    const ack = buildAck(o.msg, {
      ...this.ackOptions(),
      code: o.code,
      errors: o.issues,
      now: o.receivedAt,
      ...(o.text ? { text: o.text } : {}),
    });
    return this.finish(raw, run, { ...o, ack }, tx);
  }

  private async finish(raw: Buffer, run: Run, o: Outcome & { msg?: Hl7Message; ack: string }, tx?: Repository): Promise<ProcessResult> {
    const header = o.msg ? undefined : recoverHeader(raw);
    const charset = o.msg?.charset ?? (header?.charset ? charsetFromMsh18(header.charset) : undefined) ?? 'utf-8';
    const application = o.msg ? o.msg.sendingApplication : (header?.sendingApplication ?? '');
    const facility = o.msg ? o.msg.sendingFacility : (header?.sendingFacility ?? '');
    const errors = o.issues.map(toLogged);
    const entry: LogEntry = {
      id: o.id,
      tenant: run.tenant,
      receivedAt: o.receivedAt,
      sendingApplication: application,
      sendingFacility: facility,
      sender: senderKey(application, facility),
      controlId: o.msg ? o.msg.controlId : (header?.controlId ?? ''),
      messageType: o.msg ? [o.msg.messageType, o.msg.triggerEvent].filter(Boolean).join('^') : '',
      version: o.msg?.version ?? header?.version ?? '',
      transport: run.transport,
      ...(run.peer ? { peer: run.peer } : {}),
      outcome: o.code,
      ...(o.duplicateOf ? { duplicateOf: o.duplicateOf } : {}),
      ...(run.replayOf ? { replayOf: run.replayOf } : {}),
      errors,
      resources: o.resources,
      ack: o.ack,
      charset,
      size: o.size ?? raw.length,
      durationMs: Math.round((performance.now() - o.started) * 100) / 100,
    };
    if (tx) {
      await tx.flush(); // buffered creates first: the log row must follow the resources it names
      await insertLogEntry(tx.db, entry, raw, this.keyring);
    } else {
      try {
        await insertLogEntry(this.deps.db, entry, raw, this.keyring);
      } catch (err) {
        // The ACK still goes out: a refused message is not stored anyway, and the sender gets the reason.
        this.deps.onError?.('HL7 v2: could not write the message log', err);
      }
    }
    return {
      id: o.id,
      code: o.code,
      ack: o.ack,
      ackBytes: encodeText(o.ack, charset),
      charset,
      errors,
      resources: o.resources,
      ...(o.duplicateOf ? { duplicateOf: o.duplicateOf } : {}),
    };
  }
}

interface Outcome {
  id: string;
  /** Size of the message when `raw` is only its beginning. */
  size?: number;
  receivedAt: Date;
  started: number;
  code: AckCode;
  issues: readonly Hl7Issue[];
  resources: LoggedResource[];
  duplicateOf?: string;
}

class MergeUnavailable extends Error {}
