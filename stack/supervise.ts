import type { ChildProcess } from 'node:child_process';
import { oneLine } from './state.ts';

/** A server process the supervisor started itself (embedded PostgreSQL, the Temporal dev server). */
export interface RestartableServer {
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export interface ServerKeeperOptions<T extends RestartableServer> {
  /** How the lines name it: "PostgreSQL", "the Temporal dev server". */
  name: string;
  /** What a restart keeps, for the line printed when it dies: "its data in .data/postgres". */
  keeps: string;
  /** Starts it again on the same port with the same data; throws when it cannot (yet). */
  start(): Promise<T>;
  /** Where the lines go: the supervisor's terminal. */
  report(line: string): void;
  /** True once the whole stack is stopping: a server that exits then was asked to. */
  stackStopping(): boolean;
}

/** Retries after a failed restart wait 1 s, 2 s, 4 s … up to this. */
const maxRetryDelayMs = 30_000;

/**
 * Keeps a server the supervisor started running. When its process dies while the stack runs (killed, crashed, out
 * of memory), one line says what died and what is done about it, and the server is started again in place — same
 * port, same data on disk — retried with a growing delay until it is back, with one more line then. The API and
 * the worker are not restarted for it: they reconnect by themselves, and meanwhile /healthz names the component that
 * is down (test/stack/self-healing.test.ts).
 */
export class ServerKeeper<T extends RestartableServer> {
  #current: T;
  #stopped = false;
  #restarting: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(
    server: T,
    private readonly options: ServerKeeperOptions<T>,
  ) {
    this.#current = server;
    this.#watch(server);
  }

  /** The server running now: a new one after each restart. */
  get current(): T {
    return this.#current;
  }

  #stopping(): boolean {
    return this.#stopped || this.options.stackStopping();
  }

  #watch(server: T): void {
    server.process.once('exit', (code, signal) => {
      if (this.#stopping() || server !== this.#current) return;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      this.options.report(`ledgerflow: ${this.options.name} (pid ${server.process.pid}) ${how}; restarting it with ${this.options.keeps}`);
      this.#restarting = this.#restart(Date.now());
    });
  }

  async #restart(diedAt: number): Promise<void> {
    for (let attempt = 1; !this.#stopping(); attempt += 1) {
      let server: T;
      try {
        server = await this.options.start();
      } catch (error) {
        const delayMs = Math.min(1_000 * 2 ** (attempt - 1), maxRetryDelayMs);
        this.options.report(
          `ledgerflow: restarting ${this.options.name} failed: ${oneLine((error as Error)?.message ?? String(error))}; trying again in ${delayMs / 1000} s`,
        );
        await this.#sleep(delayMs);
        continue;
      }
      if (this.#stopping()) {
        await server.stop();
        return;
      }
      this.#current = server;
      this.#watch(server);
      const seconds = ((Date.now() - diedAt) / 1000).toFixed(1);
      this.options.report(`ledgerflow: ${this.options.name} is back (pid ${server.process.pid}, ${seconds} s after it died)`);
      return;
    }
  }

  #sleep(milliseconds: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, milliseconds);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Stops it for good: a restart under way is cut short (or, if it is starting the server, finished), then it stops. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#restarting;
    await this.#current.stop();
  }

  /** Kills the current process outright (the supervisor's forced exit). */
  kill(signal: NodeJS.Signals): void {
    this.#current.process.kill(signal);
  }
}
