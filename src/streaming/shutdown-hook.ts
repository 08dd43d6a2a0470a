/**
 * `stopGracefullyOnShutdown`: the first SIGINT or SIGTERM runs `stop` (a graceful stop), then the
 * process exits 0; a second signal, while that stop runs, exits at once (128 + the signal's number,
 * as a shell reports it). Returns a function that removes the handlers, for a context stopped
 * another way.
 */
export function installShutdownHook(stop: () => Promise<void>): () => void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`chispa: second ${signal}, exiting without waiting for the graceful stop\n`);
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    }
    stopping = true;
    process.stderr.write(`chispa: ${signal} received, stopping gracefully (again to exit at once)\n`);
    void stop().then(
      () => exitSoon(0),
      () => exitSoon(1),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    // A stop under way keeps its handlers, so that a second signal still exits at once.
    if (stopping) return;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/**
 * The program's own code after `awaitTermination()` runs first (closing what it opened); if the
 * process is still alive a moment later, something holds it open, and it exits anyway: a signal
 * asked it to.
 */
function exitSoon(code: number): void {
  process.exitCode ??= code;
  setTimeout(() => process.exit(), 2000).unref();
}
