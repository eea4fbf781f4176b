/**
 * The MLLP listener (`yiwang serve`, port YIWANG_MLLP_PORT, default 2575; 0 disables it).
 *
 * One ACK per message, in the order received: many messages may share a connection, a TCP chunk may
 * carry several frames or part of one. Messages of one connection are processed one after the
 * other (senders wait for each ACK anyway, and order matters: an A08 must not overtake its A01).
 *
 * MLLP has no authentication: bind it to the county's private network (`host`), behind the
 * firewall or a VPN to the hospitals; messages are applied with system rights for `tenant`.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Hl7ErrorCode } from './errors.js';
import { MllpDecoder, mllpEncode } from './mllp.js';
import type { Hl7Service } from './service.js';

export interface MllpServerDeps {
  service: Pick<Hl7Service, 'process' | 'refuse'>;
  /** The county whose record the messages are written to. */
  tenant: string;
  /** 0 = an ephemeral port (tests); the port in use is on the returned server. */
  port: number;
  /** Listen address; default 127.0.0.1 — set the private-network address explicitly. */
  host?: string;
  /** Largest frame accepted; larger ones are answered AR. Default 16 MiB. */
  maxFrameBytes?: number;
  /** A connection idle this long is closed. Default 10 minutes (HIS keep connections open between messages). */
  idleTimeoutMs?: number;
  /** Connections beyond this are refused. Default 256. */
  maxConnections?: number;
  log?: { info(msg: string): void; warn(msg: string): void; error(err: unknown, msg: string): void };
}

export interface MllpServer {
  readonly port: number;
  readonly host: string;
  /** Open connections. */
  readonly connections: number;
  /** Stops accepting, lets messages in progress finish (up to `graceMs`), then closes every connection. */
  close(graceMs?: number): Promise<void>;
}

/** Pause reading from a connection while this many messages wait (back-pressure on a fast sender). */
const HIGH_WATER = 64;

interface Connection {
  socket: Socket;
  peer: string;
  /** The chain of messages being processed, in order. */
  work: Promise<void>;
  pending: number;
}

function serve(conn: Connection, deps: MllpServerDeps): void {
  const { socket, peer } = conn;
  const log = deps.log;
  const decoder = new MllpDecoder({ maxFrameBytes: deps.maxFrameBytes ?? 16 * 1024 * 1024 });
  const info = { transport: 'mllp' as const, peer, tenant: deps.tenant };
  const send = (bytes: Buffer): void => {
    if (!socket.destroyed && socket.writable) socket.write(mllpEncode(bytes));
  };
  const enqueue = (task: () => Promise<Buffer>): void => {
    conn.pending++;
    if (conn.pending >= HIGH_WATER) socket.pause();
    conn.work = conn.work
      .then(task)
      .then(send, (err: unknown) => log?.error(err, `MLLP ${peer}: message not answered`))
      .finally(() => {
        conn.pending--;
        if (conn.pending < HIGH_WATER / 2 && socket.isPaused()) socket.resume();
      });
  };
  const handle = (events: ReturnType<MllpDecoder['push']>): void => {
    for (const ev of events) {
      if (ev.type === 'message') {
        enqueue(async () => (await deps.service.process(ev.payload, info)).ackBytes);
      } else if (ev.reason === 'too-large') {
        const limit = deps.maxFrameBytes ?? 16 * 1024 * 1024;
        const issue = {
          code: Hl7ErrorCode.ApplicationInternalError,
          message: `Message larger than ${limit} bytes: refused`,
          severity: 'E' as const,
        };
        enqueue(async () => (await deps.service.refuse(ev.bytes, info, issue)).ackBytes);
      } else {
        log?.warn(`MLLP ${peer}: ${ev.bytes.length} bytes outside a complete frame (${ev.reason}) ignored`);
      }
    }
  };
  socket.on('data', (chunk) => handle(decoder.push(chunk)));
  socket.on('end', () => {
    handle(decoder.end());
    void conn.work.then(() => socket.end());
  });
  socket.setTimeout(deps.idleTimeoutMs ?? 10 * 60_000, () => {
    if (conn.pending > 0) return; // busy, not idle: a long message is being stored
    log?.info(`MLLP ${peer}: idle, closing`);
    socket.end();
  });
  socket.on('error', (err) => log?.warn(`MLLP ${peer}: ${err.message}`));
}

export async function startMllpServer(deps: MllpServerDeps): Promise<MllpServer> {
  const connections = new Set<Connection>();
  // allowHalfOpen: a sender may send its last message and half-close; its ACKs still go out.
  const server: Server = createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
    const conn: Connection = { socket, peer: `${socket.remoteAddress}:${socket.remotePort}`, work: Promise.resolve(), pending: 0 };
    connections.add(conn);
    socket.on('close', () => connections.delete(conn));
    serve(conn, deps);
  });
  server.maxConnections = deps.maxConnections ?? 256;
  const host = deps.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => deps.log?.error(err, 'MLLP listener error'));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : deps.port;
  deps.log?.info(`MLLP listening on ${host}:${port} (tenant ${deps.tenant})`);
  return {
    port,
    host,
    get connections() {
      return connections.size;
    },
    async close(graceMs = 10_000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const all = [...connections];
      // Half-close readers so no new message starts, then wait for the ones in progress.
      for (const c of all) c.socket.pause();
      await Promise.race([Promise.all(all.map((c) => c.work)), new Promise((r) => setTimeout(r, graceMs).unref())]);
      for (const c of all) c.socket.destroy();
      await closed;
    },
  };
}
