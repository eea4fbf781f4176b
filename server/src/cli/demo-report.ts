/** What `yiwang demo` shows: a progress line (residents, resources/s, ETA) and the summary table at the end. */
import type { DemoProgress, LoadDemoResult } from '../demo/load.js';

const num = (n: number) => n.toLocaleString('en-US').replace(/,/g, ' ');

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}` : `${pad(Math.floor(s / 60))}:${pad(s % 60)}`;
}

/** A bar on stderr: redrawn in place on a terminal, otherwise a line every 5 s (logs stay readable). */
export class DemoProgressBar {
  private readonly started = Date.now();
  private lastPrint = 0;
  private last: DemoProgress = { resources: 0, residents: 0, bundles: 0 };

  constructor(
    private readonly residents: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(p: DemoProgress): void {
    this.last = p;
    const now = Date.now();
    if (now - this.lastPrint >= (this.stream.isTTY ? 200 : 5000)) {
      this.lastPrint = now;
      this.print();
    }
  }

  line(): string {
    const secs = (Date.now() - this.started) / 1000;
    const { resources, residents } = this.last;
    const pct = Math.min(1, residents / this.residents);
    const width = 24;
    const bar = '█'.repeat(Math.round(pct * width)).padEnd(width, '░');
    const rate = secs > 0 ? resources / secs : 0;
    const eta = pct > 0 ? (secs * (1 - pct)) / pct : Infinity;
    return (
      `demo county ${bar} ${(pct * 100).toFixed(1)}% ${num(residents)}/${num(this.residents)} residents · ` +
      `${num(resources)} resources · ${num(Math.round(rate))}/s · ETA ${clock(eta)}`
    );
  }

  private print(): void {
    this.stream.write(this.stream.isTTY ? `\r${this.line()}\x1b[K` : `${this.line()}\n`);
  }

  finish(): void {
    this.print();
    if (this.stream.isTTY) this.stream.write('\n');
  }
}

/** The summary table printed after loading (stdout). */
export function summaryTable(
  r: LoadDemoResult,
  o: { seed: number; residents: number; years?: number; today: string; tenant: string },
): string {
  const f = r.facts;
  const rows: [string, string][] = [
    ['institutions', num(f.institutions)],
    ['staff', num(f.staff)],
    ['residents', num(f.residents)],
    ['households', num(f.households)],
    ['poverty households', num(f.povertyHouseholds)],
    ['chronic patients', `${num(f.chronicPatients)} (hypertension ${num(f.hypertension)}, diabetes ${num(f.diabetes)})`],
    ['resources', num(f.resources)],
    ...Object.entries(f.byType)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([type, n]): [string, string] => [`  ${type}`, num(n)]),
  ];
  const secs = r.elapsedMs / 1000;
  if (r.alreadyLoaded) rows.push(['written', '0 (already loaded: use --force to write it again)']);
  else rows.push(['elapsed', `${secs.toFixed(1)} s`], ['rate', `${num(Math.round(f.resources / Math.max(secs, 0.001)))} resources/s`]);
  rows.push(['users created', r.usersCreated.length ? r.usersCreated.join(', ') : '0']);
  if (r.usersExisting.length) rows.push(['users already there', r.usersExisting.join(', ')]);
  if (r.client) rows.push(['OAuth2 client', `${r.client.clientId}${r.client.created ? ' (created)' : ''}`]);
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const years = o.years ?? 1;
  const head =
    `Demo county 南川区 · seed ${o.seed} · ${num(o.residents)} residents${years > 1 ? ` · ${years} years of care` : ''} · ` +
    `today ${o.today} · tenant '${o.tenant}'`;
  const nameWidth = Math.max(...r.users.map((u) => u.username.length)) + 2;
  const users = r.users.map(
    (u) =>
      `  ${u.username.padEnd(nameWidth)}${u.roles.join(',').padEnd(22)}${u.displayName} · ${r.institutionNames.get(u.organizationId) ?? u.organizationId}`,
  );
  return [head, ...rows.map(([k, v]) => `  ${k.padEnd(width)}${v}`), 'Demo users:', ...users].join('\n') + '\n';
}
