import assert from 'node:assert/strict';
import { Pid } from '../../../core/cooling/pid';

describe('PI loop (baselines)', () => {
  it('raises a cooling flow when the measurement is above the setpoint', () => {
    const pid = new Pid({ kp: 1, ki: 0.1, kd: 0, outMin: 50, outMax: 500, direction: 1 }, 100);
    assert.ok(pid.update(10, 12, 10) > 100);
  });

  it('lowers a supply temperature when the GPU is above its target (reverse acting)', () => {
    const pid = new Pid({ kp: 1, ki: 0.1, kd: 0, outMin: 18, outMax: 45, direction: -1 }, 40);
    assert.ok(pid.update(80, 85, 10) < 40);
  });

  it('stays within its output limits', () => {
    const pid = new Pid({ kp: 10, ki: 10, kd: 0, outMin: 18, outMax: 45, direction: -1 }, 40);
    for (let i = 0; i < 50; i++) pid.update(80, 20, 10);
    assert.equal(pid.output, 45);
  });

  it('ignores a measurement that is not a number', () => {
    const pid = new Pid({ kp: 1, ki: 1, kd: 0, outMin: 0, outMax: 100, direction: 1 }, 50);
    assert.equal(pid.update(10, Number.NaN, 10), 50);
  });
});
