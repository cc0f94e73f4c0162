// One flow set that uses every node of the suite, wired as a user would: the facility twin serving
// its BMS over OPC UA, an OPC UA endpoint on it, Sensors (twin, OPC UA and msg sources) into
// InfluxDB, Thermal Predictor → Coolant Valve writing setpoints over OPC UA, the LLM Ops chain
// (LLM Engine → IO Matcher → Human Review), and the energy nodes on the twin.
// POST /go sends one msg into each msg-driven node, so every deploy also carries traffic.
import { cduValve, placed } from './flows';

export interface AllNodesOptions {
  influxPort: number;
  opcuaPort: number;
  llmBaseURL: string;
  pkiDir: string;
  /** Credentials for the config nodes (the security tests set them all). */
  secrets?: { apiKey?: string; influxPassword?: string; opcuaPassword?: string; twinPassword?: string };
  /** Changes the tab label every deploy and the twin every tenth, so every deploy is a real change. */
  generation?: number;
}

export function allNodesFlow(o: AllNodesOptions): Array<Record<string, unknown>> {
  const g = o.generation ?? 0;
  return placed([
    { id: 'tab', type: 'tab', label: `all nodes ${g}` },
    { id: 'db', type: 'llmops-influxdb', name: 'influx', host: '127.0.0.1', port: o.influxPort, protocol: 'http', database: 'llmops_all', precision: 'ms', batchSize: 5000, flushInterval: 500, maxBuffered: 100000, spill: false, createDatabase: true },
    {
      id: 'fac',
      type: 'llmops-facility',
      name: 'twin',
      workload: 'constant',
      ratePerS: 5,
      // A redeploy keeps an unchanged twin running (it is parked and adopted); every tenth
      // generation changes it, so its OPC UA server is stopped and started again too.
      seed: 1 + Math.floor(g / 10),
      servers: 4,
      speed: 10,
      timestamps: 'wall',
      opcuaPort: o.opcuaPort,
      opcuaSecurity: 'none',
      opcuaAllowAnonymous: true,
      opcuaPkiDir: `${o.pkiDir}/server`,
      opcuaTrustClients: false,
    },
    { id: 'ep', type: 'llmops-opcua-endpoint', name: 'bms', endpointUrl: `opc.tcp://127.0.0.1:${o.opcuaPort}/`, securityMode: 'None', securityPolicy: 'None', pkiDir: `${o.pkiDir}/client`, trustUnknownServerCertificate: false, namespaceUri: '', backoffInitialMs: 100, backoffMaxMs: 1000 },
    { id: 'prov', type: 'llmops-llm-provider', name: 'llm', kind: 'openai', baseURL: o.llmBaseURL, model: 'stand-in-model', timeout: 5, maxConcurrent: 4, maxRetries: 1, retryDelay: 50, maxRetryAfter: 1 },
    // Telemetry and cooling.
    { id: 's-twin', type: 'llmops-sensor', z: 'tab', name: 'five layers', source: 'twin', facility: 'fac', interval: 1, influx: 'db', textLines: 5, wires: [['pred']] },
    { id: 'pred', type: 'llmops-thermal-predictor', z: 'tab', name: 'GPU +60 s', target: 'gpuMaxC', horizonS: 60, model: 'linear', windowS: 600, sampleS: 1, minSamples: 5, intervalPct: 90, pools: '', influxdb: '', warmHours: 0, measurementPrefix: '', store: '', wires: [['valve']] },
    cduValve(),
    { id: 's-opcua', type: 'llmops-sensor', z: 'tab', name: 'BMS', source: 'opcua', endpoint: 'ep', items: [{ nodeId: 'CDU1.SupplyTemperature', metric: 'cdu.supplyTemperature' }, { nodeId: 'Rack01.Power', metric: 'rack.power' }], samplingInterval: 200, publishingInterval: 500, influx: 'db', wires: [[]] },
    { id: 's-msg', type: 'llmops-sensor', z: 'tab', name: 'readings', influx: 'db', wires: [[]] },
    // Energy.
    { id: 'batcher', type: 'llmops-queue-batcher', z: 'tab', name: 'pools', maxBatchSize: 3, statsS: 0, wires: [[], []] },
    { id: 'dvfs', type: 'llmops-gpu-dvfs', z: 'tab', name: 'clocks', source: 'twin', actuator: 'twin', facility: 'fac', periodS: 1, holdS: 0, wires: [[]] },
    { id: 'scaler', type: 'llmops-cluster-scaler', z: 'tab', name: 'fleet', source: 'twin', actuator: 'twin', facility: 'fac', minServers: 1, maxServers: 4, periodS: 1, wires: [[]] },
    // LLM operations.
    { id: 'engine', type: 'llmops-llm-engine', z: 'tab', name: 'order → text', provider: 'prov', template: '', schema: '', wires: [['matcher'], []] },
    { id: 'matcher', type: 'llmops-io-matcher', z: 'tab', name: 'verify', inputProperty: 'inputData', rules: [], strict: false, wires: [['review'], ['review']] },
    { id: 'review', type: 'llmops-human-review', z: 'tab', name: 'sign-off', store: '', approvals: 1, checklist: [], timeout: 0, timeoutUnit: 's', timeoutOutcome: 'reject', requireReason: false, autoApprove: false, autoMaxChange: 5, autoFields: '', influx: '', wires: [[], [], []] },
    // Traffic: POST /go → one msg to each msg-driven node.
    { id: 'go', type: 'http in', z: 'tab', url: '/go', method: 'post', wires: [['fan']] },
    {
      id: 'fan',
      type: 'function',
      z: 'tab',
      outputs: 4,
      func: [
        'const t = Date.now();',
        'return [',
        '  { payload: { product: "Laptop", quantity: 5 } },',
        '  { payload: { id: "r" + t, inputTokens: 100, maxOutputTokens: 50 } },',
        '  { payload: [{ metric: "gpu.power", value: 300, ts: t, tags: { gpu: "0" } }] },',
        '  { req: msg.req, res: msg.res, payload: "ok" },',
        '];',
      ].join('\n'),
      wires: [['engine'], ['batcher'], ['s-msg'], ['goes']],
    },
    { id: 'goes', type: 'http response', z: 'tab', statusCode: '200' },
  ] as Array<Record<string, unknown>>);
}

/** Credentials of every config node, as the editor would send them with a deploy. */
export function withCredentials(flow: Array<Record<string, unknown>>, s: NonNullable<AllNodesOptions['secrets']>): Array<Record<string, unknown>> {
  return flow.map((n) => {
    if (n.id === 'prov' && s.apiKey) return { ...n, credentials: { apiKey: s.apiKey } };
    if (n.id === 'db' && s.influxPassword) return { ...n, credentials: { username: 'llmops', password: s.influxPassword } };
    if (n.id === 'ep' && s.opcuaPassword) return { ...n, credentials: { username: 'operator', password: s.opcuaPassword } };
    if (n.id === 'fac' && s.twinPassword) return { ...n, credentials: { opcuaUser: 'operator', opcuaPassword: s.twinPassword } };
    return n;
  });
}
