/**
 * The NATS JetStream transport, for several server processes on one database (YIWANG_EVENTS_TRANSPORT=nats).
 *
 * Each process's dispatcher claims events from the outbox and publishes them to one stream (subjects
 * `yiwang.events.<tenant>.<resourceType>`); the outbox row is deleted only after JetStream acknowledged the publish.
 * The outbox seq is the message id, so a process that dies between publish and delete has its re-publish dropped by
 * JetStream's de-duplication window. The stream is a work queue read through one durable consumer shared by every
 * process: each event goes to one process, which offers it to its handlers and then acks. Handler failures are
 * already recorded in event_delivery for the dispatcher's retries, so the message is acked anyway; a process that
 * dies before acking lets the ack wait expire and the event goes to another process (at least once, as everywhere).
 */
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  JSONCodec,
  nanos,
  RetentionPolicy,
  StorageType,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
} from 'nats';
import type { EventTransport } from './dispatcher.js';
import type { ResourceEvent } from './types.js';

export interface NatsTransportOptions {
  servers: string;
  log: (message: string, err?: unknown) => void;
  /** Stream name (default YIWANG_EVENTS); one per deployment — tests use their own. */
  stream?: string;
  /** Subject prefix (default yiwang.events). */
  subjectPrefix?: string;
  /** Durable consumer shared by every process (default yiwang-dispatch). */
  consumer?: string;
  /** How long a delivered, unacknowledged event waits before going to another process (default 30 s). */
  ackWaitMs?: number;
  /** Events a process holds at once (default 64). */
  prefetch?: number;
  /** Events a process hands to its handlers at the same time (default 16). */
  concurrency?: number;
  connectTimeoutMs?: number;
}

const codec = JSONCodec<ResourceEvent>();

/** NATS subject tokens cannot hold '.', '*', '>' or spaces; the event itself carries the real tenant. */
const token = (text: string): string => text.replace(/[^A-Za-z0-9_-]/g, '_') || '_';

export class NatsTransport implements EventTransport {
  readonly name = 'nats';
  private messages: ConsumerMessages | undefined;
  private inFlight = 0;
  private loop: Promise<void> | undefined;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly options: Required<Omit<NatsTransportOptions, 'connectTimeoutMs'>>,
  ) {}

  static async connect(options: NatsTransportOptions): Promise<NatsTransport> {
    const all = {
      stream: 'YIWANG_EVENTS',
      subjectPrefix: 'yiwang.events',
      consumer: 'yiwang-dispatch',
      ackWaitMs: 30_000,
      prefetch: 64,
      concurrency: 16,
      ...options,
    };
    let nc: NatsConnection;
    try {
      nc = await connect({ servers: all.servers, timeout: options.connectTimeoutMs ?? 5000, name: 'yiwang', maxReconnectAttempts: -1 });
    } catch (err) {
      throw new Error(
        `NATS at ${all.servers} is unreachable (${err instanceof Error ? err.message : String(err)}): start nats-server with JetStream (-js) or unset YIWANG_EVENTS_TRANSPORT`,
        { cause: err },
      );
    }
    try {
      const jsm = await nc.jetstreamManager();
      const transport = new NatsTransport(nc, nc.jetstream(), jsm, all);
      await transport.ensureStream();
      return transport;
    } catch (err) {
      await nc.close();
      throw new Error(`NATS at ${all.servers} has no usable JetStream: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
  }

  /** Deletes a stream (tests and benchmarks clean up the ones they made). */
  static async deleteStream(servers: string, stream: string): Promise<void> {
    const nc = await connect({ servers, timeout: 5000 });
    try {
      const jsm = await nc.jetstreamManager();
      await jsm.streams.delete(stream).catch(() => false);
    } finally {
      await nc.close();
    }
  }

  private async ensureStream(): Promise<void> {
    const { stream, subjectPrefix, consumer, ackWaitMs, prefetch } = this.options;
    const exists = await this.jsm.streams.info(stream).then(
      () => true,
      () => false,
    );
    if (!exists) {
      // Several processes may start at once: adding an identical stream twice is accepted by the server.
      await this.jsm.streams.add({
        name: stream,
        subjects: [`${subjectPrefix}.>`],
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
        duplicate_window: nanos(120_000),
      });
    }
    await this.jsm.consumers
      .add(stream, {
        durable_name: consumer,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(ackWaitMs),
        max_deliver: -1,
        max_ack_pending: Math.max(1000, prefetch * 16),
      })
      .catch(async (err: unknown) => {
        // A consumer made by an older configuration still works; say so rather than refuse to start.
        await this.jsm.consumers.info(stream, consumer);
        this.options.log(`NATS consumer ${consumer} exists with another configuration; using it`, err);
      });
  }

  async publish(events: ResourceEvent[]): Promise<void> {
    const { subjectPrefix } = this.options;
    await Promise.all(
      events.map((e) => this.js.publish(`${subjectPrefix}.${token(e.tenant)}.${token(e.resourceType)}`, codec.encode(e), { msgID: e.seq })),
    );
  }

  async start(deliver: (event: ResourceEvent) => Promise<void>): Promise<void> {
    const consumer = await this.js.consumers.get(this.options.stream, this.options.consumer);
    this.messages = await consumer.consume({ max_messages: this.options.prefetch });
    const messages = this.messages;
    // Several events at once: each is acked on its own, so one slow handler does not idle the process (order across
    // events is not kept — it is not across processes either, and handlers read the current state).
    const running = new Set<Promise<void>>();
    this.loop = (async () => {
      for await (const m of messages) {
        const p = this.handle(m, deliver).finally(() => running.delete(p));
        running.add(p);
        if (running.size >= this.options.concurrency) await Promise.race(running);
      }
      await Promise.all(running);
    })().catch((err: unknown) => this.options.log('NATS consumer stopped', err));
  }

  private async handle(m: JsMsg, deliver: (event: ResourceEvent) => Promise<void>): Promise<void> {
    this.inFlight++;
    // A slow handler is not a dead process: keep the message ours while we work on it.
    const keep = setInterval(() => m.working(), Math.max(500, this.options.ackWaitMs / 3));
    try {
      await deliver(codec.decode(m.data));
      m.ack();
    } catch (err) {
      // Only a failure to record a failure gets here (deliverToAll never throws for a handler): try again later.
      this.options.log('NATS event delivery failed; redelivering', err);
      m.nak(1000);
    } finally {
      clearInterval(keep);
      this.inFlight--;
    }
  }

  /** True when nothing published is waiting or being handled in any process. */
  async idle(): Promise<boolean> {
    if (this.inFlight > 0) return false;
    const info = await this.jsm.consumers.info(this.options.stream, this.options.consumer);
    return info.num_pending === 0 && info.num_ack_pending === 0;
  }

  async close(): Promise<void> {
    await this.messages?.close();
    await this.loop;
    if (!this.nc.isClosed()) await this.nc.drain();
  }

  /** Drops the connection without finishing or acknowledging anything: what a crashed process does (tests). */
  async abort(): Promise<void> {
    await this.nc.close();
  }
}
