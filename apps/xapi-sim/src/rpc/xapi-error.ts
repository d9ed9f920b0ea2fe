// A XAPI failure: code plus string params, rendered as ErrorDescription / JSON-RPC error by the transports.
export class XapiError extends Error {
  readonly params: string[];

  constructor(
    readonly code: string,
    params: ReadonlyArray<string | number | boolean> = [],
  ) {
    super(`${code}${params.length ? ` [${params.join(', ')}]` : ''}`);
    this.params = params.map((p) => String(p));
  }

  get description(): string[] {
    return [this.code, ...this.params];
  }
}

export function fail(code: string, ...params: Array<string | number | boolean>): never {
  throw new XapiError(code, params);
}
