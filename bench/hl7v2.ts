/**
 * HL7 v2 over MLLP: throughput and ACK latency of ORU^R01 results stored on the embedded PGlite.
 *
 *   cd /work/main/server && npx tsx ../bench/hl7v2.ts [--messages 2000] [--connections 1] [--patients 500]
 *
 * Each connection behaves like a LIS: sends one message, waits for its ACK, sends the next (PGlite has
 * one database connection, so more senders add queueing, not throughput). Every message is a new
 * result (2 OBX, its report and order) for one of `--patients` residents, so the patient is found by
 * its identifier most of the time, as in a county lab feed. Latency is measured at the sender, from
 * the first byte written to the complete ACK frame.
 */
import { connect, type Socket } from 'node:net';
import { buildApp } from '../server/src/app.js';
import { loadConfig } from '../server/src/config.js';
import { MllpDecoder, mllpEncode, parseMessage } from '../server/src/platform/exchange/hl7v2/index.js';
import { startMllpServer } from '../server/src/platform/exchange/hl7v2/mllp-server.js';
import { arg, summarize } from './lib.js';

const MESSAGES = arg('messages', 2000);
const CONNECTIONS = arg('connections', 1);
const PATIENTS = arg('patients', 500);
const WARMUP = 50;

function oru(n: number): string {
  const mrn = `MRN${String(n % PATIENTS).padStart(6, '0')}`;
  const filler = `LIS-${n}`;
  return [
    `MSH|^~\\&|LIS|NCRMYY|YIWANG|COUNTY|20240316101000+0800||ORU^R01^ORU_R01|B${n}|P|2.5`,
    `PID|1||${mrn}^^^NCRMYY^MR||患者${n % PATIENTS}||19800101|M`,
    `ORC|RE|ORD-${n}^HIS|${filler}^LIS`,
    `OBR|1|ORD-${n}^HIS|${filler}^LIS|CBC^血常规^L|||20240316083000|||||||||||||||20240316101000|||F`,
    `OBX|1|NM|6690-2^白细胞计数^LN||${(4 + (n % 80) / 10).toFixed(1)}|10\\S\\9/L|3.5-9.5|${n % 80 > 55 ? 'H' : 'N'}|||F`,
    `OBX|2|NM|718-7^血红蛋白^LN||${120 + (n % 60)}|g/L|130-175|${n % 60 < 10 ? 'L' : 'N'}|||F`,
  ].join('\r');
}

async function sender(port: number): Promise<{ send(msg: string): Promise<string>; close(): void }> {
  const socket: Socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const decoder = new MllpDecoder();
  let waiting: ((ack: Buffer) => void) | undefined;
  socket.on('data', (chunk) => {
    for (const ev of decoder.push(chunk)) if (ev.type === 'message') waiting?.(ev.payload);
  });
  return {
    send(msg) {
      return new Promise((resolve) => {
        waiting = (ack) => resolve(parseMessage(ack).get('MSA-1'));
        socket.write(mllpEncode(msg));
      });
    },
    close: () => socket.end(),
  };
}

async function main(): Promise<void> {
  const config = loadConfig({}, { YIWANG_MEMORY: '1', LOG_LEVEL: 'silent', YIWANG_DEMO: '0' });
  const yiwang = await buildApp(config, { logger: false });
  const server = await startMllpServer({ service: yiwang.hl7, tenant: config.tenant, port: 0 });
  const senders = await Promise.all(Array.from({ length: CONNECTIONS }, () => sender(server.port)));
  const latencies: number[] = [];
  const codes = new Map<string, number>();
  let next = 0;
  const run = async (s: (typeof senders)[number], total: number, record: boolean): Promise<void> => {
    while (next < total) {
      const n = next++;
      const t0 = performance.now();
      const code = await s.send(oru(n));
      if (record) {
        latencies.push(performance.now() - t0);
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    }
  };
  await Promise.all(senders.map((s) => run(s, WARMUP, false)));
  const started = performance.now();
  await Promise.all(senders.map((s) => run(s, WARMUP + MESSAGES, true)));
  const seconds = (performance.now() - started) / 1000;
  const lat = summarize(latencies);
  for (const s of senders) s.close();
  await server.close();
  const rows = await yiwang.db.query<{ n: string }>('SELECT count(*)::text AS n FROM "Observation"');
  await yiwang.close();
  console.log(`HL7 v2 ORU^R01 over MLLP on PGlite (in memory): ${MESSAGES} messages, ${CONNECTIONS} connections, ${PATIENTS} patients`);
  console.log(`  throughput      ${(MESSAGES / seconds).toFixed(1)} messages/s (${seconds.toFixed(1)} s)`);
  console.log(`  ACK latency     p50 ${lat.p50.toFixed(1)} ms, p99 ${lat.p99.toFixed(1)} ms, mean ${lat.mean.toFixed(1)} ms`);
  console.log(`  ACK codes       ${[...codes].map(([c, n]) => `${c} ${n}`).join(', ')}`);
  console.log(`  Observations    ${rows.rows[0]!.n} stored (warm-up included)`);
  // Does the cost grow with the data? Mean latency per tenth of the run, in order.
  const tenth = Math.max(1, Math.floor(latencies.length / 10));
  const trend = Array.from(
    { length: Math.ceil(latencies.length / tenth) },
    (_, i) => summarize(latencies.slice(i * tenth, (i + 1) * tenth)).mean,
  );
  console.log(`  mean per tenth  ${trend.map((t) => t.toFixed(0)).join(' ')} ms`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
