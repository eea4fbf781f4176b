/**
 * The R4 websocket channel at /fhir/R4/subscriptions/ws. The client opens the socket with its bearer token (the
 * Authorization header, checked by the global guard like any request), sends `bind <subscription id>`, gets
 * `bound <id>`, then `ping <id>` each time a resource matching that Subscription is written, and fetches what changed
 * over the REST API. A bind to a Subscription the caller cannot read, or that is not a websocket one, gets
 * `error <id> <reason>`. Pings are sent by the process that handles the event to the sockets it holds.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastifyWebsocket from '@fastify/websocket';
import type { WebSocket } from 'ws';
import type { Subscription } from '@medplum/fhirtypes';
import { principalOf } from '../auth/guard.js';
import type { Repository } from '../fhir/repository.js';

export const WEBSOCKET_PATH = '/fhir/R4/subscriptions/ws';

export class WebSocketHub {
  /** tenant → subscription id → sockets bound to it. */
  private readonly bound = new Map<string, Map<string, Set<WebSocket>>>();

  /** Sends `ping <id>` to every socket bound to the Subscription; returns how many got it. */
  ping(tenant: string, subscriptionId: string): number {
    const sockets = this.bound.get(tenant)?.get(subscriptionId);
    let sent = 0;
    for (const ws of sockets ?? []) {
      if (ws.readyState !== ws.OPEN) continue;
      ws.send(`ping ${subscriptionId}`);
      sent++;
    }
    return sent;
  }

  bind(tenant: string, id: string, ws: WebSocket): void {
    const byId = this.bound.get(tenant) ?? new Map<string, Set<WebSocket>>();
    this.bound.set(tenant, byId);
    const set = byId.get(id) ?? new Set<WebSocket>();
    byId.set(id, set);
    set.add(ws);
  }

  unbindAll(tenant: string, ws: WebSocket): void {
    const byId = this.bound.get(tenant);
    if (!byId) return;
    for (const [id, set] of byId) {
      set.delete(ws);
      if (!set.size) byId.delete(id);
    }
    if (!byId.size) this.bound.delete(tenant);
  }
}

export async function registerWebSocketChannel(
  app: FastifyInstance,
  hub: WebSocketHub,
  repositoryFor: (request: FastifyRequest) => Promise<Repository>,
): Promise<void> {
  await app.register(fastifyWebsocket, { options: { maxPayload: 4096 } });
  // An upgrade refused with an HTTP answer (401 without a token, 404) leaves its socket outside Node's HTTP handling,
  // half open: close it, or it lingers and holds the server's shutdown.
  app.addHook('onResponse', async (request, reply) => {
    if (request.raw.headers.upgrade && reply.statusCode >= 400 && !request.raw.socket.destroyed) request.raw.socket.destroy();
  });
  app.get(WEBSOCKET_PATH, { websocket: true }, (socket, request) => {
    const { tenant } = principalOf(request);
    const repository = repositoryFor(request);
    socket.on('message', (data) => {
      const text = String(data).trim();
      const match = /^bind\s+([A-Za-z0-9\-.]{1,64})$/.exec(text);
      if (!match) {
        socket.send(`error ${text.slice(0, 80)} expected 'bind <subscription id>'`);
        return;
      }
      const id = match[1]!;
      void repository
        .then((repo) => repo.read('Subscription', id))
        .then(
          (resource) => {
            const sub = resource as Subscription;
            if (sub.channel?.type !== 'websocket') return socket.send(`error ${id} Subscription/${id} is not a websocket subscription`);
            hub.bind(tenant, id, socket);
            socket.send(`bound ${id}`);
          },
          () => socket.send(`error ${id} Subscription/${id} not found`),
        );
    });
    socket.on('close', () => hub.unbindAll(tenant, socket));
  });
}
