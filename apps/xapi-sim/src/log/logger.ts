// One JSON object per line on stdout; harnesses parse these lines (e.g. "xapi-sim listening").
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
/** The LOG_LEVEL values every process of the project accepts (pino's); trace logs like debug, fatal like nothing but fatal. */
export const LOG_SETTINGS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogSetting = (typeof LOG_SETTINGS)[number];

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const rank: Record<LogSetting, number> = { trace: 5, debug: 10, info: 20, warn: 30, error: 40, fatal: 50, silent: 100 };

export function createLogger(setting: LogSetting, write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const emit =
    (level: LogLevel) =>
    (msg: string, fields: Record<string, unknown> = {}) => {
      if (rank[level] < rank[setting]) return;
      write(`${JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields })}\n`);
    };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}
