// The calibration anchors of twin.md §1: DynamoLLM reports 0.77 Wh per request for
// short-in/short-out on TP2 at 1.2 GHz and 13.21 Wh for long-in/long-out on TP8 at 2.0 GHz,
// at a load of 2K tokens/s (Llama2-70B, DGX H100). This module runs that experiment on the twin.
//
// What the anchor measures, as the twin reproduces it: one server at the stated TP and clock
// serves a steady Poisson stream of identical requests whose input + output tokens total the
// load. A request is charged the GPU power of the instance serving it for as long as it is in
// the system (mean instance GPU power × mean end-to-end latency): the energy a request holds
// the instance for. The amortised figure (server GPU energy ÷ requests) is reported beside it;
// it is an order of magnitude lower because batching shares an instance among many requests.
//
// Classes [E], after DynamoLLM's short/medium/long bins: short = 128 tokens (inside the < 256
// class), long = 2,048 input (the > 1,024 class, half of Llama2's 4K context) and 1,024 output.

import { Facility } from './facility';
import { twinParams, type TensorParallel } from './params';
import { constantRate } from './workload';

export interface AnchorCase {
  name: string;
  tp: TensorParallel;
  mhz: number;
  inputTokens: number;
  outputTokens: number;
  /** Input + output tokens per second offered to the server. */
  tokensPerS: number;
  /** DynamoLLM's figure (Wh per request). */
  paperWh: number;
}

export const ANCHORS: AnchorCase[] = [
  { name: 'short-in/short-out, TP2, 1.2 GHz', tp: 2, mhz: 1200, inputTokens: 128, outputTokens: 128, tokensPerS: 2000, paperWh: 0.77 },
  { name: 'long-in/long-out, TP8, 2.0 GHz', tp: 8, mhz: 1980, inputTokens: 2048, outputTokens: 1024, tokensPerS: 2000, paperWh: 13.21 },
];

export interface AnchorResult {
  name: string;
  paperWh: number;
  /** Mean instance GPU power × mean end-to-end latency (Wh per request). */
  attributedWh: number;
  /** Server GPU energy ÷ finished requests (Wh per request). */
  amortisedWh: number;
  ratio: number;
  meanLatencyS: number;
  meanInstanceGpuW: number;
  requestsPerS: number;
  sloAttainmentPct: number;
}

export function runAnchor(c: AnchorCase, durationS = 900, seed = 7): AnchorResult {
  const params = twinParams({ cluster: { servers: 1, initialActiveServers: 1, initialTensorParallel: c.tp } });
  const rate = c.tokensPerS / (c.inputTokens + c.outputTokens);
  const workload = constantRate(rate, { durationS, seed, lengths: { inputTokens: c.inputTokens, outputTokens: c.outputTokens } });
  const twin = new Facility(params, workload, seed);
  for (const i of twin.instances()) twin.setFrequency(i.id, c.mhz);
  twin.advance(durationS);
  const s = twin.summary();
  const instances = params.cluster.gpusPerServer / c.tp;
  const meanInstanceGpuW = (s.energy.gpuKWh * 3.6e6) / durationS / instances;
  const attributedWh = (meanInstanceGpuW * s.e2eS.mean) / 3600;
  return {
    name: c.name,
    paperWh: c.paperWh,
    attributedWh,
    amortisedWh: (s.energy.gpuKWh * 1000) / Math.max(1, s.requests.finished),
    ratio: attributedWh / c.paperWh,
    meanLatencyS: s.e2eS.mean,
    meanInstanceGpuW,
    requestsPerS: rate,
    sloAttainmentPct: s.requests.sloAttainmentPct,
  };
}
