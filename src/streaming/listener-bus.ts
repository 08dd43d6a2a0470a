import { log } from '../log.js';
import type { StreamingListener } from './listener.js';

type Event = keyof StreamingListener;
type Arg<E extends Event> = Parameters<NonNullable<StreamingListener[E]>>[0];

/**
 * Spark's StreamingListenerBus: hands each event to every listener, synchronously, in the order
 * the listeners were added. A listener that throws is logged and skipped; the batch it observes
 * and the other listeners go on.
 */
export class StreamingListenerBus {
  readonly #listeners = new Set<StreamingListener>();

  add(listener: StreamingListener): void {
    this.#listeners.add(listener);
  }

  remove(listener: StreamingListener): void {
    this.#listeners.delete(listener);
  }

  post<E extends Event>(event: E, arg: Arg<E>): void {
    for (const l of [...this.#listeners]) {
      const fn = l[event] as ((a: Arg<E>) => void) | undefined;
      if (!fn) continue;
      try {
        fn.call(l, arg);
      } catch (e) {
        log.error(`StreamingListener.${event} threw an exception (the job goes on): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      }
    }
  }
}
