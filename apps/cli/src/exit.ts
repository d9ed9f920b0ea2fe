/** The exit codes, documented in `xenplane --help` and the README. */
export const EXIT = {
  ok: 0,
  /** The API refused the request (problem+json): its code is printed. */
  api: 1,
  /** Bad command line (commander's own errors use 2 as well). */
  usage: 2,
  /** An awaited operation ended `failed`. */
  operationFailed: 3,
  /** `--wait` gave up before the operation ended. */
  timeout: 4,
  /** No profile / bad config, or the API cannot be reached. */
  config: 5,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
