import { XapiError } from '../errors/xapi-error.js';
import { normaliseResult } from '../datamodel/value-normaliser.js';
import { decodeXmlRpcValue } from '../transport/xml-rpc.codec.js';

/** The task fields the driver reads. */
export interface TaskState {
  status: string;
  result?: unknown;
  error_info?: unknown;
}

/** True once a task left `pending` (and the never-used `cancelling`). */
export function isTaskDone(task: TaskState): boolean {
  return task.status !== 'pending' && task.status !== 'cancelling';
}

/**
 * Turns a finished task into the method's result (decoded from the XML-RPC string XAPI stores, on either
 * transport, then normalised by the datamodel) or throws XapiError from `error_info`.
 */
export function taskOutcome(task: TaskState, method: string, taskRef: string): unknown {
  if (task.status === 'success') return decodeTaskResult(task.result, method);
  if (task.status === 'cancelled') throw new XapiError('TASK_CANCELLED', [taskRef], method);
  const info = Array.isArray(task.error_info) && task.error_info.length ? task.error_info : ['INTERNAL_ERROR', `task ${task.status}`];
  throw XapiError.fromDescription(info, method);
}

/** Decodes a task `result` string (`<value>OpaqueRef:…</value>`, `<value></value>`, or `""` for void). */
export function decodeTaskResult(result: unknown, method: string): unknown {
  if (typeof result !== 'string') return result ?? '';
  const trimmed = result.trim();
  // some servers store the bare value without a <value> wrapper
  const value = trimmed.startsWith('<') ? decodeXmlRpcValue(trimmed) : trimmed;
  return normaliseResult(method, value);
}
