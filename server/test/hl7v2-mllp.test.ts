import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { MllpDecoder, mllpEncode, parseMessage, type MllpEvent } from '../src/platform/exchange/hl7v2/index.js';

const M1 = 'MSH|^~\\&|LIS|H|YW|P|20240316101500||ORU^R01|1|P|2.5\rPID|1||123||李四';
const M2 = 'MSH|^~\\&|HIS|H|YW|P|20240316101600||ADT^A08|2|P|2.5\rPID|1||456||王五';

const messages = (events: MllpEvent[]): string[] =>
  events.filter((e) => e.type === 'message').map((e) => (e as { payload: Buffer }).payload.toString('utf8'));
const garbage = (events: MllpEvent[]): Array<{ text: string; reason: string }> =>
  events.flatMap((e) => (e.type === 'garbage' ? [{ text: e.bytes.toString('latin1'), reason: e.reason }] : []));

describe('mllpEncode', () => {
  it('frames with VT … FS CR', () => {
    const f = mllpEncode('MSH|x');
    expect([...f]).toEqual([0x0b, ...Buffer.from('MSH|x'), 0x1c, 0x0d]);
  });

  it('encodes strings in the given character set and passes buffers through', () => {
    const f = mllpEncode(M1, 'GB18030');
    expect(f.subarray(1, -2).equals(iconv.encode(M1, 'gb18030'))).toBe(true);
    expect(parseMessage(f.subarray(1, -2)).get('PID-5')).toBe('李四');
    const raw = Buffer.from([1, 2, 3]);
    expect([...mllpEncode(raw)]).toEqual([0x0b, 1, 2, 3, 0x1c, 0x0d]);
  });
});

describe('MllpDecoder', () => {
  const stream = Buffer.concat([mllpEncode(M1), mllpEncode(M2)]);

  it('decodes one frame per chunk and coalesced frames', () => {
    const d = new MllpDecoder();
    expect(messages(d.push(mllpEncode(M1)))).toEqual([M1]);
    expect(messages(d.push(stream))).toEqual([M1, M2]);
    expect(d.end()).toEqual([]);
  });

  it('decodes frames split at every possible position (including between FS and CR)', () => {
    for (let cut = 1; cut < stream.length; cut++) {
      const d = new MllpDecoder();
      const events = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut)), ...d.end()];
      expect(messages(events), `cut at ${cut}`).toEqual([M1, M2]);
      expect(garbage(events), `cut at ${cut}`).toEqual([]);
    }
  });

  it('decodes a stream fed one byte at a time', () => {
    const d = new MllpDecoder();
    const events: MllpEvent[] = [];
    for (const b of stream) events.push(...d.push(Buffer.from([b])));
    events.push(...d.end());
    expect(messages(events)).toEqual([M1, M2]);
    expect(garbage(events)).toEqual([]);
  });

  it('reports garbage between frames and before the first frame', () => {
    const d = new MllpDecoder();
    const input = Buffer.concat([Buffer.from('noise'), mllpEncode(M1), Buffer.from('\r\n'), mllpEncode(M2), Buffer.from('tail')]);
    const events = [...d.push(input), ...d.end()];
    expect(messages(events)).toEqual([M1, M2]);
    expect(garbage(events)).toEqual([
      { text: 'noise', reason: 'outside-frame' },
      { text: '\r\n', reason: 'outside-frame' },
      { text: 'tail', reason: 'outside-frame' },
    ]);
    expect(events.map((e) => e.type)).toEqual(['garbage', 'message', 'garbage', 'message', 'garbage']);
  });

  it('reports a frame cut by a new start block, and an unfinished frame at the end', () => {
    const d = new MllpDecoder();
    const cut = Buffer.concat([
      Buffer.from([0x0b]),
      Buffer.from('MSH|partial'),
      mllpEncode(M1),
      Buffer.from([0x0b]),
      Buffer.from('MSH|unfinished'),
    ]);
    const events = d.push(cut);
    expect(garbage(events)).toEqual([{ text: 'MSH|partial', reason: 'unterminated' }]);
    expect(messages(events)).toEqual([M1]);
    expect(d.buffered).toBe('MSH|unfinished'.length);
    expect(garbage(d.end())).toEqual([{ text: 'MSH|unfinished', reason: 'unterminated' }]);
  });

  it('accepts FS without CR unless strict', () => {
    const body = Buffer.concat([Buffer.from([0x0b]), Buffer.from(M1), Buffer.from([0x1c]), mllpEncode(M2)]);
    expect(messages(new MllpDecoder().push(body))).toEqual([M1, M2]);
    const strict = new MllpDecoder({ lenientEnd: false });
    const events = [
      ...strict.push(
        Buffer.concat([Buffer.from([0x0b]), Buffer.from('A'), Buffer.from([0x1c]), Buffer.from('B'), Buffer.from([0x1c, 0x0d])]),
      ),
    ];
    expect(messages(events)).toEqual(['A\x1cB']);
  });

  it('drops frames larger than maxFrameBytes and recovers at the next frame', () => {
    const d = new MllpDecoder({ maxFrameBytes: 20 });
    const big = mllpEncode('X'.repeat(100));
    const events = [...d.push(big.subarray(0, 50)), ...d.push(big.subarray(50)), ...d.push(mllpEncode('MSH|small'))];
    expect(events.filter((e) => e.type === 'garbage').map((e) => (e as { reason: string }).reason)).toEqual(['too-large']);
    expect(messages(events)).toEqual(['MSH|small']);
  });

  it('keeps GB18030 payloads byte-exact', () => {
    const payload = iconv.encode(M2, 'gb18030');
    const framed = mllpEncode(payload);
    const d = new MllpDecoder();
    const events = [...d.push(framed.subarray(0, 7)), ...d.push(framed.subarray(7))];
    const msg = events.find((e) => e.type === 'message') as { payload: Buffer };
    expect(msg.payload.equals(payload)).toBe(true);
    expect(parseMessage(msg.payload).get('PID-5')).toBe('王五');
  });
});
