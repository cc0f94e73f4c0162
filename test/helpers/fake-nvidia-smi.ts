// Puts the recording nvidia-smi STAND-IN (fake-nvidia-smi.cjs) on a PATH of its own: a temp
// folder with an executable `nvidia-smi`, a state file with the GPUs, and a log of every call.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface FakeGpu {
  index: number;
  uuid: string;
  name: string;
  busId: string;
  /** W, or null for "[N/A]", or 'unsupported' for "[Not Supported]". */
  power: number | null | 'unsupported';
  sm: number;
  maxSm: number;
  temp: number | null;
  /** HBM temperature; null prints "[N/A]" (GPUs without a memory sensor). */
  memTemp: number | null;
  util: number | null;
  /** Clock event reasons bitmask. */
  reasons: number;
  locked?: [number, number];
}

export type FakeMode = 'ok' | 'permission' | 'old-driver' | 'no-driver' | 'hang';

export interface FakeState {
  mode: FakeMode;
  delayMs?: number;
  gpus: FakeGpu[];
}

export interface LoggedCall {
  event: 'start' | 'end';
  argv: string[];
  pid: number;
  code?: number;
}

/** Two H100 SXM GPUs, one hot and power-capped, the other idle. */
export function h100s(n = 2): FakeGpu[] {
  return Array.from({ length: n }, (_, i) => ({
    index: i,
    uuid: `GPU-${(0x5a7c3e10 + i).toString(16)}-1f2b-4c3d-9e8f-0a1b2c3d4e5${i}`,
    name: 'NVIDIA H100 80GB HBM3',
    busId: `00000000:${(0x18 + i * 0x12).toString(16).toUpperCase().padStart(2, '0')}:00.0`,
    power: i === 0 ? 612.47 : 71.3,
    sm: i === 0 ? 1755 : 345,
    maxSm: 1980,
    temp: i === 0 ? 78 : 33,
    memTemp: i === 0 ? 84 : 38,
    util: i === 0 ? 97 : 0,
    reasons: i === 0 ? 0x4 | 0x20 : 0x1,
  }));
}

export class FakeNvidiaSmi {
  readonly dir: string;
  readonly binDir: string;
  readonly bin: string;
  readonly statePath: string;
  readonly logPath: string;

  constructor(state: Partial<FakeState> = {}) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-nvidia-smi-'));
    this.binDir = path.join(this.dir, 'bin');
    fs.mkdirSync(this.binDir);
    this.bin = path.join(this.binDir, 'nvidia-smi');
    this.statePath = path.join(this.dir, 'state.json');
    this.logPath = path.join(this.dir, 'calls.jsonl');
    const script = path.join(__dirname, 'fake-nvidia-smi.cjs');
    fs.writeFileSync(this.bin, `#!/bin/sh\n# stand-in for nvidia-smi (tests)\nexec "${process.execPath}" "${script}" "$@"\n`, { mode: 0o755 });
    fs.writeFileSync(this.logPath, '');
    this.write({ mode: 'ok', gpus: h100s(), ...state });
  }

  /** An environment whose PATH finds the stand-in first and which tells it where its files are. */
  env(): NodeJS.ProcessEnv {
    return { ...process.env, PATH: `${this.binDir}${path.delimiter}${process.env.PATH ?? ''}`, FAKE_NVIDIA_SMI_STATE: this.statePath, FAKE_NVIDIA_SMI_LOG: this.logPath };
  }

  state(): FakeState {
    return JSON.parse(fs.readFileSync(this.statePath, 'utf8'));
  }

  write(state: FakeState): void {
    fs.writeFileSync(this.statePath, JSON.stringify(state, null, 2));
  }

  update(change: (s: FakeState) => void): void {
    const s = this.state();
    change(s);
    this.write(s);
  }

  /** Every call in order (start and end events). */
  events(): LoggedCall[] {
    return fs
      .readFileSync(this.logPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  }

  /** The argument lists of the calls, in the order they started. */
  calls(): string[][] {
    return this.events()
      .filter((e) => e.event === 'start')
      .map((e) => e.argv);
  }

  /** Only the calls that change clocks. */
  setCalls(): string[][] {
    return this.calls().filter((a) => a.includes('-lgc') || a.includes('-rgc'));
  }

  clearLog(): void {
    fs.writeFileSync(this.logPath, '');
  }

  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
