/**
 * The broker's own logger on stderr (stdout is left to whoever embeds the broker: the CLI's ready
 * line). JSON lines for machines, or pino-pretty's readable lines for a person at a terminal:
 * time, level, [component], message, then the record's other fields.
 */
import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';

type PinoPretty = typeof import('pino-pretty');
/** pino-pretty is loaded only when a person reads the log: it adds ~5% to the broker's start-up. */
const loadPretty = (): PinoPretty => createRequire(import.meta.url)('pino-pretty') as PinoPretty;

export type LogFormat = 'json' | 'pretty';

export function brokerLogger(level: string, format: LogFormat): Logger {
  if (format === 'json') return pino({ level }, pino.destination({ fd: 2, sync: true }));
  const pretty = loadPretty();
  const stream = pretty({
    destination: 2,
    sync: true,
    colorize: pretty.isColorSupported,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,component',
    messageFormat: '{if component}[{component}] {end}{msg}',
    singleLine: true,
  });
  return pino({ level }, stream);
}
