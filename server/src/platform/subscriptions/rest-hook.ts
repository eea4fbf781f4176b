/**
 * The rest-hook channel. With a payload the resource goes as the body of a PUT to `[endpoint]/[type]/[id]` (the
 * endpoint acts as a FHIR base, as in R4 and HAPI); without one, an empty POST to the endpoint tells the receiver
 * to come and look (id-only notification, nothing personal leaves the server). Channel headers are sent as given
 * (typically Authorization). A 2xx answer is a delivery; anything else, a timeout or a refused address throws.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { guardedLookup } from './endpoint.js';
import type { ActiveSubscription } from './registry.js';

export const NOTIFY_TIMEOUT_MS = 10_000;

export interface RestHookNotification {
  method: 'PUT' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** The request a notification makes (pure, tested). */
export function restHookRequest(
  sub: ActiveSubscription,
  resourceType: string,
  id: string,
  content: string | undefined,
): RestHookNotification {
  const headers: Record<string, string> = {};
  for (const h of sub.channel.header) {
    const at = h.indexOf(':');
    headers[h.slice(0, at).trim()] = h.slice(at + 1).trim();
  }
  if (sub.channel.payload && content !== undefined) {
    return {
      method: 'PUT',
      url: `${sub.channel.endpoint!.replace(/\/+$/, '')}/${resourceType}/${encodeURIComponent(id)}`,
      headers: { ...headers, 'content-type': `${sub.channel.payload}; charset=utf-8` },
      body: content,
    };
  }
  return { method: 'POST', url: sub.channel.endpoint!, headers };
}

export function sendRestHook(n: RestHookNotification, timeoutMs = NOTIFY_TIMEOUT_MS): Promise<void> {
  const url = new URL(n.url);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const body = n.body === undefined ? undefined : Buffer.from(n.body);
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: n.method,
        headers: { 'user-agent': 'Yiwang-Subscription/1', ...n.headers, 'content-length': String(body?.length ?? 0) },
        lookup: guardedLookup,
        timeout: timeoutMs,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`${n.method} ${url.origin}${url.pathname} answered HTTP ${status}`));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${n.method} ${url.origin}${url.pathname} timed out after ${timeoutMs} ms`)));
    req.on('error', (err) => reject(new Error(`${n.method} ${url.origin}${url.pathname} failed: ${err.message}`)));
    req.end(body);
  });
}
