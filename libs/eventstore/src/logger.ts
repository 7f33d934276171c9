/** The subset of a pino logger the event store uses; pass the service's pino logger. */
export interface EventStoreLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const ignore = (): void => undefined;

export const silentLogger: EventStoreLogger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
