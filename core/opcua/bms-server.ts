// The twin's building-management system as a real OPC UA server (twin.md §5): every BMS point of
// the facility becomes a variable with a string node id in the twin's own namespace, reads come
// from the twin, and writes go through `bmsWrite`, so the twin's ranges are the server's ranges.
//
// node-opcua is loaded inside `start()`: requiring it costs about a second, and Node-RED loads
// this suite at start-up whether or not any flow serves OPC UA.
import * as path from 'path';
import type { BmsPoint } from '../twin/bms';
import { BMS_NAMESPACE_URI, bmsBrowsePath, type SecurityChoice } from './names';

export { BMS_NAMESPACE_URI };

type BmsValue = number | boolean | string;

/** What the server needs of a twin (the Facility satisfies it). */
export interface BmsSource {
  bmsPoints(): BmsPoint[];
  bmsRead(): Record<string, BmsValue>;
  /** Throws an error with `code` = an OPC UA status name (BadOutOfRange, …) when refused. */
  bmsWrite(nodeId: string, value: BmsValue): void;
}

export interface BmsUser {
  name: string;
  password: string;
}

export interface BmsServerOptions {
  source: BmsSource;
  port: number;
  /**
   * Interface the server listens on, and the host name its endpoints advertise (default
   * `127.0.0.1`: this machine only). `0.0.0.0` or `::` listen on every interface and advertise
   * this machine's name, with `localhost` and `127.0.0.1` beside it so local clients match too.
   */
  host?: string;
  /** `none`: a None endpoint (demo) beside Basic256Sha256 SignAndEncrypt; `sign-encrypt`: the secure endpoint only. */
  security: SecurityChoice;
  users?: BmsUser[];
  /** Anonymous sessions (default true). */
  allowAnonymous?: boolean;
  /** PKI folder (node-opcua-pki layout: own/, trusted/, rejected/, issuers/). */
  pkiDir: string;
  /** Trusts every client certificate it has not seen (demo/tests only; default false: they land in rejected/). */
  trustUnknownClients?: boolean;
  /** Called after a write was accepted or refused (for logs). */
  onWrite?: (nodeId: string, value: unknown, status: string) => void;
}

/** What `describe()` returns: enough for a log line or a status text. */
export interface BmsServerInfo {
  endpointUrl: string;
  namespaceUri: string;
  namespaceIndex: number;
  endpoints: Array<{ securityMode: string; securityPolicy: string }>;
  points: number;
}

// Units of the BMS points as UNECE common codes, which OPC UA's EUInformation carries.
const UNECE: Record<string, [code: string, name: string]> = {
  '°C': ['CEL', 'degree Celsius'],
  'L/min': ['L2', 'litre per minute'],
  '%': ['P1', 'percent'],
  kW: ['KWT', 'kilowatt'],
  count: ['C62', 'one'],
};

export class BmsServer {
  private server: any;
  private snapshot: Record<string, BmsValue> = {};
  private info?: BmsServerInfo;

  constructor(private readonly opts: BmsServerOptions) {}

  /** Starts listening; resolves when clients can connect. */
  async start(): Promise<BmsServerInfo> {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const ua = require('node-opcua');
    const o = this.opts;
    const certificateManager = new ua.OPCUACertificateManager({
      rootFolder: o.pkiDir,
      automaticallyAcceptUnknownCertificate: !!o.trustUnknownClients,
      disableFileWatchers: true,
    });
    await certificateManager.initialize();
    const secure = o.security === 'sign-encrypt';
    const users = o.users ?? [];
    this.refresh();
    const bind = listenAddress(o.host);
    this.server = new ua.OPCUAServer({
      port: o.port,
      // Clients ask for endpoints by the URL they dialled; a server advertising another name
      // answers with a warning ("Cannot find suitable endpoints") and its whole list.
      host: bind.host,
      hostname: bind.advertised,
      alternateHostname: bind.alternates,
      resourcePath: '/',
      serverCertificateManager: certificateManager,
      certificateFile: path.join(o.pkiDir, 'own', 'certs', 'llmops-twin.pem'),
      privateKeyFile: path.join(o.pkiDir, 'own', 'private', 'private_key.pem'),
      securityModes: secure ? [ua.MessageSecurityMode.SignAndEncrypt] : [ua.MessageSecurityMode.None, ua.MessageSecurityMode.SignAndEncrypt],
      securityPolicies: secure ? [ua.SecurityPolicy.Basic256Sha256] : [ua.SecurityPolicy.None, ua.SecurityPolicy.Basic256Sha256],
      allowAnonymous: o.allowAnonymous !== false,
      userManager: {
        isValidUser: (name: string, password: string) => users.some((u) => u.name === name && u.password === password),
      },
      serverInfo: {
        applicationName: { text: 'llmops twin BMS', locale: 'en' },
        // The server's own namespace (index 1) is named by its application URI.
        applicationUri: BMS_NAMESPACE_URI,
        productUri: 'urn:node-red-contrib-llmops:twin',
      },
      buildInfo: { productName: 'llmops-twin', manufacturerName: 'node-red-contrib-llmops' },
      disableDiscovery: false,
      isAuditing: false,
    });
    await this.server.initialize();
    this.buildAddressSpace(ua);
    await this.server.start();
    const endpoint = this.server.endpoints[0];
    // node-opcua keeps a None endpoint for discovery only (no user tokens): not one a session can use.
    const descriptions = endpoint.endpointDescriptions().filter((d: any) => (d.userIdentityTokens ?? []).length > 0);
    // The same endpoints repeat under each alternate name (localhost…): describe the main name's.
    const endpointUrl: string = descriptions[0].endpointUrl;
    this.info = {
      endpointUrl,
      namespaceUri: BMS_NAMESPACE_URI,
      namespaceIndex: this.namespaceIndex,
      endpoints: descriptions.filter((d: any) => d.endpointUrl === endpointUrl).map((d: any) => ({
        securityMode: ua.MessageSecurityMode[d.securityMode],
        securityPolicy: String(d.securityPolicyUri).split('#')[1],
      })),
      points: this.opts.source.bmsPoints().length,
    };
    return this.info;
  }

  private namespaceIndex = 1;

  private buildAddressSpace(ua: any): void {
    const addressSpace = this.server.engine.addressSpace;
    const ns = addressSpace.getOwnNamespace();
    this.namespaceIndex = ns.index;
    const folders = new Map<string, any>();
    const bms = ns.addFolder(addressSpace.rootFolder.objects, { browseName: 'BMS', nodeId: 's=BMS' });
    const write = this.opts.onWrite;
    for (const point of this.opts.source.bmsPoints()) {
      const [device, name] = bmsBrowsePath(point.nodeId);
      let folder = folders.get(device);
      if (!folder) {
        folder = ns.addObject({ organizedBy: bms, browseName: device, nodeId: `s=${device}` });
        folders.set(device, folder);
      }
      const writable = point.access === 'readwrite';
      const access = writable ? 'CurrentRead | CurrentWrite' : 'CurrentRead';
      const dataType = ua.DataType[point.dataType];
      const binding = {
        get: () => new ua.Variant({ dataType, value: this.snapshot[point.nodeId] ?? defaultOf(point) }),
        set: writable
          ? (variant: any) => {
              const status = this.write(point.nodeId, variant.value);
              write?.(point.nodeId, variant.value, status);
              return ua.StatusCodes[status] ?? ua.StatusCodes.BadInternalError;
            }
          : undefined,
      };
      const common = {
        componentOf: folder,
        browseName: name,
        nodeId: `s=${point.nodeId}`,
        description: point.description,
        accessLevel: access,
        userAccessLevel: access,
        minimumSamplingInterval: 100,
        value: binding,
      };
      if (point.dataType === 'Double') {
        const unit = UNECE[point.unit];
        const range = point.range && Number.isFinite(point.range.min) && Math.abs(point.range.min) < 1e300 ? point.range : undefined;
        ns.addAnalogDataItem({
          ...common,
          dataType: 'Double',
          // EURange is mandatory on an AnalogItem; read-only points get the span they are shown in.
          engineeringUnitsRange: range ? { low: range.min, high: range.max } : displaySpan(point.unit),
          engineeringUnits: unit ? ua.makeEUInformation(unit[0], point.unit, unit[1]) : undefined,
        });
      } else {
        ns.addVariable({ ...common, dataType: point.dataType });
      }
    }
  }

  /** Re-reads every point from the twin (call after advancing it). */
  refresh(): void {
    this.snapshot = this.opts.source.bmsRead();
  }

  /** Writes through the twin; returns the OPC UA status name. */
  private write(nodeId: string, value: unknown): string {
    try {
      this.opts.source.bmsWrite(nodeId, value as BmsValue);
      this.refresh();
      return 'Good';
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      return typeof code === 'string' && code.startsWith('Bad') ? code : 'BadInternalError';
    }
  }

  describe(): BmsServerInfo | undefined {
    return this.info;
  }

  /** Stops listening and drops every session. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await s.shutdown(0);
  }
}

/** Where to listen and which names to advertise for a `host` option. */
export function listenAddress(host: string | undefined): { host?: string; advertised?: string; alternates: string[] } {
  const h = (host ?? '').trim() || '127.0.0.1';
  if (h === '0.0.0.0' || h === '::') {
    // No host: node-opcua listens on every interface and advertises this machine's full name.
    return { alternates: ['localhost', '127.0.0.1'] };
  }
  const loopback = h === '127.0.0.1' || h === 'localhost' || h === '::1';
  // An IPv6 literal goes in brackets in a URL.
  return { host: h, advertised: h.includes(':') ? `[${h}]` : h, alternates: loopback && h !== 'localhost' ? ['localhost'] : [] };
}

function defaultOf(point: BmsPoint): BmsValue {
  return point.dataType === 'Boolean' ? false : point.dataType === 'String' ? '' : 0;
}

function displaySpan(unit: string): { low: number; high: number } {
  switch (unit) {
    case '°C':
      return { low: 0, high: 100 };
    case '%':
      return { low: 0, high: 100 };
    case 'L/min':
      return { low: 0, high: 600 };
    case 'kW':
      return { low: 0, high: 200 };
    default:
      return { low: 0, high: 1e6 };
  }
}
