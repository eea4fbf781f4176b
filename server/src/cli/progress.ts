/** A one-line progress bar on stderr (only when it is a terminal; otherwise a line every few seconds). */
export class Progress {
  private done = 0;
  private lastPrint = 0;
  private readonly started = Date.now();

  constructor(
    private readonly label: string,
    private readonly total?: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  add(n: number): void {
    this.done += n;
    const now = Date.now();
    if (now - this.lastPrint > (this.stream.isTTY ? 100 : 5000)) {
      this.lastPrint = now;
      this.print();
    }
  }

  private line(): string {
    const secs = (Date.now() - this.started) / 1000;
    const rate = secs > 0 ? Math.round(this.done / secs) : 0;
    if (this.total) {
      const pct = Math.min(1, this.done / this.total);
      const width = 30;
      const bar = '█'.repeat(Math.round(pct * width)).padEnd(width, '░');
      return `${this.label} ${bar} ${(pct * 100).toFixed(1)}% ${this.done}/${this.total} (${rate}/s)`;
    }
    return `${this.label} ${this.done} (${rate}/s)`;
  }

  private print(): void {
    if (this.stream.isTTY) this.stream.write('\r' + this.line());
    else this.stream.write(this.line() + '\n');
  }

  finish(): void {
    this.print();
    if (this.stream.isTTY) this.stream.write('\n');
  }
}
