// Names both ends of the twin's OPC UA link agree on, kept apart from node-opcua so that reading
// them costs nothing at start-up.

/**
 * Namespace URI of the twin's BMS points. It is the server's application URI, hence its own
 * namespace, index 1: `ns=1;s=CDU1.FlowSetpoint`. Clients should resolve the index from the URI
 * (`nsu=urn:node-red-contrib-llmops:twin:bms;s=CDU1.FlowSetpoint` or a bare `CDU1.FlowSetpoint`
 * in our nodes), since another server may order its namespaces differently.
 */
export const BMS_NAMESPACE_URI = 'urn:node-red-contrib-llmops:twin:bms';

/** Security of the twin's server: `none` keeps a None endpoint for demos; `sign-encrypt` offers Basic256Sha256 SignAndEncrypt only. */
export type SecurityChoice = 'none' | 'sign-encrypt';

/** `CDU1.FlowSetpoint` → [`CDU1`, `FlowSetpoint`] (device object, variable browse name). */
export function bmsBrowsePath(nodeId: string): [string, string] {
  const dot = nodeId.indexOf('.');
  return dot < 0 ? ['BMS', nodeId] : [nodeId.slice(0, dot), nodeId.slice(dot + 1)];
}

/** How a user wrote a node id: a full OPC UA id (`ns=1;s=…`, `i=2258`, `nsu=…;s=…`) or a bare string id. */
export type NodeIdText = { kind: 'full'; text: string } | { kind: 'nsu'; namespaceUri: string; id: string } | { kind: 'bare'; id: string };

export function parseNodeIdText(text: string): NodeIdText {
  const t = text.trim();
  const nsu = /^nsu=([^;]+);(.+)$/.exec(t);
  if (nsu) return { kind: 'nsu', namespaceUri: nsu[1], id: nsu[2] };
  if (/^(ns=\d+;)?[isgb]=/.test(t)) return { kind: 'full', text: t };
  return { kind: 'bare', id: t };
}

/**
 * The node id text node-opcua resolves, given the server's namespace array. A bare id is a string
 * id in `defaultNamespaceUri`; an `nsu=` id names its namespace. Throws when the namespace is not on the server.
 */
export function resolveNodeIdText(text: string, namespaces: readonly string[], defaultNamespaceUri: string): string {
  const p = parseNodeIdText(text);
  if (p.kind === 'full') return p.text;
  const uri = p.kind === 'nsu' ? p.namespaceUri : defaultNamespaceUri;
  const index = namespaces.indexOf(uri);
  if (index < 0) throw new Error(`namespace ${uri} is not on this server`);
  const id = p.kind === 'nsu' ? p.id : `s=${p.id}`;
  return `ns=${index};${id}`;
}
