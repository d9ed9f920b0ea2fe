import type { Operation } from '@xenplane/client';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * The live line while an operation runs (spinner, kind, status, step, elapsed), on stderr so stdout stays the
 * result. On a terminal it redraws in place and keeps each finished step as a line; elsewhere it prints changes only.
 */
export class ProgressDisplay {
  private readonly started = Date.now();
  private frame = 0;
  private last: Operation | undefined;
  private timer: NodeJS.Timeout | undefined;
  private steps: string[] = [];
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly enabled = true,
  ) {
    this.tty = Boolean(out.isTTY);
    if (enabled && this.tty) this.timer = setInterval(() => this.draw(), 100);
  }

  update(op: Operation): void {
    if (!this.enabled) return;
    if (op.step && !this.steps.includes(op.step)) {
      this.steps.push(op.step);
      this.clear();
      this.out.write(`  ✓ ${op.step} (${this.elapsed()})\n`);
    } else if (!this.tty && op.status !== this.last?.status) {
      this.out.write(`${this.label}: ${op.status} (${this.elapsed()})\n`);
    }
    this.last = op;
    this.draw();
  }

  succeeded(op: Operation): void {
    this.stop();
    if (this.enabled) this.out.write(`✔ ${op.kind} ${op.resourceId} succeeded in ${this.elapsed()}\n`);
  }

  failed(code: string, detail: string): void {
    this.stop();
    if (this.enabled) this.out.write(`✖ ${this.label} failed after ${this.elapsed()}: ${code}${detail ? `: ${detail}` : ''}\n`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  private elapsed(): string {
    return `${((Date.now() - this.started) / 1000).toFixed(1)}s`;
  }

  private clear(): void {
    if (this.tty) this.out.write('\r\x1b[2K');
  }

  private draw(): void {
    if (!this.tty || !this.timer) return;
    this.frame = (this.frame + 1) % FRAMES.length;
    const status = this.last ? `${this.last.status}${this.last.step ? ` · ${this.last.step}` : ''}` : 'submitting';
    this.clear();
    this.out.write(`${FRAMES[this.frame]} ${this.label}: ${status} · ${this.elapsed()}`);
  }
}
