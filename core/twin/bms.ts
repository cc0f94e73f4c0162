// The BMS points of twin.md §5 as data: what an OPC UA server needs to build its address space
// (node id, data type, access, unit, writable range) without knowing the twin's internals.

import type { TwinParams } from './params';

export type BmsDataType = 'Double' | 'Boolean' | 'String';
export type BmsAccess = 'read' | 'readwrite';

export interface BmsPoint {
  /** String node id in the twin's namespace, e.g. `CDU1.FlowSetpoint`. */
  nodeId: string;
  dataType: BmsDataType;
  access: BmsAccess;
  /** Engineering unit as a person writes it (`°C`, `L/min`, `%`, `kW`, `count`), '' for none. */
  unit: string;
  /** Writable range; a write outside it is refused with BadOutOfRange. */
  range?: { min: number; max: number };
  description: string;
}

export function rackName(index: number): string {
  return `Rack${String(index + 1).padStart(2, '0')}`;
}

/** Every point of the facility with `racks` racks, in a stable order. */
export function bmsPoints(p: TwinParams, racks: number): BmsPoint[] {
  const c = p.cooling;
  const points: BmsPoint[] = [
    { nodeId: 'CDU1.SupplyTemperature', dataType: 'Double', access: 'read', unit: '°C', description: 'Coolant supply temperature' },
    { nodeId: 'CDU1.ReturnTemperature', dataType: 'Double', access: 'read', unit: '°C', description: 'Coolant return temperature' },
    { nodeId: 'CDU1.Flow', dataType: 'Double', access: 'read', unit: 'L/min', description: 'Coolant flow' },
    {
      nodeId: 'CDU1.FlowSetpoint', dataType: 'Double', access: 'readwrite', unit: 'L/min',
      range: { min: c.flowMinLpm, max: c.flowMaxLpm }, description: 'Remote flow setpoint',
    },
    {
      nodeId: 'CDU1.SupplyTemperatureSetpoint', dataType: 'Double', access: 'readwrite', unit: '°C',
      range: { min: c.supplyMinC, max: c.supplyMaxC }, description: 'Remote supply temperature setpoint',
    },
    { nodeId: 'CDU1.PumpSpeed', dataType: 'Double', access: 'read', unit: '%', description: 'Pump speed' },
    { nodeId: 'CDU1.ValvePosition', dataType: 'Double', access: 'read', unit: '%', description: 'Chilled-water valve position' },
    {
      nodeId: 'CDU1.Heartbeat', dataType: 'Double', access: 'readwrite', unit: 'count',
      range: { min: -Number.MAX_VALUE, max: Number.MAX_VALUE }, description: 'Controller keep-alive; older than the timeout → Local mode',
    },
    { nodeId: 'CDU1.RemoteTimeout', dataType: 'Boolean', access: 'read', unit: '', description: 'Heartbeat lost or remote writes disabled' },
    { nodeId: 'CDU1.LowFlowAlarm', dataType: 'Boolean', access: 'read', unit: '', description: 'Flow too low for the heat load' },
    { nodeId: 'CDU1.ControlMode', dataType: 'String', access: 'read', unit: '', description: 'Remote, Local or Manual' },
  ];
  for (let r = 0; r < racks; r++) {
    const rack = rackName(r);
    points.push(
      { nodeId: `${rack}.InletAirTemperature`, dataType: 'Double', access: 'read', unit: '°C', description: `${rack} inlet air` },
      { nodeId: `${rack}.Power`, dataType: 'Double', access: 'read', unit: 'kW', description: `${rack} power` },
      { nodeId: `${rack}.GpuTemperatureMax`, dataType: 'Double', access: 'read', unit: '°C', description: `${rack} hottest GPU` },
    );
  }
  return points;
}
