// llmops-cluster-scaler with the Kubernetes actuator chosen in its dialog: the same decisions,
// applied to a Deployment / StatefulSet through its scale subresource on the Kubernetes API
// STAND-IN (test/helpers/fake-kube-api: HTTP, bearer tokens, RBAC, resourceVersion conflicts).
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { helper, nodeModule } from '../helpers/helper';
import { FakeKubeApi } from '../helpers/fake-kube-api';
import { waitFor } from '../helpers/ports';

const scaler = nodeModule('cluster-scaler/cluster-scaler.js');

type AnyNode = any;

/** 60k prompt tokens/s need several TP8 servers at 16k tokens/s each: a scale-out from 2. */
const HEAVY = { requestsPerSec: 60, tokensPerSec: 60000 };
const SCALE_PATH = '/apis/apps/v1/namespaces/llm/deployments/vllm/scale';

function statuses(node: AnyNode): Array<{ fill?: string; text?: string }> {
  return node.status.args.map((a: any[]) => a[0]);
}

function errors(node: AnyNode): string[] {
  return node.error.args.map((a: any[]) => String(a[0]));
}

function collect(): any[] {
  const seen: any[] = [];
  helper.getNode('out').on('input', (m: any) => seen.push(m.payload));
  return seen;
}

describe('llmops-cluster-scaler with the Kubernetes actuator', function () {
  this.timeout(30000);
  let api: FakeKubeApi;
  let dir: string;
  let kubeconfigPath: string;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeEach(async () => {
    api = new FakeKubeApi();
    const port = await api.start();
    api.addToken('tok', 'system:serviceaccount:llm:node-red');
    api.addWorkload('Deployment', 'llm', 'vllm', 2);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scaler-k8s-'));
    kubeconfigPath = path.join(dir, 'config');
    // Plain HTTP to the stand-in: the client needs insecure-skip-tls-verify for that (as with kubectl proxy).
    fs.writeFileSync(
      kubeconfigPath,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}\nusers:\n- name: u\n  user: {token: tok}\ncontexts:\n- name: x\n  context: {cluster: c, user: u, namespace: llm}\ncurrent-context: x\n`,
    );
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    await helper.unload();
    process.removeListener('unhandledRejection', onUnhandled);
    await api.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function k8sFlow(props: Record<string, unknown> = {}) {
    return [
      {
        id: 'c1', type: 'llmops-cluster-scaler', source: 'msg', actuator: 'kubernetes', minServers: 1, maxServers: 20,
        k8sKind: 'Deployment', k8sName: 'vllm', k8sNamespace: 'llm', k8sAuth: 'kubeconfig', kubeconfigPath, k8sContext: '', readIntervalS: 0,
        wires: [['out']], ...props,
      },
      { id: 'out', type: 'helper' },
    ];
  }

  /** Loads the flow and waits for the first read of the ready replicas. */
  async function deploy(props: Record<string, unknown> = {}) {
    await helper.load([scaler], k8sFlow(props));
    const node = helper.getNode('c1');
    await waitFor('the first read', () => statuses(node).find((s) => /ready/.test(s.text ?? '')));
    return node;
  }

  const patches = () => api.requests.filter((r) => r.method === 'PATCH');

  it('scales the named Deployment through its scale subresource with a merge patch', async () => {
    const node = await deploy();
    const seen = collect();
    node.receive({ payload: HEAVY });
    const d = await waitFor('a decision', () => seen[0]);
    assert.ok(d.target > 2, `target ${d.target}`);
    await waitFor('the patch', () => patches()[0]);
    const [p] = patches();
    assert.equal(p.path.split('?')[0], SCALE_PATH);
    assert.equal(p.contentType?.split(';')[0], 'application/merge-patch+json');
    assert.deepEqual((p.body as any).spec, { replicas: d.target });
    assert.equal(api.workloads.get('deployments/llm/vllm')!.replicas, d.target);
  });

  it('scales a StatefulSet through its own scale subresource', async () => {
    api.addWorkload('StatefulSet', 'llm', 'sglang', 2);
    const node = await deploy({ k8sKind: 'StatefulSet', k8sName: 'sglang' });
    const seen = collect();
    node.receive({ payload: HEAVY });
    const d = await waitFor('a decision', () => seen[0]);
    await waitFor('the patch', () => patches()[0]);
    assert.equal(patches()[0].path.split('?')[0], '/apis/apps/v1/namespaces/llm/statefulsets/sglang/scale');
    assert.equal(api.workloads.get('statefulsets/llm/sglang')!.replicas, d.target);
  });

  it('takes the ready replicas as the active servers, not the count the msg claims', async () => {
    const node = await deploy();
    const seen = collect();
    node.receive({ payload: { ...HEAVY, activeServers: 10 } });
    const d = await waitFor('a decision', () => seen[0]);
    assert.equal(d.current, 2);
  });

  it('feeds the replicas that became ready back as the current count', async () => {
    const node = await deploy({ readIntervalS: 0.2 });
    const seen = collect();
    node.receive({ payload: HEAVY });
    const first = await waitFor('a decision', () => seen[0]);
    await waitFor('the patch', () => patches()[0]);
    // Pods start: ready follows the new replica count; the periodic read reports it.
    api.settle();
    const st = await waitFor('the ready status', () => statuses(node).find((s) => s.text?.includes(`(${first.target} of ${first.target} ready)`)));
    assert.equal(st.fill !== 'red', true);
    node.receive({ payload: HEAVY });
    const second = await waitFor('a second decision', () => seen[1]);
    assert.equal(second.current, first.target);
  });

  it('shows the ready replicas on its status before any decision', async () => {
    const node = await deploy();
    const st = statuses(node).find((s) => /ready/.test(s.text ?? ''))!;
    assert.equal(st.text, 'Deployment llm/vllm: 2 of 2 ready');
  });

  it('reports a role without patch on deployments/scale with the RBAC rule it lacks, in red, without crashing', async () => {
    api.addToken('tok', 'system:serviceaccount:llm:node-red', ['get deployments/scale', 'get deployments']);
    const node = await deploy();
    const seen = collect();
    node.receive({ payload: HEAVY });
    const err = await waitFor('the error', () => errors(node).find((e) => /403/.test(e)));
    assert.match(err, /could not scale Deployment llm\/vllm to \d+ replicas/);
    assert.match(err, /cannot patch resource "deployments\/scale" in API group "apps" in the namespace "llm"/);
    assert.match(err, /verbs \["patch"\]/);
    assert.equal(node.error.args.find((a: any[]) => String(a[0]) === err)[1].code, 'ERR_PERMISSION');
    await waitFor('a red status', () => statuses(node).at(-1)?.fill === 'red');
    assert.match(statuses(node).at(-1)!.text!, /forbidden, check RBAC/);
    assert.equal(seen.length, 1, 'the decision msg still goes out');
    assert.equal(api.workloads.get('deployments/llm/vllm')!.replicas, 2);
    assert.deepEqual(unhandled, []);
  });

  it('retries a patch that meets a concurrent change (409) and scales', async () => {
    const node = await deploy();
    const seen = collect();
    api.conflictsNext = 2;
    node.receive({ payload: HEAVY });
    const d = await waitFor('a decision', () => seen[0]);
    await waitFor('the scale', () => api.workloads.get('deployments/llm/vllm')!.replicas === d.target);
    assert.deepEqual(
      patches().map((p) => p.status),
      [409, 409, 200],
    );
    assert.deepEqual(errors(node), []);
  });

  it('reports a workload that keeps changing (409 after every retry) with the adapter’s sentence', async () => {
    const node = await deploy();
    api.conflictsNext = 100;
    node.receive({ payload: HEAVY });
    const err = await waitFor('the error', () => errors(node).find((e) => /409/.test(e)));
    assert.match(err, /kept changing while we scaled it \(409 Conflict, 3 retries\)/);
    assert.match(statuses(node).at(-1)!.text!, /kept changing/);
  });

  it('leaves the replica count as it is and stops reading when it closes', async () => {
    const node = await deploy({ readIntervalS: 0.1 });
    const seen = collect();
    node.receive({ payload: HEAVY });
    const d = await waitFor('a decision', () => seen[0]);
    await waitFor('the scale', () => api.workloads.get('deployments/llm/vllm')!.replicas === d.target);
    await helper.unload();
    // A read in flight at close may still finish; after it, five read intervals pass without one.
    await new Promise((r) => setTimeout(r, 200));
    const after = api.requests.length;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(api.requests.length, after);
    assert.equal(api.workloads.get('deployments/llm/vllm')!.replicas, d.target);
  });

  it('shows a configuration error for a name Kubernetes would not accept', async () => {
    await helper.load([scaler], k8sFlow({ k8sName: 'vLLM_servers' }));
    const node = helper.getNode('c1');
    assert.ok(errors(node).some((e) => /"vLLM_servers" is not a Kubernetes object name/.test(e)), errors(node).join('\n'));
    assert.equal(statuses(node).at(-1)!.fill, 'red');
  });

  it('warns once, in yellow, when the ready replicas cannot be read, and goes on deciding', async () => {
    const node = await deploy({ readIntervalS: 0.1 });
    api.workloads.delete('deployments/llm/vllm');
    const warning = await waitFor('the warning', () => node.warn.args.map((a: any[]) => String(a[0])).find((w: string) => /not found/.test(w)));
    assert.match(warning, /could not read the ready replicas: Deployment "vllm" was not found in namespace "llm" \(404\)/);
    await waitFor('more failed reads', () => api.requests.filter((r) => r.status === 404).length >= 4);
    assert.equal(node.warn.args.filter((a: any[]) => String(a[0]) === warning).length, 1);
    assert.equal(statuses(node).at(-1)!.fill, 'yellow');
    const seen = collect();
    node.receive({ payload: HEAVY });
    await waitFor('a decision', () => seen[0]);
  });

  it('says which credentials are missing when the default ones do not exist', async () => {
    const saved = { ...process.env };
    try {
      process.env.HOME = dir;
      delete process.env.KUBECONFIG;
      delete process.env.KUBERNETES_SERVICE_HOST;
      await helper.load([scaler], k8sFlow({ k8sAuth: 'default' }));
      const node = helper.getNode('c1');
      assert.ok(errors(node).some((e) => e.includes(`no Kubernetes credentials found: KUBECONFIG is not set, there is no ${path.join(dir, '.kube', 'config')}`)), errors(node).join('\n'));
      assert.equal(statuses(node).at(-1)!.fill, 'red');
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  it('refuses the twin as load source for a real fleet', async () => {
    await helper.load([scaler], k8sFlow({ source: 'twin' }));
    assert.ok(errors(helper.getNode('c1')).some((e) => /takes load in msg.payload/.test(e)));
  });
});

describe('example flow cluster-scaler-kubernetes.json', function () {
  this.timeout(30000);
  const file = path.join(__dirname, '..', '..', 'examples', 'cluster-scaler-kubernetes.json');
  let api: FakeKubeApi;
  let dir: string;
  afterEach(async () => {
    await helper.unload();
    await api?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('opens with a comment node that explains it', () => {
    const nodes: any[] = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(nodes.filter((n) => n.type !== 'tab')[0].type, 'comment');
    assert.ok(nodes[1].info.length > 300);
  });

  it('ships its scaler disabled, so deploying the example scales nothing until the user enables it', () => {
    const nodes: any[] = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(nodes.find((n) => n.type === 'llmops-cluster-scaler').d, true);
  });

  it('scales the Deployment it names for the load its inject sends', async () => {
    const nodes: any[] = JSON.parse(fs.readFileSync(file, 'utf8'));
    const node = nodes.find((n) => n.type === 'llmops-cluster-scaler');
    api = new FakeKubeApi();
    const port = await api.start();
    api.addToken('tok', 'system:serviceaccount:llm:node-red');
    api.addWorkload(node.k8sKind, node.k8sNamespace, node.k8sName, 2);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scaler-k8s-'));
    const kubeconfigPath = path.join(dir, 'config');
    fs.writeFileSync(kubeconfigPath, `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}\nusers:\n- name: u\n  user: {token: tok}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n`);
    // As shipped it is disabled and reads the default credentials; here it is enabled, as the
    // comment tells the user to, and a kubeconfig points at the stand-in.
    const runnable = nodes
      .filter((n) => !['comment', 'inject', 'catch'].includes(n.type))
      .map((n) => (n.type === 'debug' ? { id: n.id, type: 'helper', z: n.z, name: n.name } : n === node ? { ...n, d: false, k8sAuth: 'kubeconfig', kubeconfigPath } : n));
    await helper.load([scaler], runnable);
    const target = helper.getNode(node.id);
    await waitFor('the first read', () => statuses(target).find((s) => /ready/.test(s.text ?? '')));
    const inject = nodes.find((n) => n.type === 'inject' && n.name === 'burst of load');
    assert.equal(inject.wires[0][0], node.id);
    target.receive({ payload: JSON.parse(inject.payload) });
    await waitFor('the scale-out', () => api.workloads.get(`deployments/${node.k8sNamespace}/${node.k8sName}`)!.replicas > 2);
  });
});
