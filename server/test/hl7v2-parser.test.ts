import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import {
  checkHl7DateTime,
  escapeValue,
  isChineseResidentId,
  parseBatch,
  parseMessage,
  ParseError,
  splitChineseName,
  toFhirDate,
  toFhirDateTime,
  toFhirInstant,
  unescapeValue,
  DEFAULT_ENCODING,
} from '../src/platform/exchange/hl7v2/index.js';

const ADT = [
  'MSH|^~\\&|HIS|南川区人民医院|YIWANG|县域平台|20240315093000+0800||ADT^A01^ADT_A01|ADT001|P|2.5|||AL|NE|CHN|UNICODE UTF-8',
  'EVN|A01|20240315093000',
  'PID|1||0012345^^^NCRMYY^MR~500119198803150011^^^^NNCHN||张三^^^^^^L~ZHANG^SAN^^^^^A||19880315|M',
  'PV1|1|I|内科一病区^0301^02||||D001^李^四|||MED||||1|||||V20240315001',
  'OBX|1|NM|8302-2^身高^LN||172|cm||||F',
  'OBX|2|NM|29463-7^体重^LN||65|kg||||F',
];

function expectParseError(fn: () => unknown, code: number, segment?: string, field?: number): ParseError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ParseError);
    const pe = e as ParseError;
    expect(pe.code).toBe(code);
    if (segment !== undefined) expect(pe.location.segment).toBe(segment);
    if (field !== undefined) expect(pe.location.field).toBe(field);
    return pe;
  }
  throw new Error('expected a ParseError');
}

describe('segment separators and BOM', () => {
  for (const [name, sep] of [
    ['CR', '\r'],
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ] as const) {
    it(`splits segments on ${name}`, () => {
      const msg = parseMessage(ADT.join(sep) + sep + sep);
      expect(msg.segments().map((s) => s.name)).toEqual(['MSH', 'EVN', 'PID', 'PV1', 'OBX', 'OBX']);
      expect(msg.toString()).toBe(ADT.join('\r'));
    });
  }

  it('accepts mixed separators and blank lines', () => {
    const text = `${ADT[0]}\r\n${ADT[1]}\n\n${ADT[2]}\r${ADT[3]}`;
    expect(parseMessage(text).segments()).toHaveLength(4);
  });

  it('strips a UTF-8 BOM from strings and buffers, and MLLP framing bytes', () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(ADT.join('\n'), 'utf8')]);
    expect(parseMessage(withBom).get('PID-5.1')).toBe('张三');
    expect(parseMessage('\ufeff' + ADT.join('\r')).messageType).toBe('ADT');
    expect(parseMessage('\x0b' + ADT.join('\r') + '\x1c\r').controlId).toBe('ADT001');
  });
});

describe('accessors', () => {
  const msg = parseMessage(ADT.join('\r'));

  it('reads MSH fields with HL7 numbering', () => {
    expect(msg.get('MSH-1')).toBe('|');
    expect(msg.get('MSH-2')).toBe('^~\\&');
    expect(msg.get('MSH-3')).toBe('HIS');
    expect(msg.get('MSH-9.2')).toBe('A01');
    expect(msg.messageType).toBe('ADT');
    expect(msg.triggerEvent).toBe('A01');
    expect(msg.messageStructure).toBe('ADT_A01');
    expect(msg.controlId).toBe('ADT001');
    expect(msg.version).toBe('2.5');
    expect(msg.processingId).toBe('P');
    expect(msg.declaredCharset).toBe('UNICODE UTF-8');
  });

  it('reads components, repetitions and segment occurrences', () => {
    expect(msg.get('PID-5')).toBe('张三');
    expect(msg.get('PID-5.1')).toBe('张三');
    expect(msg.get('PID-5[2].1')).toBe('ZHANG');
    expect(msg.get('PID-5(2).2')).toBe('SAN');
    expect(msg.get('PID-3[2].5')).toBe('NNCHN');
    expect(msg.get('PID-3(2)-1')).toBe('500119198803150011');
    expect(msg.getRepetitions('PID-3.1')).toEqual(['0012345', '500119198803150011']);
    expect(msg.get('OBX(2)-5')).toBe('65');
    expect(msg.get('OBX[2]-3.2')).toBe('体重');
    expect(msg.segments('OBX').map((s) => s.get(5))).toEqual(['172', '65']);
    expect(msg.segment('OBX', 2)?.occurrence).toBe(2);
    expect(msg.segment('OBX', 3)).toBeUndefined();
    expect(msg.get('ZZZ-1')).toBe('');
    expect(msg.get('PID-99.9')).toBe('');
  });

  it('exposes fields, repetitions and raw text', () => {
    const pid = msg.segment('PID')!;
    const ids = pid.field(3);
    expect(ids.repetitions).toHaveLength(2);
    expect(ids.rep(2).component(1)).toBe('500119198803150011');
    expect(ids.raw).toBe('0012345^^^NCRMYY^MR~500119198803150011^^^^NNCHN');
    expect(pid.field(5).rep(2).raw).toBe('ZHANG^SAN^^^^^A');
    expect(pid.field(30).isEmpty).toBe(true);
    expect(pid.get(5, 1, 1, 2)).toBe('ZHANG');
    expect(pid.fieldCount).toBe(8);
    expect(pid.toString()).toBe(ADT[2]);
  });

  it('rejects invalid paths', () => {
    expect(() => msg.get('PID')).toThrow(TypeError);
    expect(() => msg.get('PID-0')).toThrow(TypeError);
    expect(() => msg.get('pid-5')).toThrow(TypeError);
  });

  it('treats "" (explicit null) as empty but reports it', () => {
    const m = parseMessage(`${ADT[0]}\rPID|1||123||""||""`);
    expect(m.get('PID-5')).toBe('');
    expect(m.segment('PID')!.field(5).isNull).toBe(true);
    expect(m.segment('PID')!.field(5).isEmpty).toBe(true);
  });
});

describe('escape sequences', () => {
  const enc = DEFAULT_ENCODING;

  it('decodes delimiter escapes', () => {
    expect(unescapeValue('A\\F\\B\\S\\C\\T\\D\\R\\E\\E\\', enc)).toBe('A|B^C&D~E\\');
  });

  it('decodes hex, line breaks and formatting', () => {
    expect(unescapeValue('line1\\X0D0A\\line2', enc)).toBe('line1\r\nline2');
    expect(unescapeValue('a\\.br\\b\\.sp 2\\c', enc)).toBe('a\nb\n\nc');
    expect(unescapeValue('\\H\\bold\\N\\ normal\\.in+4\\', enc)).toBe('bold normal');
    expect(unescapeValue('\\XE5BCA0\\', enc)).toBe('张');
    expect(unescapeValue('\\XD5C5\\', enc, 'gb18030')).toBe('张');
  });

  it('keeps local and malformed sequences as they are', () => {
    expect(unescapeValue('\\Zlocal\\', enc)).toBe('\\Zlocal\\');
    expect(unescapeValue('C:\\temp', enc)).toBe('C:\\temp');
    expect(unescapeValue('\\Q\\', enc)).toBe('\\Q\\');
    expect(unescapeValue('\\X0\\', enc)).toBe('\\X0\\');
  });

  it('round-trips through escapeValue', () => {
    const value = 'a|b^c&d~e\\f\r\n张三';
    const escaped = escapeValue(value, enc);
    expect(escaped).not.toMatch(/[|^&~\r\n]/);
    expect(unescapeValue(escaped, enc)).toBe(value);
  });

  it('decodes escapes inside parsed fields, with the sender’s escape character', () => {
    const m = parseMessage(`${ADT[0]}\rOBX|1|FT|X^Y||第一行\\.br\\第二行 A\\T\\E\\F\\||||||F`);
    expect(m.get('OBX-5')).toBe('第一行\n第二行 A&E|');
    const custom = parseMessage('MSH|^~!&|A|B|C|D|20240101||ADT^A01|1|P|2.5\rPID|1||1||X!F!Y!S!Z!E!');
    expect(custom.get('PID-5')).toBe('X|Y^Z!');
  });
});

describe('custom encoding characters', () => {
  it('parses a message whose field separator is ^ and component separator ~', () => {
    const text = [
      'MSH^~|\\&^SENDING^200M^RECEIVING^200^20120918173931-0500^^ADT~A24^2003582144^T^2.4^^^AL^AL^',
      'EVN^A24^20120918173931-0500',
      'PID^1^^11111~~~FOO&&0363~NI~FACILITY ID&200M&L|22222^^SMITH~JOHN~TEST',
    ].join('\r\n');
    const m = parseMessage(text);
    expect(m.encoding).toMatchObject({ field: '^', component: '~', repetition: '|', escape: '\\', subcomponent: '&' });
    expect(m.messageType).toBe('ADT');
    expect(m.triggerEvent).toBe('A24');
    expect(m.get('PID-3.1')).toBe('11111');
    expect(m.get('PID-3.4.3')).toBe('0363');
    expect(m.get('PID-3[2].1')).toBe('22222');
    expect(m.get('PID-5.2')).toBe('JOHN');
    expect(m.toString()).toBe(text.replace(/\r\n/g, '\r'));
  });

  it('parses unusual but valid delimiter choices, including the v2.7 truncation character', () => {
    const m = parseMessage('MSH#$%@*!#APP#FAC#R#RF#20240101##ORU$R01#9#P#2.7\rPID#1##A$B%C$D##N1$N2');
    expect(m.encoding).toMatchObject({ field: '#', component: '$', repetition: '%', escape: '@', subcomponent: '*', truncation: '!' });
    expect(m.get('PID-3[2].2')).toBe('D');
    expect(m.get('PID-5.2')).toBe('N2');
  });

  it.each([
    ['MSH|^~\\|APP', 'MSH-2 with 3 characters'],
    ['MSH|^^\\&|APP', 'duplicate characters'],
    ['MSH|^~A&|APP', 'alphanumeric character'],
    ['MSH|^~\\&!?|APP', 'too many characters'],
  ])('rejects broken encoding characters: %s (%s)', (header) => {
    expectParseError(() => parseMessage(`${header}|x|y|z|20240101||ADT^A01|1|P|2.5`), 102, 'MSH', 2);
  });

  it('rejects a missing field separator', () => {
    expectParseError(() => parseMessage('MSH'), 101, 'MSH', 1);
    expectParseError(() => parseMessage('MSHA^~\\&'), 102, 'MSH', 1);
  });
});

describe('structural errors', () => {
  it('requires MSH first', () => {
    expectParseError(() => parseMessage('PID|1||123'), 100, 'MSH');
    expectParseError(() => parseMessage(''), 100, 'MSH');
    expectParseError(() => parseMessage('   \r\n'), 100, 'MSH');
    const e = expectParseError(() => parseMessage('BHS|^~\\&|A\rMSH|^~\\&|A'), 100, 'MSH');
    expect(e.message).toMatch(/parseBatch/);
  });

  it('rejects invalid segment ids and a second MSH', () => {
    const e = expectParseError(() => parseMessage(`${ADT[0]}\rthis is not a segment`), 100);
    expect(e.location.sequence).toBe(2);
    expectParseError(() => parseMessage(`${ADT[0]}\r${ADT[0]}`), 100, 'MSH');
    expectParseError(() => parseMessage(`${ADT[0]}\rBTS|1`), 100, 'BTS');
  });

  it('has a location in its message and JSON', () => {
    const e = expectParseError(() => parseMessage('MSH|^~|A'), 102, 'MSH', 2);
    expect(e.message).toMatch(/^MSH-2: /);
    expect(e.toJSON()).toMatchObject({ code: 102, codeText: 'Data type error', location: { segment: 'MSH', field: 2 } });
  });
});

describe('batches', () => {
  const msh = (id: string): string => `MSH|^~\\&|A|B|C|D|20240101||ADT^A04|${id}|P|2.5`;
  const pid = 'PID|1||123||王五';

  it('splits FHS/BHS/BTS/FTS files into messages', () => {
    const text = ['FHS|^~\\&|A', 'BHS|^~\\&|A', msh('1'), pid, msh('2'), pid, 'BTS|2', 'BHS|^~\\&|A', msh('3'), pid, 'BTS|1', 'FTS|2'].join(
      '\r',
    );
    const b = parseBatch(text);
    expect(b.fileHeader?.name).toBe('FHS');
    expect(b.batches.map((x) => x.messages.length)).toEqual([2, 1]);
    expect(b.messages.map((m) => m.controlId)).toEqual(['1', '2', '3']);
    expect(b.messages[2]!.get('PID-5')).toBe('王五');
  });

  it('accepts plain concatenated messages and missing trailers', () => {
    expect(parseBatch([msh('1'), pid, msh('2'), pid].join('\n')).messages).toHaveLength(2);
    expect(parseBatch(['BHS|^~\\&|A', msh('1'), pid].join('\n')).messages).toHaveLength(1);
    expect(parseBatch(['FHS|^~\\&|A', 'BHS|^~\\&|A', msh('1'), pid, 'FTS|1'].join('\n')).messages).toHaveLength(1);
    expect(parseBatch(msh('1')).messages).toHaveLength(1);
  });

  it('rejects misplaced envelopes, orphan segments and wrong counts', () => {
    expectParseError(() => parseBatch(['BHS|^~\\&|A', 'EVN|A04', pid].join('\r')), 100, 'EVN');
    expectParseError(() => parseBatch(['BHS|^~\\&|A', msh('1'), 'BHS|^~\\&|A', msh('2')].join('\r')), 100, 'BHS');
    expectParseError(() => parseBatch(['FHS|^~\\&|A', msh('1'), 'FHS|^~\\&|A'].join('\r')), 100, 'FHS');
    expectParseError(() => parseBatch(['BHS|^~\\&|A', msh('1'), pid, 'BTS|3'].join('\r')), 100, 'BTS', 1);
    expectParseError(() => parseBatch(['FHS|^~\\&|A', msh('1'), 'FTS|1', msh('2')].join('\r')), 100, 'FTS');
    const e = expectParseError(() => parseBatch([msh('1'), pid, 'MSH|^~|A'].join('\r')), 102, 'MSH', 2);
    expect(e.message).toMatch(/message 2/);
  });
});

describe('character sets', () => {
  const gbText = ADT.join('\r').replace('UNICODE UTF-8', 'GB18030');

  it('decodes GB18030 bytes named in MSH-18', () => {
    const bytes = iconv.encode(gbText, 'gb18030');
    const m = parseMessage(bytes);
    expect(m.charset).toBe('gb18030');
    expect(m.get('MSH-4')).toBe('南川区人民医院');
    expect(m.get('PID-5')).toBe('张三');
    expect(m.get('PV1-3.1')).toBe('内科一病区');
    expect(m.toString()).toBe(gbText);
  });

  it('reads MSH-18 even when a GB18030 trail byte equals a delimiter', () => {
    // 亅 = 81 7C ('|' as trail byte), 乛 = 81 5E ('^'), 乗 = 81 5C ('\').
    const text = gbText.replace('南川区人民医院', '亅乛乗医院');
    const m = parseMessage(iconv.encode(text, 'gb18030'));
    expect(m.charset).toBe('gb18030');
    expect(m.get('MSH-4')).toBe('亅乛乗医院');
    expect(m.get('MSH-18')).toBe('GB18030');
  });

  it('falls back to GB18030 for non-UTF-8 bytes without MSH-18, and to UTF-8 otherwise', () => {
    const noCharset = ADT.join('\r').replace('|UNICODE UTF-8', '');
    expect(parseMessage(iconv.encode(noCharset, 'gb18030')).get('PID-5')).toBe('张三');
    expect(parseMessage(iconv.encode(noCharset, 'gb18030')).charset).toBe('gb18030');
    expect(parseMessage(Buffer.from(noCharset, 'utf8')).charset).toBe('utf-8');
    const ascii = noCharset + '|ASCII';
    expect(parseMessage(iconv.encode(ascii, 'gb18030')).get('PID-5')).toBe('张三');
  });

  it('decodes 8859/1', () => {
    const text = 'MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5||||||8859/1\rPID|1||1||MÜLLER^JOSÉ';
    const m = parseMessage(iconv.encode(text, 'latin1'));
    expect(m.charset).toBe('iso-8859-1');
    expect(m.get('PID-5.2')).toBe('JOSÉ');
  });
});

describe('dates and times', () => {
  it.each([
    '2024',
    '202403',
    '20240315',
    '2024031509',
    '202403150930',
    '20240315093005',
    '20240315093005.1234',
    '20240315093005+0800',
    '2024-0500',
    '20240229',
  ])('accepts %s', (v) => expect(checkHl7DateTime(v)).toBeUndefined());

  it.each([
    '19881345',
    '20230229',
    '2024031525',
    '202403150960',
    '20240315093060',
    '20240315093005+1500',
    '196203520',
    '2024-03-15',
    'abc',
    '0000',
    '20240315093005.12345',
  ])('rejects %s', (v) => expect(checkHl7DateTime(v)).toBeTypeOf('string'));

  it('checks DT without time', () => {
    expect(checkHl7DateTime('20240315', 'DT')).toBeUndefined();
    expect(checkHl7DateTime('2024031509', 'DT')).toBeTypeOf('string');
  });

  it('converts to FHIR', () => {
    expect(toFhirDate('19880315093000+0800')).toBe('1988-03-15');
    expect(toFhirDate('198803')).toBe('1988-03');
    expect(toFhirDateTime('20240315093005.12+0530')).toBe('2024-03-15T09:30:05.12+05:30');
    expect(toFhirDateTime('2024031509')).toBe('2024-03-15T09:00:00+08:00');
    expect(toFhirDateTime('20240315', '+00:00')).toBe('2024-03-15');
    expect(toFhirDateTime('bad')).toBeUndefined();
    expect(toFhirInstant('20240315')).toBeUndefined();
    expect(toFhirInstant('202403150930-0500')).toBe('2024-03-15T09:30:00-05:00');
  });
});

describe('Chinese helpers', () => {
  it('checks resident ID numbers (GB 11643)', () => {
    expect(isChineseResidentId('500119198803150011')).toBe(true);
    expect(isChineseResidentId('11010519491231002x')).toBe(true);
    expect(isChineseResidentId('500119198803150012')).toBe(false); // check digit
    expect(isChineseResidentId('500119198813150011')).toBe(false); // month 13
    expect(isChineseResidentId('12345')).toBe(false);
  });

  it('splits Chinese full names', () => {
    expect(splitChineseName('张三')).toEqual({ family: '张', given: '三' });
    expect(splitChineseName('欧阳娜娜')).toEqual({ family: '欧阳', given: '娜娜' });
    expect(splitChineseName('司马')).toEqual({ family: '司', given: '马' });
    expect(splitChineseName('买买提·艾力')).toBeUndefined();
    expect(splitChineseName('Smith')).toBeUndefined();
  });
});
