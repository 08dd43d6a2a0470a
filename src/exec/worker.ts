/**
 * The Piscina worker entry. It imports only the executor: a task arrives as plain data with
 * shared-memory handles, user functions arrive as source and are compiled (and cached) here.
 */
import { runTask } from './executor.js';

export default runTask;
