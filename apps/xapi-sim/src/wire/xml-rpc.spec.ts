import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadDatamodel } from '../datamodel/datamodel.js';
import { parseType } from '../datamodel/xapi-type.js';
import { encodeTyped, wireToJson, wireToXml } from './wire-value.js';
import { MalformedRequest, parseMethodCall, parseMethodResponse, parseValueXml, renderFailure, renderSuccess } from './xml-rpc.js';

const dm = loadDatamodel();

describe('XML-RPC codec', () => {
  it('round-trips every value shape through encode and decode', () => {
    const value = { name: 'a <b> & "c"', list: ['x', '', 'y'], nested: { k: 'v' }, empty: {} };
    const wire = encodeTyped(value, { kind: 'any' }, dm);
    assert.deepEqual(parseValueXml(wireToXml(wire)), value);
  });

  it('encodes 64-bit ints as untyped decimal strings and floats with a decimal point', () => {
    assert.equal(wireToXml(encodeTyped(68719476736, parseType('int'), dm)), '<value>68719476736</value>');
    assert.equal(wireToXml(encodeTyped(60, parseType('float'), dm)), '<value><double>60.0</double></value>');
    assert.equal(wireToXml(encodeTyped(true, parseType('bool'), dm)), '<value><boolean>1</boolean></value>');
    assert.equal(
      wireToXml(encodeTyped('20230729T13:20:01Z', parseType('datetime'), dm)),
      '<value><dateTime.iso8601>20230729T13:20:01Z</dateTime.iso8601></value>',
    );
    assert.equal(wireToJson(encodeTyped(68719476736, parseType('int'), dm)), 68719476736);
  });

  it('encodes a record by its class fields, ints as strings in XML', () => {
    const wire = encodeTyped({ memory_total: 1024, live: true }, parseType('host_metrics record'), dm);
    const back = parseValueXml(wireToXml(wire)) as Record<string, unknown>;
    assert.equal(back.memory_total, '1024');
    assert.equal(back.live, true);
    assert.equal(back.last_updated, '', 'missing fields still appear, with their zero value');
  });

  it('decodes typed, untyped and whitespace-padded params in order', () => {
    const call = parseMethodCall(`<?xml version="1.0"?>
      <methodCall><methodName>VM.set_memory_limits</methodName><params>
        <param><value><string> spaced &amp; kept </string></value></param>
        <param><value>untyped</value></param>
        <param><value><i4>7</i4></value></param>
        <param><value><int>-3</int></value></param>
        <param><value><i8>68719476736</i8></value></param>
        <param><value><boolean>0</boolean></value></param>
        <param><value><double>60.1</double></value></param>
        <param><value><dateTime.iso8601>20230729T13:20:01Z</dateTime.iso8601></value></param>
        <param><value><array><data><value>a</value><value><string>b</string></value></data></array></value></param>
        <param><value><struct><member><name>k</name><value/></member></struct></value></param>
        <param><value></value></param>
      </params></methodCall>`);
    assert.equal(call.method, 'VM.set_memory_limits');
    assert.deepEqual(call.params, [' spaced & kept ', 'untyped', 7, -3, 68719476736, false, 60.1, '20230729T13:20:01Z', ['a', 'b'], { k: '' }, '']);
  });

  it('rejects malformed documents and unknown types', () => {
    assert.throws(() => parseMethodCall('<methodCall><methodName>x</methodName>'), MalformedRequest);
    assert.throws(() => parseMethodCall('not xml at all <<'), MalformedRequest);
    assert.throws(() => parseMethodCall('<methodCall><params/></methodCall>'), MalformedRequest);
    assert.throws(
      () => parseMethodCall('<methodCall><methodName>x</methodName><params><param><value><blob>1</blob></value></param></params></methodCall>'),
      MalformedRequest,
    );
    assert.throws(
      () => parseMethodCall('<methodCall><methodName>x</methodName><params><param><value><int>1.5</int></value></param></params></methodCall>'),
      MalformedRequest,
    );
  });

  it('wraps results in the Status/Value struct and failures in ErrorDescription', () => {
    assert.deepEqual(parseMethodResponse(renderSuccess({ t: 'str', v: 'OpaqueRef:x' })), { Status: 'Success', Value: 'OpaqueRef:x' });
    const failure = renderFailure(['HOST_IS_SLAVE', '10.0.0.2']);
    assert.ok(!failure.includes('<fault>'));
    assert.deepEqual(parseMethodResponse(failure), { Status: 'Failure', ErrorDescription: ['HOST_IS_SLAVE', '10.0.0.2'] });
  });
});
