/**
 * DICOM ECG waveforms (12-lead ECG Waveform Storage 1.2.840.10008.5.1.4.1.1.9.1.1, General ECG 9.1.2), read with
 * dicom-parser (Orthanc is not needed for ECG: the tracing is stored as FHIR, the original file in a DocumentReference). The
 * Waveform Sequence (5400,0100) holds multiplex groups; the first ORIGINAL group is the recording (a DERIVED group is
 * usually a median beat). Samples are interleaved channel by channel; each channel's definition names its lead
 * (Channel Source, SCPECG or MDC codes, or the code meaning) and its sensitivity in µV (or mV) per unit.
 */
import dicomParser, { type DataSet } from 'dicom-parser';
import { dicomDate, dicomDateTime, parsePersonName } from '../../platform/exchange/dicomweb/dicom.js';
import { badRequest } from '../../platform/fhir/outcomes.js';
import { leadOf, type Lead } from './model.js';
import type { RawTracing } from './tracing.js';

export const ECG_SOP_CLASSES: Record<string, string> = {
  '1.2.840.10008.5.1.4.1.1.9.1.1': '12-lead ECG Waveform Storage',
  '1.2.840.10008.5.1.4.1.1.9.1.2': 'General ECG Waveform Storage',
};

/** SCP-ECG lead numbers (the code values DICOM CID 3001 uses, '5.6.3-9-n'), which are also the MDC lead offsets. */
const SCPECG: Record<number, Lead> = {
  1: 'I',
  2: 'II',
  61: 'III',
  62: 'aVR',
  63: 'aVL',
  64: 'aVF',
  3: 'V1',
  4: 'V2',
  5: 'V3',
  6: 'V4',
  7: 'V5',
  8: 'V6',
};

const UNIT_TO_UV: Record<string, number> = { uV: 1, mV: 1000, V: 1_000_000 };

function parse(file: Buffer): DataSet {
  try {
    return dicomParser.parseDicom(new Uint8Array(file.buffer, file.byteOffset, file.byteLength));
  } catch (err) {
    throw badRequest(
      `The file cannot be read as DICOM (${String((err as Error)?.message ?? err).slice(0, 120)}) — 文件已损坏，无法读取`,
      'file',
    );
  }
}

function leadOfChannel(def: DataSet): string {
  const source = def.elements['x003a0208']?.items?.[0]?.dataSet;
  const code = source?.string('x00080100') ?? '';
  const scp = /^5\.6\.3-9-(\d+)$/.exec(code) ?? /^2:(\d+)$/.exec(code);
  const byCode = scp ? SCPECG[Number(scp[1])] : undefined;
  return byCode ?? leadOf(source?.string('x00080104') ?? '') ?? def.string('x003a0203') ?? source?.string('x00080104') ?? code ?? '?';
}

/** Reads the samples of one channel from the interleaved waveform data. */
function channelSamples(group: DataSet, data: Uint8Array, channel: number, channels: number, samples: number): number[] {
  const bits = group.uint16('x54001004');
  const interp = group.string('x54001006');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Array<number>(samples);
  for (let s = 0; s < samples; s++) {
    const i = s * channels + channel;
    if (bits === 16) out[s] = interp === 'US' ? view.getUint16(i * 2, true) : view.getInt16(i * 2, true);
    else out[s] = interp === 'UB' ? view.getUint8(i) : view.getInt8(i);
  }
  return out;
}

export function parseDicomEcg(file: Buffer): RawTracing {
  const ds = parse(file);
  const sop = ds.string('x00080016') ?? ds.string('x00020002') ?? '';
  if (!ECG_SOP_CLASSES[sop])
    throw badRequest(
      `The DICOM file is of SOP class ${sop || 'unknown'} (modality ${ds.string('x00080060') ?? 'none'}), not an ECG waveform (${Object.keys(ECG_SOP_CLASSES).join(' or ')}) — 该DICOM文件不是心电图波形`,
      'file',
    );
  const groups = ds.elements['x54000100']?.items?.map((i) => i.dataSet).filter((d): d is DataSet => !!d) ?? [];
  const group = groups.find((g) => g.string('x003a0004') === 'ORIGINAL') ?? groups[0];
  if (!group) throw badRequest('The DICOM ECG has no Waveform Sequence (5400,0100) — 心电图文件没有波形数据', 'file');
  const bits = group.uint16('x54001004');
  const interp = group.string('x54001006') ?? '';
  if (!((bits === 16 && ['SS', 'US'].includes(interp)) || (bits === 8 && ['SB', 'UB'].includes(interp))))
    throw badRequest(
      `Waveform samples of ${bits} bits '${interp}' are not supported (16-bit SS/US or 8-bit SB/UB) — 不支持的波形采样格式`,
      'file',
    );
  const channels = group.uint16('x003a0005') ?? 0;
  const samples = group.uint32('x003a0010') ?? 0;
  const rate = Number(group.string('x003a001a'));
  const element = group.elements['x54001010'];
  const defs = group.elements['x003a0200']?.items?.map((i) => i.dataSet).filter((d): d is DataSet => !!d) ?? [];
  if (!element || !channels || !samples || defs.length !== channels || element.length < channels * samples * (bits / 8))
    throw badRequest('The DICOM ECG waveform is incomplete (channels, samples or data missing) — 心电图波形数据不完整', 'file');
  const data = ds.byteArray.subarray(element.dataOffset, element.dataOffset + element.length);
  // One amplitude scale for the whole tracing: the channels' sensitivity × correction, in µV (a 12-lead recorder uses
  // one for all; a file that mixes them is refused rather than drawn wrong).
  const scales = defs.map((d) => {
    const unit = d.elements['x003a0211']?.items?.[0]?.dataSet?.string('x00080100') ?? 'uV';
    return {
      factor: Number(d.string('x003a0210') ?? 1) * Number(d.string('x003a0212') ?? 1) * (UNIT_TO_UV[unit] ?? NaN),
      origin: Number(d.string('x003a0213') ?? 0) * (UNIT_TO_UV[unit] ?? NaN),
    };
  });
  const first = scales[0]!;
  if (scales.some((s) => Math.abs(s.factor - first.factor) > 1e-9 || s.origin !== first.origin))
    throw badRequest('The channels of the DICOM ECG use different sensitivities (各导联灵敏度不一致)', 'file');
  const leads = defs.map((d, c) => ({ name: leadOfChannel(d), samples: channelSamples(group, data, c, channels, samples) }));
  const name = parsePersonName(ds.string('x00100010'));
  const acquiredAt =
    dicomDateTime(ds.string('x0008002a')?.slice(0, 8), ds.string('x0008002a')?.slice(8)) ??
    dicomDateTime(ds.string('x00080023'), ds.string('x00080033'));
  const sex = ds.string('x00100040')?.toUpperCase();
  return {
    format: 'dicom',
    sampleRate: rate,
    factor: first.factor,
    origin: first.origin,
    leads,
    measurements: {},
    ...(acquiredAt ? { acquiredAt } : {}),
    patient: {
      ...(ds.string('x00100020') ? { id: ds.string('x00100020') } : {}),
      ...(name.text ? { name: name.text } : {}),
      ...(dicomDate(ds.string('x00100030')) ? { birthDate: dicomDate(ds.string('x00100030')) } : {}),
      ...(sex === 'M' ? { gender: 'male' } : sex === 'F' ? { gender: 'female' } : {}),
    },
    ...(ds.string('x00081090') ? { device: ds.string('x00081090') } : {}),
  };
}
