import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import {
  acceptMessage,
  ackCodeFor,
  buildAck,
  encodeText,
  parseMessage,
  ParseError,
  validateMessage,
  type Hl7Message,
} from '../src/platform/exchange/hl7v2/index.js';

const NOW = new Date('2024-03-15T01:30:00Z');
const FIXED = { now: NOW, utcOffsetMinutes: 480, controlId: 'ACK0001' };

const MSH = 'MSH|^~\\&|HIS|NCRMYY^1.2.156.1^ISO|YIWANG|PLATFORM|20240315093000+0800||ADT^A01^ADT_A01|ADT001|P|2.5';
const PID = 'PID|1||0012345^^^NCRMYY^MR||张三||19880315|M';
const PV1 = 'PV1|1|I|W1^0301^02||||||||||||||||V001|||||||||||||||||||||||||20240315090000';
const adt = (...segments: string[]): string => segments.join('\r');

/** Parses an ACK back and returns its parts for assertions. */
function readAck(ack: string): {
  msg: Hl7Message;
  errs: Array<{ erl: string; code: string; severity: string; text: string; eld: string }>;
} {
  const msg = parseMessage(ack);
  const errs = msg.segments('ERR').map((e) => ({
    eld: e.field(1).raw,
    erl: e.field(2).raw,
    code: e.get(3, 1),
    severity: e.get(4),
    text: e.get(8),
  }));
  return { msg, errs };
}

function ackFor(text: string): ReturnType<typeof readAck> & { code: string } {
  const r = acceptMessage(text, FIXED);
  return { ...readAck(r.ack), code: r.code };
}

describe('AA', () => {
  it('swaps sender and receiver and echoes the control id', () => {
    const r = acceptMessage(adt(MSH, 'EVN|A01|20240315093000', PID, PV1), FIXED);
    expect(r.code).toBe('AA');
    expect(r.errors).toEqual([]);
    const { msg, errs } = readAck(r.ack);
    expect(r.ack.split('\r')[0]).toBe('MSH|^~\\&|YIWANG|PLATFORM|HIS|NCRMYY^1.2.156.1^ISO|20240315093000+0800||ACK^A01^ACK|ACK0001|P|2.5');
    expect(msg.get('MSA-1')).toBe('AA');
    expect(msg.get('MSA-2')).toBe('ADT001');
    expect(errs).toEqual([]);
  });

  it('generates a control id and uses the given sending application', () => {
    const ack = buildAck(parseMessage(adt(MSH, PID, PV1)), { code: 'AA', sendingApplication: 'Yiwang^Hub' });
    const m = parseMessage(ack);
    expect(m.controlId).toMatch(/^[0-9A-Z]{8,20}$/);
    expect(m.get('MSH-3')).toBe('Yiwang^Hub');
    expect(m.segment('MSH')!.field(3).raw).toBe('Yiwang\\S\\Hub');
  });

  it('reports warnings in an AA', () => {
    const r = ackFor(adt(MSH, PID, PV1, 'OBR|1|P1|F1|X^Y', 'OBX|1|NM|A^B||>100|mg/L|||||F'));
    expect(r.code).toBe('AA');
    expect(r.errs).toHaveLength(1);
    expect(r.errs[0]).toMatchObject({ code: '102', severity: 'W', erl: 'OBX^1^5^1' });
  });
});

describe('AE / AR with ERR contents', () => {
  it('missing MSH → AR from what can be recovered', () => {
    const r = ackFor('PID|1||0012345||张三');
    expect(r.code).toBe('AR');
    expect(r.msg.get('MSA-1')).toBe('AR');
    expect(r.msg.get('MSA-2')).toBe('');
    expect(r.errs).toEqual([expect.objectContaining({ code: '100', erl: 'MSH^1', severity: 'E' })]);
    expect(r.errs[0]!.text).toMatch(/must begin with MSH/);
  });

  it('MSH not first → AR 100, header recovered from the misplaced MSH', () => {
    const r = ackFor(adt('EVN|A01|20240315093000', MSH, PID, PV1));
    expect(r.code).toBe('AR');
    expect(r.msg.get('MSA-2')).toBe('ADT001');
    expect(r.msg.get('MSH-5')).toBe('HIS');
    expect(r.msg.get('MSH-9.2')).toBe('A01');
    expect(r.errs).toEqual([expect.objectContaining({ code: '100', erl: 'MSH^1' })]);
  });

  it('broken encoding characters → AR with recovered header fields', () => {
    const r = ackFor(adt('MSH|^~\\|HIS|NCRMYY|YIWANG|PLATFORM|20240315093000||ADT^A01|CTRL9|P|2.5', PID));
    expect(r.code).toBe('AR');
    const msh = r.msg.header;
    expect(msh.get(3)).toBe('YIWANG');
    expect(msh.get(5)).toBe('HIS');
    expect(msh.get(9, 2)).toBe('A01');
    expect(r.msg.get('MSA-2')).toBe('CTRL9');
    expect(r.errs).toEqual([expect.objectContaining({ code: '102', erl: 'MSH^1^2^1' })]);
    expect(r.errs[0]!.text).toMatch(/MSH-2/);
  });

  it('garbage that is not HL7 at all → AR with defaults, never an exception', () => {
    for (const input of ['', 'hello', Buffer.from([0xff, 0xfe, 0x00, 0x1c]), 'MSH', 'MSH|']) {
      const ack = buildAck(input, { code: 'AR', ...FIXED });
      const m = parseMessage(ack);
      expect(m.get('MSA-1')).toBe('AR');
      expect(m.segments('ERR').length).toBeGreaterThan(0);
    }
  });

  it('missing PID → AE with code 100 at PID', () => {
    const r = ackFor(adt(MSH, 'EVN|A01|20240315093000', PV1));
    expect(r.code).toBe('AE');
    expect(r.errs).toContainEqual(expect.objectContaining({ code: '100', erl: 'PID^1', severity: 'E' }));
    expect(r.errs[0]!.text).toMatch(/PID/);
  });

  it('missing required field → AE 101 with its location', () => {
    const r = ackFor(adt(MSH, 'PID|1||||张三', PV1));
    expect(r.code).toBe('AE');
    expect(r.errs).toContainEqual(expect.objectContaining({ code: '101', erl: 'PID^1^3^1' }));
  });

  it('unknown event → AR 201 at MSH-9.2', () => {
    const r = ackFor(adt(MSH.replace('ADT^A01^ADT_A01', 'ADT^A02^ADT_A02'), PID, PV1));
    expect(r.code).toBe('AR');
    expect(r.msg.get('MSH-9.2')).toBe('A02');
    expect(r.errs).toEqual([expect.objectContaining({ code: '201', erl: 'MSH^1^9^1^2' })]);
    expect(r.errs[0]!.text).toMatch(/ADT\^A02/);
  });

  it('unknown message type → AR 200', () => {
    const r = ackFor(adt(MSH.replace('ADT^A01^ADT_A01', 'DFT^P03'), PID));
    expect(r.code).toBe('AR');
    expect(r.errs).toEqual([expect.objectContaining({ code: '200', erl: 'MSH^1^9^1^1' })]);
  });

  it('invalid date → AE 102 at the field', () => {
    const r = ackFor(adt(MSH, PID.replace('19880315', '19881345'), PV1));
    expect(r.code).toBe('AE');
    expect(r.errs).toEqual([expect.objectContaining({ code: '102', erl: 'PID^1^7^1' })]);
    expect(r.errs[0]!.text).toMatch(/19881345.*month/);
  });

  it('unsupported version → AR 203; unsupported processing id → AR 202', () => {
    const v = ackFor(adt(MSH.replace('|P|2.5', '|P|2.9'), PID, PV1));
    expect(v.code).toBe('AR');
    expect(v.errs).toEqual([expect.objectContaining({ code: '203', erl: 'MSH^1^12^1^1' })]);
    expect(v.msg.version).toBe('2.9');
    const p = ackFor(adt(MSH.replace('|P|2.5', '|X|2.5'), PID, PV1));
    expect(p.code).toBe('AR');
    expect(p.errs).toEqual([expect.objectContaining({ code: '202' })]);
    expect(p.msg.processingId).toBe('P');
  });

  it('missing control id → AR 101 at MSH-10', () => {
    const r = ackFor(adt(MSH.replace('|ADT001|', '||'), PID, PV1));
    expect(r.code).toBe('AR');
    expect(r.errs).toEqual([expect.objectContaining({ code: '101', erl: 'MSH^1^10^1' })]);
  });

  it('table value not found → AE 103', () => {
    const r = ackFor(adt(MSH, PID.replace('|M', '|Q'), PV1));
    expect(r.code).toBe('AE');
    expect(r.errs).toEqual([expect.objectContaining({ code: '103', erl: 'PID^1^8^1' })]);
  });

  it('segment order → AE 100', () => {
    const r = ackFor(adt(MSH, PV1, PID));
    expect(r.code).toBe('AE');
    expect(r.errs).toEqual([expect.objectContaining({ code: '100', erl: 'PV1^1' })]);
  });

  it('several errors give several ERR segments; caller-supplied issues are escaped', () => {
    const r = ackFor(adt(MSH, 'PID|1||||张三||19881345|Q', PV1));
    expect(r.errs.map((e) => e.code).sort()).toEqual(['101', '102', '103']);
    const ack = buildAck(parseMessage(adt(MSH, PID, PV1)), {
      code: 'AE',
      errors: [{ code: 207, message: 'store failed: a|b^c', location: { segment: 'PID', sequence: 1, field: 3, component: 1 } }],
      ...FIXED,
    });
    expect(ack).toContain('ERR||PID^1^3^1^1|207^Application internal error^HL70357|E||||store failed: a\\F\\b\\S\\c');
    expect(readAck(ack).errs[0]!.text).toBe('store failed: a|b^c');
  });

  it('adds ERR-1 and MSA-3 for messages older than v2.5', () => {
    const r = ackFor(adt(MSH.replace('|P|2.5', '|P|2.3'), PID.replace('19880315', '19881345'), PV1));
    expect(r.msg.get('MSA-3')).toMatch(/month/);
    expect(r.errs[0]!.eld).toBe('PID^1^7^102&Data type error&HL70357');
  });

  it('ackCodeFor maps problems to AA/AE/AR', () => {
    expect(ackCodeFor([])).toBe('AA');
    expect(ackCodeFor([new ParseError(102, 'x', { segment: 'OBX' }, 'W')])).toBe('AA');
    expect(ackCodeFor([new ParseError(101, 'x', { segment: 'PID' })])).toBe('AE');
    expect(ackCodeFor([new ParseError(101, 'x', { segment: 'MSH', field: 10 })])).toBe('AR');
    expect(ackCodeFor([{ code: 203, message: 'v' }])).toBe('AR');
  });
});

describe('encodings in ACKs', () => {
  it('answers with the sender’s encoding characters', () => {
    const text = 'MSH^~|\\&^SENDING^200M^RECEIVING^200^20120918173931-0500^^ADT~A24^2003582144^T^2.4\rPID^1^^11111^^SMITH~JOHN';
    const ack = buildAck(parseMessage(text), { code: 'AR', errors: validateMessage(parseMessage(text)), ...FIXED });
    expect(ack.startsWith('MSH^~|\\&^RECEIVING^200^SENDING^200M^')).toBe(true);
    const m = parseMessage(ack);
    expect(m.get('MSA-1')).toBe('AR');
    expect(m.get('MSA-2')).toBe('2003582144');
    expect(m.get('ERR-3')).toBe('201');
    expect(m.get('MSH-9')).toBe('ACK');
    expect(m.get('MSH-9.2')).toBe('A24');
  });

  it('GB18030 round trip: message in, ACK out in the same character set', () => {
    const text = adt(MSH.replace('|P|2.5', '|P|2.5|||AL|NE|CHN|GB18030').replace('NCRMYY^1.2.156.1^ISO', '南川区人民医院'), PID, PV1);
    const bytes = iconv.encode(text, 'gb18030');
    expect(bytes.includes(Buffer.from('张三', 'utf8'))).toBe(false);
    const r = acceptMessage(bytes, FIXED);
    expect(r.code).toBe('AA');
    expect(r.message!.charset).toBe('gb18030');
    expect(r.message!.get('PID-5')).toBe('张三');
    const out = encodeText(r.ack, r.message!.charset);
    const back = parseMessage(out);
    expect(back.charset).toBe('gb18030');
    expect(back.get('MSH-18')).toBe('GB18030');
    expect(back.get('MSH-5')).toBe('HIS');
    expect(back.get('MSH-6')).toBe('南川区人民医院');
  });
});

describe('robustness', () => {
  it('acceptMessage never throws on mutated input (seeded fuzz)', () => {
    const base = Buffer.from(adt(MSH, 'EVN|A01|20240315093000', PID, PV1, 'OBX|1|NM|A^B||1.5|mg/L|1-2|H|||F'), 'utf8');
    const specials = [0x7c, 0x5e, 0x7e, 0x5c, 0x26, 0x0d, 0x0a, 0x0b, 0x1c, 0x22, 0x30, 0xe5, 0xff];
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const codes = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const buf = Buffer.from(base);
      for (let j = 0, k = 1 + rnd(4); j < k; j++) buf[rnd(buf.length)] = specials[rnd(specials.length)]!;
      const input = rnd(4) === 0 ? buf.subarray(0, rnd(buf.length)) : buf;
      const r = acceptMessage(input, FIXED);
      codes.add(r.code);
      expect(parseMessage(r.ack).get('MSA-1')).toBe(r.code);
    }
    expect([...codes].sort()).toEqual(['AA', 'AE', 'AR']);
  });
});
