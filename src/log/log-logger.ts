/**
 * The logger the log layer writes to: the subset of pino's Logger it uses, so a pino logger (or
 * a child of the broker's) can be passed as is and tests can capture entries.
 */
export interface LogLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => {};
export const silentLogger: LogLogger = { debug: noop, info: noop, warn: noop, error: noop };
