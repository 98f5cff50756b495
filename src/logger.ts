import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Paths that may hold a secret or a client's media. pino replaces them before anything is written,
 * so a careless `log.info({ req })` cannot leak them.
 */
export const REDACTED_PATHS = [
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  'headers.authorization',
  '*.Authorization',
  'apiKey',
  '*.apiKey',
  'secretKey',
  '*.secretKey',
  'accessKey',
  '*.accessKey',
  'token',
  '*.token',
  'jwt',
  '*.jwt',
  'authTokens',
  '*.authTokens',
  'audioFile',
  '*.audioFile',
  '*.*.audioFile',
  'audio_file',
  '*.audio_file',
  '*.*.audio_file',
  'variables.input.audioFile',
];

export interface LoggerOptions {
  level: string;
  pretty: boolean;
  /** where to write (tests capture it); stdout by default */
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const base = {
    level: options.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { service: 'lipsync-graph' },
  };
  if (options.destination) return pino(base, options.destination);
  if (options.pretty && prettyAvailable()) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  return pino(base, pino.destination({ sync: false }));
}

/** pino-pretty is a development dependency; a production install logs JSON without it. */
function prettyAvailable(): boolean {
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}
