/**
 * The Piscina worker entry. It imports only the executor: a task arrives as plain data with
 * shared-memory handles, user functions arrive as source and are compiled (and cached) here.
 * Piscina loads this module when the worker starts, so the fast path is warmed up then, not in
 * the first batch.
 */
import { executeTask } from './executor.js';
import { warmUp } from './warm-up.js';

warmUp();

export default executeTask;
