import pino from 'pino';
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';

/** Structured JSON logs for the worker process; secrets are never passed in, and redacted if they are. */
export const rootLogger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { service: 'koophone-reset' },
  redact: {
    paths: ['token', 'password', '*.token', '*.password', 'headers["x-auth-token"]', '*.headers["x-auth-token"]'],
    censor: '[redacted]',
  },
});

const LEVELS: Record<LogLevel, pino.Level> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/** Routes the Temporal SDK's logs (workflow and activity loggers included) through pino. */
export function temporalLogger(logger: pino.Logger = rootLogger): Logger {
  const at = (level: LogLevel) => (message: string, meta?: LogMetadata) => logger[LEVELS[level]](meta ?? {}, message);
  return {
    log: (level, message, meta) => at(level)(message, meta),
    trace: at('TRACE'),
    debug: at('DEBUG'),
    info: at('INFO'),
    warn: at('WARN'),
    error: at('ERROR'),
  };
}
