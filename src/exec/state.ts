/**
 * The `State` handed to a mapWithState function, with Spark's rules and messages: `get` of an
 * unset state, and updating or removing a state that was removed or is timing out, are errors.
 */
import { IllegalStateError } from '../errors.js';

export interface State<S> {
  /** Whether the key has a state. */
  exists(): boolean;
  /** The state; throws 'State is not set' when there is none. */
  get(): S;
  /** The state, or null when there is none. */
  getOption(): S | null;
  /** Sets the state. */
  update(newState: S): void;
  /** Removes the state. */
  remove(): void;
  /** True in the call made once for a key whose state times out in this batch. */
  isTimingOut(): boolean;
}

export class StateImpl<S> implements State<S> {
  #defined: boolean;
  #value: S | undefined;
  #updated = false;
  #removed = false;
  readonly #timingOut: boolean;

  constructor(defined: boolean, value: S | undefined, timingOut = false) {
    this.#defined = defined;
    this.#value = value;
    this.#timingOut = timingOut;
  }

  exists(): boolean {
    return this.#defined;
  }

  get(): S {
    if (!this.#defined) throw new IllegalStateError('State is not set');
    return this.#value as S;
  }

  getOption(): S | null {
    return this.#defined ? (this.#value as S) : null;
  }

  update(newState: S): void {
    if (this.#removed) throw new IllegalStateError('requirement failed: Cannot update the state after it has been removed');
    if (this.#timingOut) throw new IllegalStateError('requirement failed: Cannot update the state that is timing out');
    this.#defined = true;
    this.#updated = true;
    this.#value = newState;
  }

  remove(): void {
    if (this.#timingOut) throw new IllegalStateError('requirement failed: Cannot remove the state that is timing out');
    if (this.#removed) throw new IllegalStateError('requirement failed: Cannot remove the state that has already been removed');
    this.#defined = false;
    this.#updated = false;
    this.#removed = true;
    this.#value = undefined;
  }

  isTimingOut(): boolean {
    return this.#timingOut;
  }

  get isUpdated(): boolean {
    return this.#updated;
  }

  get isRemoved(): boolean {
    return this.#removed;
  }
}
