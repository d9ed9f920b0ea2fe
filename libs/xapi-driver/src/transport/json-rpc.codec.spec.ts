import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XapiError, XapiTransportError } from '../errors/xapi-error.js';
import { xapiFloat } from '../datamodel/value-normaliser.js';
import { decodeJsonRpcResponse, encodeJsonRpcRequest } from './json-rpc.codec.js';

const xapiError = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof XapiError, `expected XapiError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a throw');
};

describe('JSON-RPC codec', () => {
  it('encodes v2 requests with integral floats keeping a decimal point', () => {
    const body = encodeJsonRpcRequest('event.from', ['OpaqueRef:s', ['task'], '', xapiFloat(60)], 7);
    assert.equal(body, '{"jsonrpc":"2.0","method":"event.from","params":["OpaqueRef:s",["task"],"",60.0],"id":7}');
    assert.deepEqual(JSON.parse(body).params[3], 60);
    assert.match(encodeJsonRpcRequest('m', [{ d: new Date('2023-07-29T13:20:01Z') }], 1), /"20230729T13:20:01Z"/);
  });

  it('decodes v2 and v1 results', () => {
    assert.equal(decodeJsonRpcResponse('{"jsonrpc":"2.0","result":"OpaqueRef:0f","id":7}', 'VM.clone'), 'OpaqueRef:0f');
    assert.deepEqual(decodeJsonRpcResponse('{"result":["a"],"error":null,"id":"x"}', 'VM.get_all'), ['a']);
    assert.equal(decodeJsonRpcResponse('{"jsonrpc":"2.0","result":"","id":1}', 'VM.destroy'), '');
  });

  it('decodes v2 errors: message = code, data = params', () => {
    const e = xapiError(() =>
      decodeJsonRpcResponse(
        '{"jsonrpc":"2.0","error":{"code":1,"message":"VM_BAD_POWER_STATE","data":["OpaqueRef:v","halted","running"]},"id":7}',
        'VM.start',
      ),
    );
    assert.deepEqual([e.code, e.params, e.method], ['VM_BAD_POWER_STATE', ['OpaqueRef:v', 'halted', 'running'], 'VM.start']);
  });

  it('decodes v1 errors given as [code, ...params]', () => {
    const e = xapiError(() => decodeJsonRpcResponse('{"result":null,"error":["SESSION_INVALID","OpaqueRef:s"],"id":"x"}', 'VM.get_all'));
    assert.deepEqual([e.code, e.params], ['SESSION_INVALID', ['OpaqueRef:s']]);
  });

  it('tolerates odd error shapes seen in recordings (data as a string, non-string message)', () => {
    const a = xapiError(() => decodeJsonRpcResponse('{"error":{"code":1,"message":"HANDLE_INVALID","data":"OpaqueRef:6e"}}', 'VM.get_record'));
    assert.deepEqual([a.code, a.params], ['HANDLE_INVALID', ['OpaqueRef:6e']]);
    const b = xapiError(() => decodeJsonRpcResponse('{"result":{},"error":{"code":"abcd","message":123456,"data":2.0}}', 'VM.get_record'));
    assert.deepEqual([b.code, b.params], ['123456', ['2']]);
    const c = xapiError(() => decodeJsonRpcResponse('{"jsonrpc":"2.0","error":{"code":1,"message":"EVENTS_LOST"},"id":1}', 'event.from'));
    assert.deepEqual([c.code, c.params], ['EVENTS_LOST', []]);
  });

  it('rejects bodies that are not envelopes as protocol errors', () => {
    for (const body of ['<html>oops</html>', '[1,2]', '{"id":1}', '']) {
      assert.throws(
        () => decodeJsonRpcResponse(body, 'x.y'),
        (e: unknown) => e instanceof XapiTransportError && e.kind === 'protocol',
      );
    }
  });
});
