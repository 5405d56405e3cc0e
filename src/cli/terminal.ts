/**
 * stderr as a terminal: one status line redrawn in place on a TTY (plain lines when piped),
 * with log output written above it so the two never garble each other.
 */
const CLEAR_LINE = '\r\x1b[K';

export class Terminal {
  private statusLine: string | undefined;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  get isTTY(): boolean {
    return this.out.isTTY === true;
  }

  status(line: string): void {
    if (!this.isTTY) {
      this.out.write(`${line}\n`);
      return;
    }
    const width = this.out.columns || 120;
    this.statusLine = line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line;
    this.out.write(CLEAR_LINE + this.statusLine);
  }

  /** Writes text (one or more complete lines) above the status line. */
  log(text: string): void {
    const body = text.endsWith('\n') ? text : `${text}\n`;
    if (this.isTTY && this.statusLine !== undefined) this.out.write(CLEAR_LINE + body + this.statusLine);
    else this.out.write(body);
  }

  clearStatus(): void {
    if (this.isTTY && this.statusLine !== undefined) this.out.write(CLEAR_LINE);
    this.statusLine = undefined;
  }
}
