#!/usr/bin/env node
// `llmops-twin`: the facility twin on its own, in wall-clock time, with its BMS on a real OPC UA
// server, so that any OPC UA client (UaExpert, a PLC, our own nodes) can be pointed at it.
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { BMS_NAMESPACE_URI } from '../core/opcua/names';
import { TwinHost, type GeneratorKind } from '../core/opcua/twin-host';

const HELP = `Usage: llmops-twin [options]

Runs the facility twin (an LLM inference cluster, its GPU heat, a liquid-cooling CDU) in
wall-clock time and serves its building-management points over OPC UA, e.g.
ns=1;s=CDU1.FlowSetpoint (namespace ${BMS_NAMESPACE_URI}).

Options:
  --port N              OPC UA TCP port (default 4840)
  --host ADDRESS        interface to listen on, and the host name the endpoints advertise
                        (default 127.0.0.1: this machine only); 0.0.0.0 listens on every
                        interface and advertises this machine's name (with localhost and
                        127.0.0.1 beside it), so clients on other machines can connect
  --trace FILE          Azure LLM inference trace CSV (TIMESTAMP,ContextTokens,GeneratedTokens) to
                        replay (default: the bundled Conversation trace, CC-BY 4.0, Splitwise ISCA 2024)
  --generator KIND      synthetic workload instead of a trace: constant, sine, step or bursts
  --rate N              mean arrival rate of a generator, requests/s (default 20)
  --rate-scale N        arrival-rate multiplier of a replayed trace (default 10)
  --seed N              random seed; the same seed and trace give the same run (default 1)
  --servers N           installed servers, all powered at start (default 12)
  --speed X             simulated seconds per wall-clock second (default 1; 60 = an hour a minute)
  --security MODE       none: a None endpoint (demo only) beside Basic256Sha256 SignAndEncrypt;
                        sign-encrypt: Basic256Sha256 SignAndEncrypt only (default none)
  --user NAME:PASSWORD  a user who may open a session (repeatable); also read from
                        LLMOPS_TWIN_USERS=name:password,name2:password2
  --no-anonymous        refuse anonymous sessions
  --pki DIR             PKI folder (node-opcua-pki layout: own/, trusted/, rejected/, issuers/);
                        default ~/.llmops-twin/pki. Trust a client by moving its certificate
                        from DIR/rejected to DIR/trusted/certs, then restart llmops-twin.
                        Clients must trust DIR/own/certs/llmops-twin.pem
  --trust-unknown-clients
                        accept any client certificate (demo and tests only)
  --status-every S      print a status line every S wall-clock seconds (default 10, 0 = never)
  -h, --help            this text

Stops cleanly on Ctrl-C or SIGTERM.

On Node.js 20, node-opcua prints "[NODE-OPCUA-W27] ... --security-revert=CVE-2023-46809" when it
loads: it checks whether RSA PKCS#1 v1.5 decryption works, and Node 20 turned that off against
the Marvin attack (CVE-2023-46809). Only the deprecated Basic128Rsa15 policy needs it; this
server offers None and Basic256Sha256 (RSA-OAEP), so the warning does not concern it. Do not
start Node.js with --security-revert.`;

function fail(message: string): never {
  process.stderr.write(`llmops-twin: ${message}\nTry llmops-twin --help\n`);
  process.exit(2);
}

function num(v: string | undefined, name: string, fallback: number, min = -Infinity): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) fail(`--${name} must be a number${min > -Infinity ? ` ≥ ${min}` : ''}, not "${v}"`);
  return n;
}

function parseUsers(list: string[]): Array<{ name: string; password: string }> {
  return list.map((u) => {
    const i = u.indexOf(':');
    if (i <= 0) fail(`a user is name:password, not "${u}"`);
    return { name: u.slice(0, i), password: u.slice(i + 1) };
  });
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        trace: { type: 'string' },
        generator: { type: 'string' },
        rate: { type: 'string' },
        'rate-scale': { type: 'string' },
        seed: { type: 'string' },
        servers: { type: 'string' },
        speed: { type: 'string' },
        security: { type: 'string' },
        user: { type: 'string', multiple: true },
        'no-anonymous': { type: 'boolean' },
        pki: { type: 'string' },
        'trust-unknown-clients': { type: 'boolean' },
        'status-every': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (err) {
    fail((err as Error).message);
  }
  if (args.help) {
    process.stdout.write(HELP + '\n');
    return;
  }
  const security = args.security ?? 'none';
  if (security !== 'none' && security !== 'sign-encrypt') fail(`--security is none or sign-encrypt, not "${security}"`);
  const generator = (args.generator ?? 'trace') as GeneratorKind;
  if (!['trace', 'constant', 'sine', 'step', 'bursts'].includes(generator)) fail(`--generator is constant, sine, step or bursts, not "${generator}"`);
  if (args.trace && args.generator) fail('give --trace or --generator, not both');
  const envUsers = (process.env.LLMOPS_TWIN_USERS ?? '').split(',').filter(Boolean);
  const users = parseUsers([...(args.user ?? []), ...envUsers]);
  const allowAnonymous = !args['no-anonymous'];
  if (!allowAnonymous && users.length === 0) fail('--no-anonymous needs at least one --user');
  const port = num(args.port, 'port', 4840, 1);
  const statusEvery = num(args['status-every'], 'status-every', 10, 0);

  const host = new TwinHost({
    workload: {
      kind: generator,
      trace: args.trace ? path.resolve(args.trace) : undefined,
      ratePerS: num(args.rate, 'rate', 20, 0),
      rateScale: num(args['rate-scale'], 'rate-scale', 10, 0),
      seed: num(args.seed, 'seed', 1),
    },
    servers: num(args.servers, 'servers', 0, 1) || undefined,
    speed: num(args.speed, 'speed', 1, 0.001),
    opcua: {
      port,
      host: args.host,
      security,
      users,
      allowAnonymous,
      pkiDir: path.resolve(args.pki ?? path.join(os.homedir(), '.llmops-twin', 'pki')),
      trustUnknownClients: !!args['trust-unknown-clients'],
      onWrite: (nodeId, value, status) => process.stdout.write(`write ${nodeId} = ${JSON.stringify(value)}: ${status}\n`),
    },
  });
  host.on('error', (err) => {
    process.stderr.write(`llmops-twin: the twin stopped: ${(err as Error).message}\n`);
    void host.stop().finally(() => process.exit(1));
  });
  const info = await host.start();
  const f = host.facility;
  process.stdout.write(
    [
      `llmops-twin: workload ${f.workload.name}, ${f.workload.requests.length} requests over ${Math.round(f.workload.durationS)} s, seed ${f.seed}, speed ${host.speed}×`,
      `llmops-twin: OPC UA server ready at ${info?.endpointUrl} (namespace ${info?.namespaceUri}, ns=${info?.namespaceIndex}, ${info?.points} points)`,
      `llmops-twin: endpoints ${info?.endpoints.map((e) => `${e.securityMode}/${e.securityPolicy}`).join(', ')}; anonymous ${allowAnonymous ? 'allowed' : 'refused'}; users ${users.map((u) => u.name).join(', ') || 'none'}`,
      '',
    ].join('\n'),
  );
  let statusTimer: NodeJS.Timeout | undefined;
  if (statusEvery > 0) {
    statusTimer = setInterval(() => {
      const s = host.latest;
      if (!s) return;
      process.stdout.write(
        `t=${Math.round(s.t)} s servers=${s.servingServers}/${s.poweredServers} IT=${s.itKW.toFixed(1)} kW cooling=${s.coolingKW.toFixed(1)} kW maxGPU=${s.maxGpuC.toFixed(1)} °C supply=${s.supplyC.toFixed(1)} °C flow=${s.flowLpm.toFixed(0)} L/min\n`,
      );
    }, statusEvery * 1000);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    if (statusTimer) clearInterval(statusTimer);
    process.stdout.write(`llmops-twin: ${signal}, stopping\n`);
    const force = setTimeout(() => process.exit(1), 10000);
    force.unref();
    host.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`llmops-twin: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
