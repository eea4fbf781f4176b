/**
 * The served HL7 v2 interface in one call, for app.ts: the receiver service (with ADT^A40 merges
 * through the resident index) and its HTTP routes. The MLLP listener is started separately by
 * `yiwang serve` (startMllpServer), because tests and `yiwang import` build the app without it.
 */
import type { FastifyInstance } from 'fastify';
import { mergePatients } from '../../identity/empi/merge.js';
import { registerHl7Routes, type Hl7RoutesDeps } from './routes.js';
import { Hl7Service, type Hl7ServiceDeps } from './service.js';

export { startMllpServer, type MllpServer, type MllpServerDeps } from './mllp-server.js';
export { Hl7Service, type Hl7ServiceDeps, type ProcessResult, type TransportInfo } from './service.js';
export { registerHl7Routes, type Hl7RoutesDeps } from './routes.js';

export async function registerHl7Interface(
  app: FastifyInstance,
  deps: Omit<Hl7ServiceDeps, 'mergePatients'> & Omit<Hl7RoutesDeps, 'service'>,
): Promise<Hl7Service> {
  const service = new Hl7Service({ ...deps, mergePatients });
  await registerHl7Routes(app, { service, maxMessageBytes: deps.maxMessageBytes, onRawRead: deps.onRawRead });
  return service;
}
