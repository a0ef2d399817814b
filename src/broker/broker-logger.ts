/**
 * The broker's own logger on stderr (stdout is left to whoever embeds the broker: the CLI's ready
 * line). JSON lines for machines, or pino-pretty's readable lines for a person at a terminal:
 * time, level, [component], message, then the record's other fields.
 */
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type LogFormat = 'json' | 'pretty';

export function brokerLogger(level: string, format: LogFormat): Logger {
  if (format === 'json') return pino({ level }, pino.destination({ fd: 2, sync: true }));
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
