// PLACEHOLDER — being written (NATS JetStream transport).
import type { EventTransport } from './dispatcher.js';

export const NatsTransport = {
  async connect(_options: { servers: string; log: (message: string, err?: unknown) => void }): Promise<EventTransport> {
    throw new Error('NATS transport not available yet');
  },
};
