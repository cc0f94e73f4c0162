import assert from 'node:assert/strict';
import { BMS_NAMESPACE_URI, bmsBrowsePath, parseNodeIdText, resolveNodeIdText } from '../../../core/opcua/names';

const NAMESPACES = ['http://opcfoundation.org/UA/', BMS_NAMESPACE_URI, 'urn:plant:loop'];

describe('OPC UA node id text', () => {
  it('keeps full node ids as written', () => {
    assert.equal(resolveNodeIdText('ns=2;s=Pump.Speed', NAMESPACES, BMS_NAMESPACE_URI), 'ns=2;s=Pump.Speed');
    assert.equal(resolveNodeIdText('i=2258', NAMESPACES, BMS_NAMESPACE_URI), 'i=2258');
  });

  it('puts a bare id in the default namespace as a string id', () => {
    assert.equal(resolveNodeIdText('CDU1.FlowSetpoint', NAMESPACES, BMS_NAMESPACE_URI), 'ns=1;s=CDU1.FlowSetpoint');
  });

  it('resolves an nsu= id to the namespace index on this server', () => {
    assert.equal(resolveNodeIdText('nsu=urn:plant:loop;s=dP', NAMESPACES, BMS_NAMESPACE_URI), 'ns=2;s=dP');
  });

  it('refuses a namespace the server does not have', () => {
    assert.throws(() => resolveNodeIdText('CDU1.Flow', NAMESPACES, 'urn:elsewhere'), /namespace urn:elsewhere is not on this server/);
  });

  it('tells the three spellings apart', () => {
    assert.equal(parseNodeIdText(' ns=1;s=A ').kind, 'full');
    assert.equal(parseNodeIdText('nsu=urn:x;i=5').kind, 'nsu');
    assert.equal(parseNodeIdText('Rack01.Power').kind, 'bare');
  });

  it('splits a point id into its device object and variable', () => {
    assert.deepEqual(bmsBrowsePath('CDU1.SupplyTemperatureSetpoint'), ['CDU1', 'SupplyTemperatureSetpoint']);
    assert.deepEqual(bmsBrowsePath('Heartbeat'), ['BMS', 'Heartbeat']);
  });
});
