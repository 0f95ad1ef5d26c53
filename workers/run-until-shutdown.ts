import { UnexpectedError, type Worker } from '@temporalio/worker';

/**
 * Runs the worker until SIGINT or SIGTERM asks it to stop, and returns once it has stopped, every task finished.
 *
 * SDK 1.15 expects Bun's Worker.terminate() to report exit code 0 for the workflow thread; Bun 1.4 reports 1, so
 * run() rejects at the very end of a requested shutdown (docs/decisions.md, "Worker shutdown on Bun with SDK 1.15").
 * That one error, after a shutdown we asked for, is a clean stop; anything else is not. Shared by the worker
 * (workers/main.ts) and the benchmark's no-op worker (bench/ceiling/worker.ts).
 */
export async function runUntilShutdown(worker: Worker): Promise<void> {
  let shutdownRequested = false;
  const shutdown = () => {
    shutdownRequested = true;
    worker.shutdown();
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  try {
    await worker.run();
  } catch (error) {
    const bunThreadExit = error instanceof UnexpectedError && error.message.startsWith('Failed to terminate Worker thread');
    if (!(shutdownRequested && bunThreadExit)) throw error;
  } finally {
    process.off('SIGINT', shutdown);
    process.off('SIGTERM', shutdown);
  }
}
