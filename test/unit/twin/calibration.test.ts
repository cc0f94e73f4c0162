import assert from 'node:assert/strict';
import { ANCHORS, runAnchor } from '../../../core/twin/calibration';

// twin.md §1: the twin must land within a factor of 2 of DynamoLLM's energy per request.
// What "short", "long" and "energy per request" mean here is documented in calibration.ts.
describe('twin calibration anchors (twin.md §1)', () => {
  for (const anchor of ANCHORS) {
    it(`${anchor.name}: within a factor of 2 of ${anchor.paperWh} Wh per request`, () => {
      const r = runAnchor(anchor);
      assert.ok(r.ratio >= 0.5 && r.ratio <= 2, `${r.attributedWh.toFixed(2)} Wh vs ${anchor.paperWh} Wh`);
    });
  }

  it('serves the anchor loads inside the SLO, so the energy is not that of an overloaded instance', () => {
    for (const anchor of ANCHORS) assert.ok(runAnchor(anchor).sloAttainmentPct >= 99, anchor.name);
  });

  it('short requests on TP2 at 1.2 GHz cost less per request than long ones on TP8 at 2 GHz', () => {
    const [short, long] = ANCHORS.map((a) => runAnchor(a));
    assert.ok(short.attributedWh * 5 < long.attributedWh);
    assert.ok(short.amortisedWh < long.amortisedWh);
  });
});
