import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XapiError, XapiTransportError } from '../errors/xapi-error.js';
import { xapiFloat } from '../datamodel/value-normaliser.js';
import { decodeXmlRpcResponse, decodeXmlRpcValue, encodeXmlRpcCall, encodeXmlRpcValue } from './xml-rpc.codec.js';

const success = (valueXml: string) =>
  `<?xml version="1.0"?>\n<methodResponse><params><param><value><struct>` +
  `<member><name>Status</name><value>Success</value></member><member><name>Value</name>${valueXml}</member>` +
  `</struct></value></param></params></methodResponse>`;

const roundTrip = (v: unknown) => decodeXmlRpcResponse(success(encodeXmlRpcValue(v)), 'x.y');

describe('XML-RPC codec', () => {
  it('round-trips strings, booleans, arrays and structs', () => {
    const v = { s: 'a <b> & "c" \u00e9', empty: '', spaces: '  padded ', yes: true, no: false, list: ['x', ['y']], nested: { k: 'v' } };
    assert.deepEqual(roundTrip(v), v);
  });

  it('sends ints as decimal strings and floats as doubles with a decimal point', () => {
    assert.equal(encodeXmlRpcValue(1073741824), '<value><string>1073741824</string></value>');
    assert.equal(encodeXmlRpcValue(60.1), '<value><double>60.1</double></value>');
    assert.equal(encodeXmlRpcValue(xapiFloat(60)), '<value><double>60.0</double></value>');
    assert.equal(roundTrip(xapiFloat(2)), 2);
    assert.equal(roundTrip(1073741824), '1073741824');
  });

  it('round-trips datetimes in XAPI basic ISO form', () => {
    const d = new Date('2023-07-29T13:20:01Z');
    assert.equal(encodeXmlRpcValue(d), '<value><dateTime.iso8601>20230729T13:20:01Z</dateTime.iso8601></value>');
    assert.deepEqual(roundTrip(d), d);
  });

  it('encodes a methodCall like the wire-protocol example', () => {
    const xml = encodeXmlRpcCall('session.login_with_password', ['root', 'secret', '1.0', 'cloudctl/0.1']);
    assert.match(xml, /^<\?xml version="1.0"\?>\n<methodCall><methodName>session.login_with_password<\/methodName><params>/);
    assert.match(xml, /<param><value><string>root<\/string><\/value><\/param>/);
    assert.equal((xml.match(/<param>/g) ?? []).length, 4);
  });

  it('decodes untyped values, typed scalars and pretty-printed documents', () => {
    const xml = `<?xml version="1.0"?>
<methodResponse>
  <params>
    <param>
      <value>
        <struct>
          <member><name>Status</name><value>Success</value></member>
          <member>
            <name>Value</name>
            <value><struct>
              <member><name>ref</name><value>OpaqueRef:5a2c0a30-7b1f-4b8e-9d0a-1c2e3f4a5b6c</value></member>
              <member><name>n</name><value><i4>42</i4></value></member>
              <member><name>f</name><value><double>0.5</double></value></member>
              <member><name>list</name><value><array><data>
                <value>a</value>
                <value><string>b</string></value>
              </data></array></value></member>
              <member><name>blank</name><value></value></member>
            </struct></value>
          </member>
        </struct>
      </value>
    </param>
  </params>
</methodResponse>`;
    assert.deepEqual(decodeXmlRpcResponse(xml, 'x.y'), {
      ref: 'OpaqueRef:5a2c0a30-7b1f-4b8e-9d0a-1c2e3f4a5b6c',
      n: 42,
      f: 0.5,
      list: ['a', 'b'],
      blank: '',
    });
  });

  it('turns a Failure envelope into XapiError with code and params', () => {
    const xml = `<?xml version="1.0"?><methodResponse><params><param><value><struct>
 <member><name>Status</name><value>Failure</value></member>
 <member><name>ErrorDescription</name><value><array><data>
   <value>HOST_IS_SLAVE</value><value>10.0.0.11</value></data></array></value></member>
</struct></value></param></params></methodResponse>`;
    assert.throws(
      () => decodeXmlRpcResponse(xml, 'session.login_with_password'),
      (e: unknown) =>
        e instanceof XapiError && e.code === 'HOST_IS_SLAVE' && e.params[0] === '10.0.0.11' && e.method === 'session.login_with_password',
    );
  });

  it('rejects HTML and garbage as protocol errors', () => {
    for (const body of ['<html><body>500 Internal Error</body></html>', 'not xml at all', '']) {
      assert.throws(
        () => decodeXmlRpcResponse(body, 'x.y'),
        (e: unknown) => e instanceof XapiTransportError && e.kind === 'protocol',
      );
    }
  });

  it('decodes standalone values such as task results', () => {
    assert.equal(decodeXmlRpcValue('<value>OpaqueRef:abc</value>'), 'OpaqueRef:abc');
    assert.equal(decodeXmlRpcValue('<value></value>'), '');
    assert.equal(decodeXmlRpcValue(''), '');
    assert.deepEqual(decodeXmlRpcValue('<value><array><data><value>a&amp;b</value></data></array></value>'), ['a&b']);
  });
});
