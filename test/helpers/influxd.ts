// A real InfluxDB 1.x server for tests: `influxd` on free ports with a temporary data folder,
// stopped (and the folder removed) afterwards. It can be stopped and started again on the same
// port and data, to play an outage.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as http from 'http';
import { freePort, waitFor } from './ports';

export class Influxd {
  readonly dir: string;
  port = 0;
  private bindPort = 0;
  private proc?: ChildProcess;
  log = '';

  constructor(private readonly binary: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-influxd-'));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) return;
    if (!this.port) {
      this.port = await freePort();
      this.bindPort = await freePort();
    }
    const conf = path.join(this.dir, 'influxdb.conf');
    fs.writeFileSync(
      conf,
      [
        'reporting-disabled = true',
        `bind-address = "127.0.0.1:${this.bindPort}"`,
        '[meta]',
        `  dir = "${this.dir}/meta"`,
        '[data]',
        `  dir = "${this.dir}/data"`,
        `  wal-dir = "${this.dir}/wal"`,
        '  query-log-enabled = false',
        '[http]',
        `  bind-address = "127.0.0.1:${this.port}"`,
        '  log-enabled = false',
        '  max-body-size = 0',
        '[monitor]',
        '  store-enabled = false',
        '[continuous_queries]',
        '  enabled = false',
        '',
      ].join('\n'),
    );
    this.proc = spawn(this.binary, ['-config', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer) => {
      this.log = (this.log + d.toString()).slice(-20000);
    };
    this.proc.stdout?.on('data', keep);
    this.proc.stderr?.on('data', keep);
    await waitFor(`influxd on port ${this.port}`, () => this.ping(), 30000, 100);
  }

  ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = http.get(`${this.url}/ping`, (res) => {
        res.resume();
        resolve(res.statusCode === 204);
      });
      req.on('error', () => resolve(false));
      req.setTimeout(1000, () => {
        req.destroy();
        resolve(false);
      });
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10000))]);
    if (p.exitCode === null) p.kill('SIGKILL');
    this.proc = undefined;
  }

  /** Runs an InfluxQL query and returns the parsed JSON. */
  query(q: string, db?: string): Promise<any> {
    const qs = new URLSearchParams({ q, ...(db ? { db } : {}) }).toString();
    return new Promise((resolve, reject) => {
      const req = http.request(`${this.url}/query?${qs}`, { method: 'POST' }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body));
          } catch (err) {
            reject(err);
          }
        });
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** Number of points of `measurement` (count of field "value"), 0 when none. */
  async count(db: string, measurement: string): Promise<number> {
    const r = await this.query(`SELECT count("value") FROM "${measurement}"`, db);
    const series = r?.results?.[0]?.series?.[0];
    return series ? Number(series.values[0][1]) : 0;
  }

  async dispose(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
