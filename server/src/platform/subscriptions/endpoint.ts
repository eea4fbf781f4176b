/**
 * Where a rest-hook may point (server-side request forgery, SSRF): a Subscription makes this server send requests to
 * an address chosen by whoever wrote it. Only administrators and system clients may write Subscriptions (access
 * policy: not resident data), and the address must be an http(s) URL without credentials that does not name a
 * link-local, unspecified or multicast address (cloud metadata services live at 169.254.169.254). The same rule is
 * applied again to the address a host name resolves to when a notification is sent, so a DNS name cannot smuggle it.
 * Loopback and private (10/8, 172.16/12, 192.168/16) addresses are allowed: a county's HIS and LIS live there.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';

/** The IPv4 address inside an IPv4-mapped IPv6 one, in either spelling (URL parsing turns the dotted one into hex). */
function mappedV4(ip: string): string | undefined {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip)?.[1];
  if (dotted) return dotted;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(ip);
  if (!hex) return undefined;
  const [hi, lo] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

/** Why an address may not receive notifications, or undefined when it may. */
export function forbiddenAddress(address: string): string | undefined {
  const ip = address.replace(/^\[|\]$/g, '').toLowerCase();
  const v4 = isIP(ip) === 4 ? ip : mappedV4(ip);
  if (v4) {
    const [a, b] = v4.split('.').map(Number) as [number, number];
    if (a === 169 && b === 254) return 'a link-local address (169.254.0.0/16, cloud metadata)';
    if (a === 0) return 'an unspecified address (0.0.0.0/8)';
    if (a >= 224) return 'a multicast or reserved address';
    return undefined;
  }
  if (isIP(ip) === 6) {
    if (ip === '::') return 'an unspecified address (::)';
    if (/^fe[89ab]/.test(ip)) return 'a link-local address (fe80::/10)';
    if (ip.startsWith('ff')) return 'a multicast address (ff00::/8)';
  }
  return undefined;
}

const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata', 'instance-data']);

/** Why a rest-hook endpoint is refused (checked on write), or undefined. */
export function endpointProblem(endpoint: string): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return `channel.endpoint must be an absolute http or https URL, got '${endpoint}'`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `channel.endpoint must use http or https, not '${url.protocol.replace(':', '')}'`;
  if (url.username || url.password) return 'channel.endpoint must not carry credentials: send them in channel.header';
  if (METADATA_HOSTS.has(url.hostname.toLowerCase())) return `channel.endpoint may not name '${url.hostname}' (a cloud metadata service)`;
  const why = forbiddenAddress(url.hostname);
  return why ? `channel.endpoint may not be ${why}` : undefined;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup that refuses forbidden addresses, for the HTTP client that sends notifications. */
export function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    const list = addresses as LookupAddress[];
    const bad = list.map((a) => forbiddenAddress(a.address)).find(Boolean);
    if (bad) return callback(Object.assign(new Error(`${hostname} resolves to ${bad}: refused`), { code: 'EFORBIDDEN' }), '');
    if (options.all) return callback(null, list);
    callback(null, list[0]!.address, list[0]!.family);
  });
}
