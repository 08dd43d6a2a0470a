/**
 * The Kafka client chispa uses, @platformatic/kafka (chosen by measurement: see the README's
 * Kafka section), behind the few calls a direct stream needs. Both the driver (offsets, commits)
 * and the tasks (fetching a range) go through here, so errors come out as one `KafkaError`.
 */
import { Consumer } from '@platformatic/kafka';
import { KafkaError } from '../errors.js';

export type KafkaConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>;

/** A consumer used only for explicit requests: it never joins its group. */
export function createConsumer(brokers: readonly string[], clientId: string, groupId: string): KafkaConsumer {
  const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
    clientId,
    groupId,
    bootstrapBrokers: [...brokers],
    // Retries are ours (callers poll with a deadline); one attempt per call keeps each bounded.
    retries: 0,
    timeout: 5000,
    metadataMaxAge: 5000,
    maxBytes: 16 << 20,
  });
  // Connection failures come back through each call; an unheard 'error' event must not crash us.
  consumer.on('error', () => {});
  return consumer;
}

/** `bootstrap.servers` ("host:port,host:port") as a list. */
export function parseBrokers(servers: string): string[] {
  return servers
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Runs one client call; whatever it throws becomes a `KafkaError` naming the step. */
export async function kafkaCall<T>(operator: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw asKafkaError(operator, e);
  }
}

export function asKafkaError(operator: string, e: unknown): KafkaError {
  if (e instanceof KafkaError) return e;
  const err = e as { message?: string; errors?: { message?: string }[]; cause?: { message?: string } };
  // The client wraps network failures in aggregate errors; the innermost message says what happened.
  const inner = err?.errors?.map((x) => x?.message).filter(Boolean).join('; ') || err?.cause?.message;
  const message = [err?.message ?? String(e), inner].filter(Boolean).join(': ');
  return new KafkaError(operator, message, { cause: e });
}

/** Closes a client at once (in-flight requests fail); never rejects. */
export function closeQuietly(c: KafkaConsumer): Promise<void> {
  return new Promise<void>((resolve) => {
    try {
      c.close(true, () => resolve());
    } catch {
      resolve();
    }
  });
}
