// Node `llmops-cluster-scaler`: the cluster level of DynamoLLM. From the cluster's recent load
// and its trend it chooses how many servers to keep powered, with headroom for a server's
// start-up time: out early, in by draining, within min/max and a cooldown (core/energy/scaler.ts
// decides; this file maps config and msgs). Load comes in msgs or from the facility twin; the
// target goes to the twin, to a Kubernetes Deployment/StatefulSet (scale subresource; its ready
// replicas become the scaler's activeServers), or out as a msg only. Fed nothing, it holds the
// current count; on the twin it acts only once it has seen a full load window.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { KubernetesFleet } from '../../core/adapters/actuators';
import { AdapterError } from '../../core/adapters/errors';
import type { ScaleState } from '../../core/adapters/kubernetes';
import { EnergyInputError } from '../../core/energy/errors';
import { profileFromTwinLaws } from '../../core/energy/profile';
import { ClusterScaler, type ClusterLoad, type ScaleDecision } from '../../core/energy/scaler';
import { DEFAULT_PARAMS } from '../../core/twin/params';
import type { Completion, IntervalSample } from '../../core/twin/facility';
import type { FacilityConfigNode, FacilityTick } from '../facility/facility';
import { messageOf, StatusLine } from '../shared/status';

interface ScalerDef extends NodeDef {
  source: 'msg' | 'twin';
  actuator: 'twin' | 'message' | 'kubernetes';
  facility?: string;
  // Kubernetes actuator (prefixed: `name` is the node's own name).
  k8sKind?: 'Deployment' | 'StatefulSet';
  k8sName?: string;
  /** Empty: the kubeconfig context's namespace, or the pod's own. */
  k8sNamespace?: string;
  k8sAuth?: 'in-cluster' | 'kubeconfig' | 'default';
  kubeconfigPath?: string;
  k8sContext?: string;
  /** Seconds between reads of the ready replicas (0: only after a scale); default 15. */
  readIntervalS?: string | number;
  minServers: string | number;
  maxServers: string | number;
  bootS: string | number;
  cooldownS: string | number;
  periodS: string | number;
  headroomPct: string | number;
  staleS: string | number;
}

/** Status words per adapter failure: short, the full sentence goes to the log. */
const K8S_SHORT: Record<string, string> = {
  ERR_PERMISSION: 'permission',
  ERR_CONFLICT: 'conflict',
  ERR_MISSING: 'missing',
  ERR_UNREACHABLE: 'unreachable',
  ERR_TIMEOUT: 'timeout',
};

/** Simulated seconds of twin load to observe before the first decision: the scaler's level window. */
const WARMUP_S = 60;

function num(v: unknown, fallback: number): number {
  if (v === '' || v === undefined || v === null) return fallback;
  const n = Number(v);
  return Number.isFinite(n) ? n : fallback;
}

/** What the twin shows of the cluster's load over one scaler period. */
class LoadMeter {
  private arrivals = 0;
  private seconds = 0;
  private inputTokens = 0;
  private outputTokens = 0;
  private completions = 0;
  private readonly slo: Array<{ t: number; met: boolean }> = [];
  sample(s: IntervalSample): void {
    this.arrivals += s.arrivedPerS;
    this.seconds++;
  }
  complete(c: Completion): void {
    this.inputTokens += c.inputTokens;
    this.outputTokens += c.outputTokens;
    this.completions++;
    this.slo.push({ t: c.finishS, met: c.sloMet });
  }
  /** The load over the period since the last call; prompt tokens/s from the finished requests' mean prompt. */
  take(nowS: number, activeServers: number): ClusterLoad | null {
    if (this.seconds === 0) return null;
    const req = this.arrivals / this.seconds;
    const meanIn = this.completions > 0 ? this.inputTokens / this.completions : undefined;
    const load: ClusterLoad = {
      requestsPerSec: req,
      tokensPerSec: meanIn === undefined ? undefined : req * meanIn,
      outputTokensPerSec: this.outputTokens / this.seconds,
      activeServers,
    };
    while (this.slo.length && this.slo[0].t < nowS - 60) this.slo.shift();
    if (this.slo.length >= 50) load.sloAttainmentPct = (100 * this.slo.filter((x) => x.met).length) / this.slo.length;
    this.arrivals = this.seconds = this.inputTokens = this.outputTokens = this.completions = 0;
    return load;
  }
}

export default function register(RED: NodeAPI) {
  function ClusterScalerNode(this: Node, def: ScalerDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = new StatusLine(node);
    const source = def.source === 'twin' ? 'twin' : 'msg';
    const actuator = def.actuator === 'message' ? 'message' : def.actuator === 'kubernetes' ? 'kubernetes' : 'twin';
    const needsTwin = source === 'twin' || actuator === 'twin';
    const facility = def.facility ? (RED.nodes.getNode(def.facility) as FacilityConfigNode | null) : null;
    const periodS = Math.max(1, num(def.periodS, 5));
    let scaler: ClusterScaler | undefined;
    let failure: string | undefined;
    // The twin's simulated load must not scale a real fleet: the real actuator takes load in msgs.
    if (actuator === 'kubernetes' && source === 'twin') failure = RED._('cluster-scaler.errors.k8s-needs-msg');
    else if (needsTwin && !facility) failure = RED._('cluster-scaler.errors.no-facility');
    else {
      try {
        let maxServers = Math.round(num(def.maxServers, 12));
        // The twin has only so many servers installed: never plan for more.
        if (facility && actuator === 'twin' && facility.twin()) maxServers = Math.min(maxServers, facility.servers().length);
        scaler = new ClusterScaler(profileFromTwinLaws(DEFAULT_PARAMS), {
          minServers: Math.round(num(def.minServers, 1)),
          maxServers,
          bootS: Math.max(0, num(def.bootS, 180)),
          cooldownS: Math.max(0, num(def.cooldownS, 60)),
          headroom: Math.max(0, num(def.headroomPct, 10) / 100),
          staleS: Math.max(1, num(def.staleS, 60)),
        });
      } catch (err) {
        failure = messageOf(err);
      }
    }

    let closed = false;
    /** What Kubernetes last reported: `ready` is the fleet's activeServers. */
    let observed: ScaleState | undefined;
    /** The last scale that failed, until one succeeds. */
    let scaleError: AdapterError | undefined;
    /** The last read that failed, until one succeeds (said once in the log). */
    let readError: string | undefined;
    let fleet: KubernetesFleet | undefined;
    if (!failure && actuator === 'kubernetes') {
      try {
        const auth = def.k8sAuth === 'in-cluster' || def.k8sAuth === 'kubeconfig' ? def.k8sAuth : 'default';
        // With nothing to find, the client would quietly try http://localhost:8080: say what is missing instead.
        const homeConfig = path.join(process.env.HOME || os.homedir(), '.kube', 'config');
        if (auth === 'default' && !process.env.KUBECONFIG && !process.env.KUBERNETES_SERVICE_HOST && !fs.existsSync(homeConfig)) {
          throw new AdapterError('ERR_BAD_CONFIG', RED._('cluster-scaler.errors.k8s-no-credentials', { path: homeConfig }));
        }
        fleet = new KubernetesFleet(
          {
            kind: def.k8sKind || 'Deployment',
            name: (def.k8sName ?? '').trim(),
            namespace: (def.k8sNamespace ?? '').trim(),
            auth,
            kubeconfigPath: (def.kubeconfigPath ?? '').trim(),
            context: (def.k8sContext ?? '').trim(),
            readIntervalS: def.readIntervalS,
          },
          {
            ready: (s) => {
              observed = s;
              readError = undefined;
              showStatus();
            },
            error: (err) => {
              // A read that fails leaves the scaler working on the last count (yellow): a warning, once.
              if (err.message !== readError) node.warn(RED._('cluster-scaler.errors.k8s-read', { error: err.message }));
              readError = err.message;
              showStatus();
            },
          },
        );
      } catch (err) {
        failure = RED._('cluster-scaler.errors.k8s-config', { error: messageOf(err) });
      }
    }
    const workload = fleet ? `${fleet.scaler.kind} ${fleet.scaler.namespace}/${fleet.scaler.name}` : '';
    if (failure) {
      status.error(failure);
      node.error(failure);
    }

    let last: ScaleDecision | undefined;
    let twinError: string | undefined;
    let lastDecideS = Number.NEGATIVE_INFINITY;
    const meter = new LoadMeter();
    /**
     * Simulated time of the first load sample from the twin. Until a full load window has been
     * seen after it, the scaler observes but does not act: the twin's servers stay as they are.
     * Deciding on the first period's few seconds (or on none) would drain a cluster whose load has
     * not arrived yet, and servers take minutes to come back.
     */
    let firstSampleS: number | undefined;
    const warmupS = Math.max(WARMUP_S, periodS);

    const nowS = () => (facility ? facility.twin()?.timeS ?? Date.now() / 1000 : Date.now() / 1000);
    /** Servers the twin powers and will keep (booting or serving; draining ones are on their way out). */
    const twinPowered = () => (facility ? facility.servers().filter((s) => s.state === 'on' || s.state === 'booting').length : 0);

    const showStatus = () => {
      if (failure) return status.error(failure);
      if (twinError) return status.warn(twinError);
      if (scaleError) return status.error(RED._('cluster-scaler.k8s-status.' + (K8S_SHORT[scaleError.code] ?? 'failed'), { code: scaleError.code, workload }));
      if (readError) return status.warn(RED._('cluster-scaler.k8s-status.read', { workload }));
      if (!last) {
        if (observed) return status.idle(RED._('cluster-scaler.status.k8s-idle', { workload, ready: observed.ready, desired: observed.desired }));
        return status.idle(RED._('cluster-scaler.status.waiting'));
      }
      const text = observed
        ? RED._('cluster-scaler.status.k8s', { target: last.target, ready: observed.ready, desired: observed.desired, reason: RED._('cluster-scaler.reason.' + last.reason) })
        : RED._('cluster-scaler.status.target', { target: last.target, current: last.current, reason: RED._('cluster-scaler.reason.' + last.reason) });
      if (last.reason === 'stale-hold') status.warn(text);
      else if (last.delta !== 0) status.busy(text);
      else status.ok(text);
    };

    const act = (d: ScaleDecision, send: (msg: NodeMessageInFlow) => void) => {
      if (actuator === 'twin' && facility && d.target !== twinPowered()) {
        try {
          facility.setServerCount(d.target);
          twinError = undefined;
        } catch (err) {
          twinError = RED._('cluster-scaler.errors.actuator', { error: messageOf(err) });
          node.error(twinError);
        }
      }
      // Scale only when the count differs from what Kubernetes last said it wants (the adapter
      // reads again before writing, so someone else's change in between is not overwritten blind).
      if (fleet && (!observed || d.target !== observed.desired)) scale(fleet, d);
      last = d;
      send({
        topic: 'servers',
        payload: { target: d.target, current: d.current, delta: d.delta, reason: d.reason, needed: d.needed, forecastTokensPerS: d.forecastTokensPerS },
      } as NodeMessageInFlow);
      // A decision per msg: the translated text is built at most once per interval.
      status.throttle(showStatus);
    };

    /** Scales through the scale subresource; a failure is a red status and a logged error, never a throw. */
    function scale(f: KubernetesFleet, d: ScaleDecision) {
      f.apply(d.target).then(
        () => {
          if (closed) return;
          scaleError = undefined;
          showStatus();
        },
        (err: unknown) => {
          if (closed) return;
          const e = err instanceof AdapterError ? err : new AdapterError('ERR_FAILED', messageOf(err));
          scaleError = e;
          showStatus();
          const text = RED._('cluster-scaler.errors.k8s-scale', { target: d.target, workload, error: e.message });
          // With the decision as msg, so a Catch node can act on it (msg.code says which failure).
          node.error(text, { topic: 'servers', payload: { target: d.target, current: d.current, delta: d.delta, reason: d.reason }, code: e.code } as unknown as NodeMessageInFlow);
        },
      );
    }
    // The ready replicas before the first decision: the first load's activeServers.
    if (fleet) void fleet.refresh();

    let unregister: (() => void) | undefined;
    const unsubs: Array<() => void> = [];
    if (facility && scaler && !failure) {
      if (source === 'twin') {
        unsubs.push(
          facility.onSample((s) => {
            firstSampleS ??= s.t;
            meter.sample(s);
          }),
        );
        unsubs.push(facility.onCompletion((c) => meter.complete(c)));
      }
      unregister = facility.register(node, (tick: FacilityTick) => {
        if (tick.error) {
          twinError = tick.error;
          return showStatus();
        }
        if (source !== 'twin' || tick.simulatedS - lastDecideS < periodS) return;
        lastDecideS = tick.simulatedS;
        try {
          const load = meter.take(tick.simulatedS, twinPowered());
          if (load) scaler!.observe(load, tick.simulatedS);
          if (firstSampleS === undefined || tick.simulatedS - firstSampleS < warmupS) return showStatus();
          act(scaler!.decide(tick.simulatedS), (m) => node.send(m));
        } catch (err) {
          node.error(messageOf(err));
        }
      });
    }
    showStatus();

    node.on('input', (msg: NodeMessageInFlow, send, done) => {
      if (!scaler || failure) {
        done(new Error(failure ?? RED._('cluster-scaler.errors.not-ready')));
        return;
      }
      try {
        const load = fleet ? withReady(msg.payload) : (msg.payload as ClusterLoad);
        const t = nowS();
        scaler.observe(load, t);
        act(scaler.decide(t), (m) => send(m));
        done();
      } catch (err) {
        const text = err instanceof EnergyInputError ? err.message : messageOf(err);
        status.error(text);
        done(new Error(text));
      }
    });

    /**
     * Kubernetes: the fleet's activeServers are the ready replicas it reports, not what a msg
     * says, so start-up time and failed pods show in the decisions.
     */
    function withReady(payload: unknown): ClusterLoad {
      if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return payload as ClusterLoad;
      const load = payload as ClusterLoad;
      if (observed) return { ...load, activeServers: observed.ready };
      if (load.activeServers === undefined) throw new EnergyInputError('ERR_BAD_LOAD', RED._('cluster-scaler.errors.k8s-no-ready', { workload }));
      return load;
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      // Stops reading; the replica count stays as it is (scaling in on redeploy would drop traffic).
      fleet?.close();
      unregister?.();
      for (const u of unsubs) u();
      status.dispose();
      done();
    });
  }

  RED.nodes.registerType('llmops-cluster-scaler', ClusterScalerNode);
}
