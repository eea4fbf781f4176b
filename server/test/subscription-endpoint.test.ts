/** The rest-hook endpoint rules (SSRF): what may be written, and what a host name may resolve to when sending. */
import { describe, expect, it } from 'vitest';
import { endpointProblem, forbiddenAddress, guardedLookup } from '../src/platform/subscriptions/endpoint.js';
import { restHookRequest } from '../src/platform/subscriptions/rest-hook.js';
import type { ActiveSubscription } from '../src/platform/subscriptions/registry.js';

describe('rest-hook endpoints', () => {
  it('allows http(s) to public, private and loopback addresses', () => {
    for (const url of [
      'https://his.example.cn/fhir',
      'http://10.1.2.3:8080/in',
      'http://192.168.0.5/x',
      'http://127.0.0.1:9000/',
      'http://[::1]:80/',
    ]) {
      expect(endpointProblem(url), url).toBeUndefined();
    }
  });

  it('refuses other schemes, credentials, link-local, unspecified, multicast and metadata hosts', () => {
    const cases: [string, RegExp][] = [
      ['not a url', /absolute http or https URL/],
      ['file:///etc/passwd', /http or https/],
      ['gopher://10.0.0.1/', /http or https/],
      ['http://admin:secret@10.0.0.1/', /credentials/],
      ['http://169.254.169.254/latest/meta-data', /link-local/],
      ['http://[fe80::1]/', /link-local/],
      ['http://[::ffff:169.254.169.254]/', /link-local/],
      ['http://0.0.0.0:8080/', /unspecified/],
      ['http://[::]/', /unspecified/],
      ['http://224.0.0.1/', /multicast/],
      ['http://metadata.google.internal/computeMetadata/v1/', /metadata/],
    ];
    for (const [url, why] of cases) expect(endpointProblem(url), url).toMatch(why);
  });

  it('checks the address a host name resolves to when sending', async () => {
    expect(forbiddenAddress('169.254.10.1')).toMatch(/link-local/);
    expect(forbiddenAddress('10.0.0.1')).toBeUndefined();
    expect(forbiddenAddress('::ffff:a9fe:a9fe')).toMatch(/link-local/);
    expect(forbiddenAddress('::ffff:7f00:1')).toBeUndefined();
    const resolve = (host: string) =>
      new Promise<string>((ok, fail) => guardedLookup(host, {}, (err, address) => (err ? fail(err) : ok(address as string))));
    await expect(resolve('localhost')).resolves.toMatch(/^(127\.0\.0\.1|::1)$/);
  });

  it('builds the R4 request: PUT [endpoint]/[type]/[id] with a payload, an empty POST without', () => {
    const sub: ActiveSubscription = {
      id: 's1',
      tenant: 't',
      status: 'active',
      criteria: { resourceType: 'Observation', query: '' },
      channel: {
        type: 'rest-hook',
        endpoint: 'https://his.local/fhir/',
        payload: 'application/fhir+json',
        header: ['Authorization: Bearer a:b'],
      },
    };
    expect(restHookRequest(sub, 'Observation', 'o1', '{}')).toEqual({
      method: 'PUT',
      url: 'https://his.local/fhir/Observation/o1',
      headers: { Authorization: 'Bearer a:b', 'content-type': 'application/fhir+json; charset=utf-8' },
      body: '{}',
    });
    expect(restHookRequest({ ...sub, channel: { ...sub.channel, payload: undefined } }, 'Observation', 'o1', undefined)).toEqual({
      method: 'POST',
      url: 'https://his.local/fhir/',
      headers: { Authorization: 'Bearer a:b' },
    });
  });
});
