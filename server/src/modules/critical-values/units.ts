/**
 * The part of UCUM that critical values need: parse a unit (a UCUM code, or a lab's spelling of one such as
 * 'mmol/l', '×10^9/L', 'μmol/L') into a scale factor and base dimensions, and convert a value between two units of
 * the same dimension — or between mass and amount of substance (mg/dL ↔ mmol/L) and between equivalents and moles
 * (mEq/L ↔ mmol/L) when the item gives its molar mass and valence.
 *
 * A unit this parser does not know gives `undefined`: the caller reports it instead of comparing a number whose
 * scale it cannot tell (a glucose of 126 in mg/dL must never be read as 126 mmol/L).
 */

/** Base dimensions with their exponents, e.g. mmol/L → { mol: 1, L: -1 }. */
export type Dimensions = Record<string, number>;

export interface ParsedUnit {
  /** Multiply a value in this unit by `factor` to get it in the base units of `dims`. */
  factor: number;
  dims: Dimensions;
}

const PREFIXES: Record<string, number> = { k: 1e3, h: 1e2, d: 1e-1, c: 1e-2, m: 1e-3, u: 1e-6, n: 1e-9, p: 1e-12, f: 1e-15 };

/** Atoms that take prefixes (metric) and those that do not. */
const METRIC: Record<string, ParsedUnit> = {
  g: { factor: 1, dims: { g: 1 } },
  mol: { factor: 1, dims: { mol: 1 } },
  eq: { factor: 1, dims: { eq: 1 } },
  L: { factor: 1, dims: { L: 1 } },
  l: { factor: 1, dims: { L: 1 } },
  s: { factor: 1, dims: { s: 1 } },
  Pa: { factor: 1, dims: { Pa: 1 } },
  U: { factor: 1, dims: { U: 1 } },
  '[IU]': { factor: 1, dims: { IU: 1 } },
};
const PLAIN: Record<string, ParsedUnit> = {
  min: { factor: 60, dims: { s: 1 } },
  h: { factor: 3600, dims: { s: 1 } },
  'mm[Hg]': { factor: 133.322, dims: { Pa: 1 } },
  '%': { factor: 0.01, dims: {} },
  '1': { factor: 1, dims: {} },
  '[pH]': { factor: 1, dims: { pH: 1 } },
};

/** Lab spellings that are not UCUM syntax, mapped before parsing. */
function normalise(text: string): string {
  return text
    .trim()
    .replace(/[μµ]/g, 'u')
    .replace(/^[×xX]\s*/, '')
    .replace(/10\^(\d+)/g, '10*$1')
    .replace(/10[eE](\d+)/g, '10*$1')
    .replace(/mmHg/gi, 'mm[Hg]')
    .replace(/^ph$/i, '[pH]')
    .replace(/\[?IU\]?/g, '[IU]')
    .replace(/\s+/g, '');
}

function atom(text: string): ParsedUnit | undefined {
  if (text === '') return { factor: 1, dims: {} };
  const power = /^10\*(-?\d+)$/.exec(text);
  if (power) return { factor: 10 ** Number(power[1]), dims: {} };
  // Annotations ({INR}, {ratio}, {cells}) carry no dimension in UCUM.
  if (/^\{[^}]*\}$/.test(text)) return { factor: 1, dims: {} };
  if (PLAIN[text]) return PLAIN[text];
  if (METRIC[text]) return METRIC[text];
  const lower = text.toLowerCase();
  if (lower === 'eq') return METRIC.eq;
  for (const [prefix, scale] of Object.entries(PREFIXES)) {
    if (!text.startsWith(prefix)) continue;
    const rest = text.slice(prefix.length);
    const base = METRIC[rest] ?? (rest.toLowerCase() === 'eq' ? METRIC.eq : undefined);
    if (base) return { factor: scale * base.factor, dims: base.dims };
  }
  return undefined;
}

function combine(into: ParsedUnit, part: ParsedUnit, sign: 1 | -1): void {
  into.factor *= part.factor ** sign;
  for (const [dim, exp] of Object.entries(part.dims)) {
    const next = (into.dims[dim] ?? 0) + exp * sign;
    if (next === 0) delete into.dims[dim];
    else into.dims[dim] = next;
  }
}

/** Parses a unit; undefined when any part of it is unknown. '' and '1' are dimensionless. */
export function parseUnit(text: string | undefined): ParsedUnit | undefined {
  const unit = normalise(text ?? '');
  const result: ParsedUnit = { factor: 1, dims: {} };
  // UCUM: terms joined by '.' (multiply) and '/' (divide), read left to right.
  const tokens = unit.split(/([./])/);
  let sign: 1 | -1 = 1;
  for (const token of tokens) {
    if (token === '.') sign = 1;
    else if (token === '/') sign = -1;
    else {
      // A leading '/' ('/uL') leaves an empty first term: the unit is 1 over what follows.
      const part = atom(token);
      if (!part) return undefined;
      combine(result, part, sign);
    }
  }
  return result;
}

/** What an item tells about its substance, so mass and equivalents can become moles. */
export interface Substance {
  /** g/mol. */
  molarMass?: number;
  /** Charge: equivalents per mole (K⁺, Na⁺: 1; Ca²⁺: 2). */
  valence?: number;
}

/** Rewrites grams and equivalents as moles where the substance allows it. */
function toMolar(unit: ParsedUnit, substance: Substance): ParsedUnit {
  const out: ParsedUnit = { factor: unit.factor, dims: { ...unit.dims } };
  const g = out.dims.g;
  if (g && substance.molarMass) {
    out.factor /= substance.molarMass ** g;
    out.dims.mol = (out.dims.mol ?? 0) + g;
    delete out.dims.g;
  }
  const eq = out.dims.eq;
  if (eq && substance.valence) {
    out.factor /= substance.valence ** eq;
    out.dims.mol = (out.dims.mol ?? 0) + eq;
    delete out.dims.eq;
  }
  if (out.dims.mol === 0) delete out.dims.mol;
  return out;
}

function sameDims(a: Dimensions, b: Dimensions): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if ((a[k] ?? 0) !== (b[k] ?? 0)) return false;
  return true;
}

/** Rounds away binary noise (0.1 + 0.2) so that 50 g/L read from 5 g/dL compares as 50. */
const tidy = (n: number): number => Number(n.toPrecision(12));

/**
 * Converts `value` from unit `from` to unit `to`; undefined when either unit is unknown or they measure different
 * things (and the substance does not bridge them).
 */
export function convert(value: number, from: string | undefined, to: string, substance: Substance = {}): number | undefined {
  const a = parseUnit(from);
  const b = parseUnit(to);
  if (!a || !b) return undefined;
  if (sameDims(a.dims, b.dims)) return tidy((value * a.factor) / b.factor);
  const ma = toMolar(a, substance);
  const mb = toMolar(b, substance);
  if (sameDims(ma.dims, mb.dims)) return tidy((value * ma.factor) / mb.factor);
  return undefined;
}
