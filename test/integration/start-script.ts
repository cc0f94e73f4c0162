// Runs the real `npm start` script (scripts/start.js) as its own process on a free port and a
// user directory of the test's choosing, and reads what it prints. Used by the start-* and
// dashboard-* tests.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, waitFor } from '../helpers/ports';

export const ROOT = path.resolve(__dirname, '../..');
export const START = path.join(ROOT, 'scripts', 'start.js');

export class StartScript {
  readonly userDir: string;
  port = 0;
  out = '';
  private proc?: ChildProcess;

  constructor(userDir?: string, private readonly env: Record<string, string> = {}) {
    this.userDir = userDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-start-'));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Starts `node scripts/start.js` and resolves with the seconds it reported once ready. */
  async start(timeoutMs = 60_000): Promise<number> {
    if (!this.port) this.port = await freePort();
    this.out = '';
    const bmsPort = await freePort();
    this.proc = spawn(process.execPath, [START], {
      cwd: ROOT,
      env: { ...process.env, LLMOPS_USER_DIR: this.userDir, PORT: String(this.port), LLMOPS_BMS_PORT: String(bmsPort), ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer) => {
      this.out = (this.out + d.toString()).slice(-500_000);
    };
    this.proc.stdout?.on('data', keep);
    this.proc.stderr?.on('data', keep);
    const proc = this.proc;
    const m = await waitFor(
      'npm start to report ready',
      () => {
        if (proc.exitCode !== null) throw new Error(`start.js exited (${proc.exitCode})`);
        return /\[llmops\] ready in ([\d.]+) s/.exec(this.out) ?? undefined;
      },
      timeoutMs,
      100,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n--- output ---\n${this.out}`);
    });
    return Number(m[1]);
  }

  /** Lines Node-RED logged at error level since `from`. */
  errors(from = 0): string[] {
    return this.out
      .slice(from)
      .split('\n')
      .filter((l) => /- \[error\]/.test(l));
  }

  /** Stops it the way a user does (Ctrl-C) and waits until it has exited. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return p?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
    p.kill(signal);
    const code = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 30_000))]);
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    return code;
  }

  async fetch(urlPath: string, init: RequestInit = {}): Promise<Response> {
    const headers: Record<string, string> = init.body !== undefined ? { 'content-type': 'application/json' } : {};
    return fetch(this.url + urlPath, { ...init, headers: { ...headers, ...((init.headers as Record<string, string>) ?? {}) } });
  }

  dispose(): void {
    fs.rmSync(this.userDir, { recursive: true, force: true });
  }
}
