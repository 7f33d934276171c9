import type { Logger } from './logger';

type Closer = { name: string; close: () => Promise<unknown> | unknown };

/**
 * Graceful shutdown: closers run in registration-reverse order (stop accepting first, then drain
 * consumers, then close stores), the whole bounded by a deadline after which the process exits.
 */
export class Lifecycle {
  private readonly closers: Closer[] = [];
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly deadlineMs = 10_000,
  ) {}

  /** Registers something to close; the last registered closes first. */
  onShutdown(name: string, close: Closer['close']): void {
    this.closers.push({ name, close });
  }

  installSignalHandlers(exit: (code: number) => void = (code) => process.exit(code)): void {
    const handler = (signal: string) => {
      this.logger.info({ signal }, 'shutting down');
      void this.shutdown().then(
        () => exit(0),
        () => exit(1),
      );
    };
    process.once('SIGTERM', () => handler('SIGTERM'));
    process.once('SIGINT', () => handler('SIGINT'));
    // A process whose state is unknown exits and is restarted (STYLE.md §8).
    process.on('uncaughtException', (err) => {
      this.logger.fatal({ err }, 'uncaught exception; exiting');
      void this.shutdown().finally(() => exit(1));
    });
    process.on('unhandledRejection', (err) => {
      this.logger.fatal({ err }, 'unhandled rejection; exiting');
      void this.shutdown().finally(() => exit(1));
    });
  }

  shutdown(): Promise<void> {
    this.stopping ??= this.run();
    return this.stopping;
  }

  private async run(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`shutdown exceeded ${this.deadlineMs} ms`)), this.deadlineMs);
      timer.unref();
    });
    const steps = (async () => {
      for (const c of [...this.closers].reverse()) {
        try {
          await c.close();
          this.logger.debug({ step: c.name }, 'closed');
        } catch (err) {
          this.logger.warn({ err, step: c.name }, 'error while closing');
        }
      }
    })();
    try {
      await Promise.race([steps, deadline]);
      this.logger.info('shutdown complete');
    } catch (err) {
      this.logger.error({ err }, 'shutdown deadline exceeded; exiting anyway');
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}
