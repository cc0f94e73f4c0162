// The `llmops-twin` command line: its help explains every flag it accepts, and bad flags stop it
// with a message instead of starting a half-configured server.
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT, TWIN_BIN } from '../unit/opcua/twin-process';

function run(...args: string[]) {
  return spawnSync(process.execPath, [TWIN_BIN, ...args], { encoding: 'utf8', timeout: 20000 });
}

describe('llmops-twin command line', function () {
  this.timeout(30000);

  it('is the package bin, compiled with its #! line', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.equal(pkg.bin['llmops-twin'], 'dist/bin/llmops-twin.js');
    assert.match(fs.readFileSync(TWIN_BIN, 'utf8'), /^#!\/usr\/bin\/env node\n/);
  });

  it('explains every flag it accepts in --help', () => {
    const r = run('--help');
    assert.equal(r.status, 0);
    const source = fs.readFileSync(path.join(ROOT, 'bin', 'llmops-twin.ts'), 'utf8');
    const options = /options: \{([\s\S]*?)\n      \},\n      strict/.exec(source)![1];
    const flags = [...options.matchAll(/^\s+'?([a-z-]+)'?: \{ type/gm)].map((m) => m[1]);
    assert.ok(flags.length >= 15, `found ${flags.length} flags`);
    for (const flag of flags) assert.match(r.stdout, new RegExp(`--${flag}\\b`), `--${flag} in the help`);
  });

  it('stops with a message on an unknown security mode', () => {
    const r = run('--security', 'open');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--security is none or sign-encrypt/);
  });

  it('refuses --no-anonymous without any user', () => {
    const r = run('--no-anonymous');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /needs at least one --user/);
  });

  it('refuses an unknown flag', () => {
    const r = run('--colour');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /Unknown option '--colour'/);
  });

  it('ships the default trace with its licence and attribution', () => {
    const dir = path.join(ROOT, 'data', 'azure-llm-2023');
    for (const f of ['AzureLLMInferenceTrace_conv.csv', 'LICENSE', 'NOTICE']) assert.ok(fs.existsSync(path.join(dir, f)), f);
    assert.match(fs.readFileSync(path.join(dir, 'NOTICE'), 'utf8'), /Splitwise/);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.ok(pkg.files.includes('data/'));
  });
});
