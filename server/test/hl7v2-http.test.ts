/** POST /hl7/v2 and the message log routes, through the app (authentication and roles included). */
import type { Bundle } from '@medplum/fhirtypes';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMessage } from '../src/platform/exchange/hl7v2/index.js';
import { closeApps, ENGINES, testClient, type TestClient } from './helpers/db.js';
import { adt, ID_NUMBER, oru } from './helpers/hl7v2.js';

afterAll(closeApps);

function post(client: TestClient, body: Buffer | string, contentType = 'application/hl7-v2', token = client.token) {
  return client.yiwang.app.inject({
    method: 'POST',
    url: '/hl7/v2',
    headers: { 'x-test-tenant': client.tenant, 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    payload: body,
  });
}

describe.each(ENGINES)('HL7 v2 over HTTP on %s', (engine) => {
  it('POST /hl7/v2 answers the ACK; accepts the three content types; role system or admin', async () => {
    const client = await testClient(engine);
    const system = await client.as({ roles: ['system'] });
    const res = await post(system, adt('A01', 'H-1'));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/hl7-v2; charset=utf-8/);
    expect(res.headers['x-hl7-ack-code']).toBe('AA');
    const ack = parseMessage(res.rawPayload);
    expect(ack.get('MSA-1')).toBe('AA');
    expect(ack.get('MSA-2')).toBe('H-1');
    for (const [i, type] of ['x-application/hl7-v2+er7', 'text/plain; charset=utf-8'].entries()) {
      const r = await post(client, oru(`H-OR-${i}`), type);
      expect(r.statusCode, r.body).toBe(200);
      expect(r.headers['x-hl7-ack-code']).toBe('AA');
    }
    const search = await client.get(`Patient?identifier=urn:oid:2.16.156.10011.1.3|${ID_NUMBER}`);
    expect((search.json() as Bundle).entry).toHaveLength(1);

    expect((await post(client, adt('A01', 'H-2'), 'application/hl7-v2', '')).statusCode).toBe(401);
    const doctor = await client.as({ roles: ['township-doctor'] });
    expect((await post(doctor, adt('A01', 'H-3'))).statusCode).toBe(403);
    expect((await post(client, '{}', 'application/json')).statusCode).toBe(415);
  });

  it('GB18030 over HTTP: the ACK comes back in GB18030', async () => {
    const client = await testClient(engine);
    const text = adt('A04', 'H-GB', 'MRN-HGB', 'V-HGB', '李四')
      .replace('|P|2.5', '|P|2.5||||||GB18030')
      .replace('|NCRMYY|', '|南川区人民医院|');
    const res = await post(client, iconv.encode(text, 'gb18030'));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/charset=gb18030/);
    expect(iconv.decode(res.rawPayload, 'gb18030')).toContain('南川区人民医院');
    const list = await client.get('/hl7/v2/messages?status=AA');
    const [entry] = list.json().messages;
    const one = await client.get(`/hl7/v2/messages/${entry.id}`);
    expect(one.json().raw).toBe(text);
  });

  it('message log: list (no raw text), one (raw text), replay; admin only', async () => {
    const client = await testClient(engine);
    await post(client, adt('A01', 'L-1'));
    await post(client, adt('A01', 'L-1'));
    await post(client, adt('A01', 'L-2').replace('|19880315|M|', '|19880315|Q|'));
    const all = await client.get('/hl7/v2/messages');
    expect(all.statusCode, all.body).toBe(200);
    const messages = all.json().messages as Array<Record<string, unknown>>;
    expect(messages).toHaveLength(3);
    expect(messages.every((m) => !('raw' in m))).toBe(true);
    expect(JSON.stringify(messages)).not.toContain(ID_NUMBER);
    expect((await client.get('/hl7/v2/messages?status=duplicate')).json().messages).toHaveLength(1);
    const failed = (await client.get('/hl7/v2/messages?status=AE&sender=HIS')).json().messages;
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ controlId: 'L-2', transport: 'http', outcome: 'AE', messageType: 'ADT^A01' });
    expect(failed[0].errors[0]).toMatchObject({ code: 103, location: 'PID-8' });
    expect((await client.get('/hl7/v2/messages?status=XX')).statusCode).toBe(400);

    const one = await client.get(`/hl7/v2/messages/${failed[0].id}`);
    expect(one.statusCode).toBe(200);
    expect(one.json().raw).toContain('|Q|');
    expect((await client.get('/hl7/v2/messages/nope')).statusCode).toBe(404);

    const replay = await client.request('POST', `/hl7/v2/messages/${failed[0].id}/replay`);
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toMatchObject({ code: 'AE', replayOf: failed[0].id });
    expect((await client.get('/hl7/v2/messages?status=AE')).json().messages).toHaveLength(2);

    const system = await client.as({ roles: ['system'] });
    expect((await system.get('/hl7/v2/messages')).statusCode).toBe(403);
    expect((await system.request('POST', `/hl7/v2/messages/${failed[0].id}/replay`)).statusCode).toBe(403);
  });
});
