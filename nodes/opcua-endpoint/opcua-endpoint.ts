// Config node `llmops-opcua-endpoint`: owns the one OPC UA session to a server (a plant's BMS or the
// twin's) and shares it with every node that uses it, like the core MQTT broker node owns its
// connection. The session opens when the first user registers, reconnects with backoff, restores
// the users' subscriptions after every reconnect, fans its state out to the users, and is closed
// on redeploy within Node-RED's 15 s.
import * as path from 'path';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { OpcuaSession, type SecurityMode, type SecurityPolicyName, type StateChange } from '../../core/opcua/session';
import { messageOf } from '../shared/status';

interface EndpointDef extends NodeDef {
  endpointUrl: string;
  securityMode: SecurityMode;
  securityPolicy: SecurityPolicyName;
  pkiDir: string;
  trustUnknownServerCertificate: boolean;
  namespaceUri: string;
  backoffInitialMs: string | number;
  backoffMaxMs: string | number;
}

interface EndpointCredentials {
  username?: string;
  password?: string;
}

export interface OpcuaEndpointNode extends Node<EndpointCredentials> {
  endpointUrl: string;
  /**
   * Registers a user: opens the shared session if it is the first, and calls `onState` now and on
   * every state change. Returns the session and the function that deregisters.
   */
  register(user: Node, onState: (s: StateChange) => void): { session: OpcuaSession; deregister: () => void };
  /** The shared session (opened on first use). */
  session(): OpcuaSession;
}

const MODES: SecurityMode[] = ['None', 'Sign', 'SignAndEncrypt'];
const POLICIES: SecurityPolicyName[] = ['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'];

function int(v: unknown, fallback: number, min: number, max: number): number {
  const n = Number(v);
  return Number.isFinite(n) && v !== '' ? Math.min(max, Math.max(min, Math.round(n))) : fallback;
}

export default function register(RED: NodeAPI) {
  function OpcuaEndpoint(this: OpcuaEndpointNode, def: EndpointDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    node.endpointUrl = def.endpointUrl;
    const creds = node.credentials || {};
    const mode = MODES.includes(def.securityMode) ? def.securityMode : 'None';
    const policy = mode === 'None' ? 'None' : POLICIES.includes(def.securityPolicy) && def.securityPolicy !== 'None' ? def.securityPolicy : 'Basic256Sha256';
    const userDir = RED.settings.userDir || process.cwd();
    const pkiDir = def.pkiDir ? path.resolve(userDir, def.pkiDir) : path.join(userDir, 'llmops', 'opcua-pki');
    let shared: OpcuaSession | undefined;
    const users = new Map<Node, (s: StateChange) => void>();
    let lastLogged = '';

    node.session = () => {
      if (!shared) {
        // node-opcua itself is loaded by the session on open, not when Node-RED loads this file.
        shared = new OpcuaSession({
          endpointUrl: def.endpointUrl,
          securityMode: mode,
          securityPolicy: policy,
          username: creds.username || undefined,
          password: creds.password || undefined,
          pkiDir,
          trustUnknownServerCertificate: !!def.trustUnknownServerCertificate,
          defaultNamespaceUri: def.namespaceUri || undefined,
          backoff: { initialMs: int(def.backoffInitialMs, 500, 50, 60000), maxMs: int(def.backoffMaxMs, 15000, 100, 300000) },
        });
        shared.on('state', (s: StateChange) => {
          if (s.state === 'connected') {
            if (lastLogged) node.log(RED._('opcua-endpoint.log.connected', { url: def.endpointUrl }));
            lastLogged = '';
          } else if (s.error && s.error !== lastLogged) {
            lastLogged = s.error;
            node.warn(RED._('opcua-endpoint.errors.outage', { url: def.endpointUrl, error: s.error }));
          }
          for (const fn of users.values()) fn(s);
        });
        shared.on('attempt-failed', (error: string) => {
          const s = shared!.status;
          for (const fn of users.values()) fn({ ...s, error });
        });
        shared.open();
      }
      return shared;
    };

    node.register = (user, onState) => {
      users.set(user, onState);
      const session = node.session();
      onState(session.status);
      return { session, deregister: () => users.delete(user) };
    };

    node.on('close', (_removed: boolean, done: () => void) => {
      users.clear();
      const s = shared;
      shared = undefined;
      if (!s) return done();
      // Node-RED allows 15 s for close handlers.
      s.close(10000)
        .catch((err) => node.error(messageOf(err)))
        .finally(done);
    });
  }

  RED.nodes.registerType('llmops-opcua-endpoint', OpcuaEndpoint as unknown as Parameters<NodeAPI['nodes']['registerType']>[1], {
    credentials: { username: { type: 'text' }, password: { type: 'password' } },
  });
}
