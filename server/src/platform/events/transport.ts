/**
 * Chooses how claimed outbox events reach the handlers: in process (default, nothing else to run) or through
 * NATS JetStream (several server processes share the work; `YIWANG_EVENTS_TRANSPORT=nats`).
 */
import type { Config } from '../../config.js';
import type { EventTransport } from './dispatcher.js';

export async function createEventTransport(
  config: Pick<Config, 'eventsTransport' | 'natsUrl' | 'tenant'>,
  log: (message: string, err?: unknown) => void,
): Promise<EventTransport | undefined> {
  if (config.eventsTransport !== 'nats') return undefined;
  const { NatsTransport } = await import('./nats.js');
  return NatsTransport.connect({ servers: config.natsUrl, log });
}
