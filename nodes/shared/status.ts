// The one place node status dots are decided, so every node in the suite speaks the same
// visual language: green = working/ok, blue = busy, yellow = degraded, red = error, grey = idle.
// Updates are de-duplicated and throttled: a node passing 50,000 msgs/s must not flood the editor.
import type { Node, NodeStatusFill, NodeStatusShape } from 'node-red';

export type Tone = 'ok' | 'busy' | 'warn' | 'error' | 'idle';

const LOOK: Record<Tone, { fill: NodeStatusFill; shape: NodeStatusShape }> = {
  ok: { fill: 'green', shape: 'dot' },
  busy: { fill: 'blue', shape: 'dot' },
  warn: { fill: 'yellow', shape: 'ring' },
  error: { fill: 'red', shape: 'ring' },
  idle: { fill: 'grey', shape: 'ring' },
};

export class StatusLine {
  private shown = '';
  private pending?: { tone: Tone; text: string };
  private timer?: NodeJS.Timeout;
  private last = 0;
  private deferred?: () => void;
  private deferTimer?: NodeJS.Timeout;
  private deferredAt = 0;

  constructor(private readonly node: Pick<Node, 'status'>, private readonly minIntervalMs = 250) {}

  set(tone: Tone, text: string): void {
    const key = tone + '\u0000' + text;
    if (key === this.shown && !this.pending) return;
    const now = Date.now();
    // Errors show at once, and an update queued before them (built from an older state) is dropped.
    if (tone === 'error' && this.deferTimer) {
      clearTimeout(this.deferTimer);
      this.deferTimer = undefined;
      this.deferred = undefined;
    }
    // Routine updates wait their turn.
    if (tone === 'error' || now - this.last >= this.minIntervalMs) {
      this.apply(tone, text);
      return;
    }
    this.pending = { tone, text };
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        const p = this.pending;
        this.pending = undefined;
        if (p) this.apply(p.tone, p.text);
      }, this.minIntervalMs - (now - this.last));
      this.timer.unref?.();
    }
  }

  /**
   * For callers that would build the status text on every msg: runs `update` now if none ran in
   * the last interval, otherwise once when the interval ends (with the latest `update`). Building
   * the text (a translated, formatted string) costs more than a msg's own work at high rates.
   */
  throttle(update: () => void): void {
    this.deferred = update;
    if (this.deferTimer) return;
    const wait = this.deferredAt + this.minIntervalMs - Date.now();
    if (wait <= 0) {
      this.runDeferred();
      return;
    }
    this.deferTimer = setTimeout(() => {
      this.deferTimer = undefined;
      this.runDeferred();
    }, wait);
    this.deferTimer.unref?.();
  }

  private runDeferred(): void {
    const f = this.deferred;
    this.deferred = undefined;
    this.deferredAt = Date.now();
    f?.();
  }

  ok(text: string): void { this.set('ok', text); }
  busy(text: string): void { this.set('busy', text); }
  warn(text: string): void { this.set('warn', text); }
  error(text: string): void { this.set('error', text); }
  idle(text: string): void { this.set('idle', text); }

  clear(): void {
    this.dispose();
    this.shown = '';
    this.node.status({});
  }

  /** Stops any pending update (call from the node's close handler). */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.deferTimer) clearTimeout(this.deferTimer);
    this.timer = undefined;
    this.pending = undefined;
    this.deferTimer = undefined;
    this.deferred = undefined;
  }

  private apply(tone: Tone, text: string): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.pending = undefined;
    this.shown = tone + '\u0000' + text;
    this.last = Date.now();
    this.node.status({ ...LOOK[tone], text: text.length > 60 ? text.slice(0, 59) + '…' : text });
  }
}

/** Short numbers for status text: 1234 → "1.2k". */
export function compact(n: number): string {
  if (Math.abs(n) < 1000) return String(Math.round(n));
  if (Math.abs(n) < 1e6) return (n / 1e3).toFixed(n < 1e4 ? 1 : 0) + 'k';
  return (n / 1e6).toFixed(1) + 'M';
}

/** The message of an unknown thrown value. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
