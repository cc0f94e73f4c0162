// `llmops-twin` as a separate process for integration and node tests: the built command
// (dist/bin/llmops-twin.js, what `npx llmops-twin` runs), on a chosen port and PKI folder, that can
// be killed and started again on the same port and certificates.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { freePort, waitFor } from '../../helpers/ports';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const TWIN_BIN = path.join(ROOT, 'dist', 'bin', 'llmops-twin.js');

export class TwinProcess {
  port = 0;
  log = '';
  readonly pkiDir: string;
  private proc?: ChildProcess;
  private readonly ownsPki: boolean;

  constructor(private readonly args: string[] = [], pkiDir?: string) {
    this.ownsPki = !pkiDir;
    this.pkiDir = pkiDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-twin-pki-'));
  }

  get endpointUrl(): string {
    return `opc.tcp://127.0.0.1:${this.port}/`;
  }

  get running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async start(): Promise<void> {
    if (!fs.existsSync(TWIN_BIN)) throw new Error(`${TWIN_BIN} is missing: run npm run build first`);
    if (!this.port) this.port = await freePort();
    const startedAt = this.log.length;
    const proc = spawn(process.execPath, [TWIN_BIN, '--port', String(this.port), '--host', '127.0.0.1', '--pki', this.pkiDir, '--status-every', '0', ...this.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    const keep = (d: Buffer) => {
      this.log = (this.log + d.toString()).slice(-100000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    await waitFor(
      'llmops-twin to serve OPC UA',
      () => {
        if (proc.exitCode !== null) throw new Error(`llmops-twin exited (${proc.exitCode})`);
        return /OPC UA server ready/.test(this.log.slice(startedAt));
      },
      60000,
      50,
    ).catch((err) => {
      throw new Error(`${err.message}\n--- llmops-twin log ---\n${this.log}`);
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15000))]);
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.ownsPki) fs.rmSync(this.pkiDir, { recursive: true, force: true });
  }
}
