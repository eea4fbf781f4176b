/**
 * Synthetic 12-lead tracings for the ECG tests, in every accepted format: a few seconds of a plausible PQRST shape
 * per lead (µV), as JSON, CSV and HL7 aECG XML (the DICOM sample is the public pydicom waveform_ecg.dcm).
 */
export const LEAD_NAMES = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'] as const;

/** One lead: a beat every 0.8 s (75/min) with a QRS of amplitude `gain` µV and an ST offset `st` µV. */
export function leadSamples(rate: number, seconds: number, gain: number, st = 0): number[] {
  const out: number[] = [];
  for (let i = 0; i < rate * seconds; i++) {
    const t = (i / rate) % 0.8;
    const p = 80 * Math.exp(-(((t - 0.1) / 0.025) ** 2));
    const qrs = gain * Math.exp(-(((t - 0.25) / 0.012) ** 2)) - 0.15 * gain * Math.exp(-(((t - 0.27) / 0.01) ** 2));
    const stSeg = t > 0.28 && t < 0.4 ? st : 0;
    const tw = 200 * Math.exp(-(((t - 0.45) / 0.04) ** 2));
    out.push(Math.round(p + qrs + stSeg + tw));
  }
  return out;
}

export function tracingLeads(rate = 500, seconds = 10, omit: string[] = []): Record<string, number[]> {
  const gains = [800, 1100, 400, -900, 300, 700, -600, 900, 1200, 1400, 1200, 1000];
  return Object.fromEntries(
    LEAD_NAMES.filter((l) => !omit.includes(l)).map((l) => [
      l,
      leadSamples(rate, seconds, gains[LEAD_NAMES.indexOf(l)]!, ['II', 'III', 'aVF'].includes(l) ? 250 : 0),
    ]),
  );
}

export function jsonTracing(
  opts: { rate?: number; seconds?: number; omit?: string[]; measurements?: Record<string, number> } = {},
): Buffer {
  const rate = opts.rate ?? 500;
  return Buffer.from(
    JSON.stringify({
      sampleRate: rate,
      unit: 'uV',
      leads: tracingLeads(rate, opts.seconds ?? 10, opts.omit),
      ...(opts.measurements ? { measurements: opts.measurements } : {}),
    }),
  );
}

export function csvTracing(rate = 250, seconds = 10): Buffer {
  const leads = tracingLeads(rate, seconds);
  const rows = [LEAD_NAMES.join(',')];
  for (let i = 0; i < rate * seconds; i++) rows.push(LEAD_NAMES.map((l) => leads[l]![i]).join(','));
  return Buffer.from(`# sampleRate=${rate} unit=uV\n${rows.join('\n')}\n`);
}

export function aecgTracing(rate = 500, seconds = 10, demographics = { name: '', gender: 'M', birth: '19500301' }): Buffer {
  const leads = tracingLeads(rate, seconds);
  const seq = (l: string) => `
        <component><sequence><code code="MDC_ECG_LEAD_${l.toUpperCase()}" codeSystem="2.16.840.1.113883.6.24"/>
          <value xsi:type="SLIST_PQ"><origin value="0" unit="uV"/><scale value="1" unit="uV"/><digits>${leads[l]!.join(' ')}</digits></value>
        </sequence></component>`;
  return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<AnnotatedECG xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <id root="1.2.3.4"/>
  <code code="93000" codeSystem="2.16.840.1.113883.6.12"/>
  <effectiveTime><low value="20261205083000"/><high value="20261205083010"/></effectiveTime>
  <componentOf><timepointEvent><componentOf><subjectAssignment><subject><trialSubject><id extension="S-1"/>
    <subjectDemographicPerson>${demographics.name ? `<name>${demographics.name}</name>` : ''}<administrativeGenderCode code="${demographics.gender}"/><birthTime value="${demographics.birth}"/></subjectDemographicPerson>
  </trialSubject></subject></subjectAssignment></componentOf></timepointEvent></componentOf>
  <component><series><code code="RHYTHM" codeSystem="2.16.840.1.113883.5.4"/>
    <component><sequenceSet>
      <component><sequence><code code="TIME_ABSOLUTE" codeSystem="2.16.840.1.113883.5.4"/>
        <value xsi:type="GLIST_TS"><head value="20261205083000.000"/><increment value="${1 / rate}" unit="s"/></value></sequence></component>${LEAD_NAMES.map(seq).join('')}
    </sequenceSet></component>
    <subjectOf><annotationSet><component><annotation><code code="MDC_ECG_HEART_RATE"/><value xsi:type="PQ" value="75" unit="bpm"/></annotation></component>
      <component><annotation><code code="MDC_ECG_TIME_PD_QTc"/><value xsi:type="PQ" value="430" unit="ms"/></annotation></component></annotationSet></subjectOf>
  </series></component>
</AnnotatedECG>
`);
}
