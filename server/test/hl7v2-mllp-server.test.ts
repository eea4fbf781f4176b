/** The MLLP listener over a real TCP socket on an ephemeral port. */
import { connect, type Socket } from 'node:net';
import type { Bundle } from '@medplum/fhirtypes';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { MllpDecoder, mllpEncode, parseMessage } from '../src/platform/exchange/hl7v2/index.js';
import { startMllpServer, type MllpServerDeps } from '../src/platform/exchange/hl7v2/mllp-server.js';
import { closeApps, ENGINES, testClient, type TestClient } from './helpers/db.js';
import { adt, oru, serviceFor } from './helpers/hl7v2.js';

afterAll(closeApps);

/** A sender: collects ACK frames as they arrive. */
async function sender(port: number): Promise<{ socket: Socket; acks(n: number): Promise<string[]>; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const decoder = new MllpDecoder();
  const frames: Buffer[] = [];
  let wake: () => void = () => undefined;
  socket.on('data', (chunk) => {
    for (const ev of decoder.push(chunk)) if (ev.type === 'message') frames.push(ev.payload);
    wake();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    closed,
    async acks(n) {
      const deadline = Date.now() + 20_000;
      while (frames.length < n) {
        if (Date.now() > deadline) throw new Error(`only ${frames.length} of ${n} ACKs`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
      return frames.splice(0, n).map((f) => parseMessage(f).get('MSA-1') + ' ' + parseMessage(f).get('MSA-2'));
    },
  };
}

async function start(client: TestClient, extra: Partial<MllpServerDeps> = {}) {
  return startMllpServer({ service: serviceFor(client), tenant: client.tenant, port: 0, ...extra });
}

describe.each(ENGINES)('MLLP listener on %s', (engine) => {
  it('two messages in one TCP write, and one message split across writes: one ACK each, in order', async () => {
    const client = await testClient(engine);
    const server = await start(client);
    try {
      const s = await sender(server.port);
      s.socket.write(Buffer.concat([mllpEncode(adt('A01', 'T-1')), mllpEncode(oru('T-2'))]));
      expect(await s.acks(2)).toEqual(['AA T-1', 'AA T-2']);
      const frame = mllpEncode(adt('A08', 'T-3'));
      for (const [from, to] of [
        [0, 1],
        [1, 40],
        [40, frame.length - 1],
        [frame.length - 1, frame.length],
      ]) {
        s.socket.write(frame.subarray(from, to));
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await s.acks(1)).toEqual(['AA T-3']);
      // Garbage between frames is ignored; a resend is answered (and not applied twice).
      s.socket.write(Buffer.concat([Buffer.from('noise\r\n'), mllpEncode(oru('T-2'))]));
      expect(await s.acks(1)).toEqual(['AA T-2']);
      s.socket.end();
      await s.closed;
      const obs = await client.get('Observation');
      expect((obs.json() as Bundle).entry).toHaveLength(2);
      const log = await client.get('/hl7/v2/messages');
      const messages = log.json().messages as Array<{ transport: string; controlId: string; duplicateOf?: string }>;
      expect(messages.map((m) => m.controlId).sort()).toEqual(['T-1', 'T-2', 'T-2', 'T-3']);
      expect(messages.every((m) => m.transport === 'mllp')).toBe(true);
      expect(messages.filter((m) => m.duplicateOf)).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('GB18030 in, GB18030 ACK out; an oversize frame is answered AR; the last message before a half-close is answered', async () => {
    const client = await testClient(engine);
    const service = serviceFor(client);
    const server = await startMllpServer({ service, tenant: client.tenant, port: 0, maxFrameBytes: 4096 });
    try {
      const s = await sender(server.port);
      const text = adt('A04', 'G-1', 'MRN-G', 'V-G', '赵六').replace('|P|2.5', '|P|2.5||||||GB18030');
      s.socket.write(mllpEncode(iconv.encode(text, 'gb18030')));
      expect(await s.acks(1)).toEqual(['AA G-1']);
      const big = adt('A08', 'BIG-1') + '\r' + `NTE|1||${'x'.repeat(5000)}`;
      s.socket.write(mllpEncode(big));
      expect(await s.acks(1)).toEqual(['AR BIG-1']);
      s.socket.end(mllpEncode(oru('G-2')));
      expect(await s.acks(1)).toEqual(['AA G-2']);
      await s.closed;
      const log = await service.list(client.tenant);
      expect(log.map((l) => `${l.controlId} ${l.outcome} ${l.transport}`).sort()).toEqual(['BIG-1 AR mllp', 'G-1 AA mllp', 'G-2 AA mllp']);
      expect(log.every((l) => /^127\.0\.0\.1:\d+$/.test(l.peer ?? ''))).toBe(true);
      expect(log.find((l) => l.controlId === 'BIG-1')!.errors[0]!.message).toMatch(/larger than 4096 bytes/);
    } finally {
      await server.close();
    }
  });

  it('closes idle connections', async () => {
    const client = await testClient(engine);
    const server = await start(client, { idleTimeoutMs: 200 });
    try {
      const s = await sender(server.port);
      const started = Date.now();
      await s.closed;
      expect(Date.now() - started).toBeLessThan(5000);
      for (let i = 0; i < 50 && server.connections > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(server.connections).toBe(0);
    } finally {
      await server.close();
    }
  });
});
