/**
 * Electronic signatures with SM2 (电子签名) on reports, prescriptions and any other resource:
 *
 *   POST {Type}/{id}/$sign              the caller (a practitioner) signs the current version; answers the
 *                                       Provenance holding the signature (purpose in `Parameters.purpose`:
 *                                       'author' default, 'reviewer', 'verification')
 *   GET  {Type}/{id}/$verify-signature  every signature of every version, each checked against the signer's key
 *
 * A signature is a `Provenance` whose target is the signed version (`DiagnosticReport/1/_history/3`) and whose
 * `signature.data` is the SM2 signature (DER, base64) of `signedDocument(resource)`. Editing the resource makes
 * a new version; the old signature stays valid for the old version and is reported as not covering the current one.
 */
import type { Parameters, ParametersParameter, Provenance, Resource } from '@medplum/fhirtypes';
import type { Keyring } from '../crypto/keyring.js';
import { sm2Sign, sm2Verify } from '../crypto/sm2.js';
import type { Database } from '../db/database.js';
import { badRequest, forbidden } from '../fhir/outcomes.js';
import { Repository } from '../fhir/repository.js';
import type { OperationHandler } from '../fhir/router.js';
import { signedDocument } from './document.js';
import { activeKey, findKey } from './keys.js';

export const SM2_SIG_FORMAT = 'application/x-sm2-signature';
export const SIGNING_KEY_EXTENSION = 'https://yiwang.cn/fhir/StructureDefinition/signing-key';
const SIGNATURE_TYPES = 'urn:iso-astm:E1762-95:2013';
const PURPOSES: Record<string, { code: string; display: string }> = {
  author: { code: '1.2.840.10065.1.12.1.1', display: "Author's Signature" },
  reviewer: { code: '1.2.840.10065.1.12.1.5', display: 'Verification Signature' },
  verification: { code: '1.2.840.10065.1.12.1.5', display: 'Verification Signature' },
};

interface Deps {
  db: Database;
  /** The current platform keyring (a getter: a key rotation replaces it). */
  keyring: () => Keyring;
}

function purposeOf(body: unknown): string {
  if (body === undefined || body === null) return 'author';
  const params = body as Parameters;
  if (params.resourceType !== 'Parameters') throw badRequest('$sign takes a Parameters resource (or no body)', 'Parameters');
  const value = params.parameter?.find((p) => p.name === 'purpose')?.valueCode ?? 'author';
  if (!PURPOSES[value]) throw badRequest(`Unknown signature purpose '${value}' (author, reviewer, verification)`, 'Parameters.parameter');
  return value;
}

const part = (p: ParametersParameter, name: string): boolean => p.part?.find((x) => x.name === name)?.valueBoolean === true;

export function signatureOperations(deps: Deps): Map<string, OperationHandler> {
  const sign: OperationHandler = async (repo, req, ctx, target) => {
    if (req.method !== 'POST') throw badRequest('Sign with POST {Type}/{id}/$sign');
    if (!target.resourceType || !target.id) throw badRequest('$sign works on one resource: {Type}/{id}/$sign');
    const signer = ctx.caller?.who;
    if (!signer?.startsWith('Practitioner/')) throw forbidden('Only a practitioner account can sign (电子签名需医务人员账户)');
    const purpose = purposeOf(req.body);
    const { resourceType, id } = target;
    return repo.withTransaction(async (tx) => {
      // The caller must be able to see and change what they sign.
      tx.access.checkInteraction?.(resourceType, 'update');
      const resource = await tx.read(resourceType, id);
      const key = await activeKey(tx.db, deps.keyring(), tx.tenant, signer);
      const signature = sm2Sign(signedDocument(resource), key.privateKey);
      const now = tx.now();
      const provenance: Provenance = {
        resourceType: 'Provenance',
        target: [{ reference: `${resourceType}/${id}/_history/${resource.meta?.versionId}` }],
        recorded: now,
        activity: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: 'UPDATE', display: 'revise' }] },
        agent: [
          {
            type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'attester' }] },
            who: { reference: signer, ...(ctx.caller?.display ? { display: ctx.caller.display } : {}) },
            ...(ctx.caller?.onBehalfOf ? { onBehalfOf: { reference: ctx.caller.onBehalfOf } } : {}),
          },
        ],
        signature: [
          {
            type: [{ system: SIGNATURE_TYPES, ...PURPOSES[purpose]! }],
            when: now,
            who: { reference: signer },
            sigFormat: SM2_SIG_FORMAT,
            data: Buffer.from(signature, 'hex').toString('base64'),
            extension: [{ url: SIGNING_KEY_EXTENSION, valueString: key.keyId }],
          },
        ],
      };
      const created = await tx.create(provenance);
      return { status: 201, body: created.resource };
    });
  };

  const verify: OperationHandler = async (repo, req, _ctx, target) => {
    if (req.method !== 'GET') throw badRequest('Verify with GET {Type}/{id}/$verify-signature');
    if (!target.resourceType || !target.id) throw badRequest('$verify-signature works on one resource');
    const { resourceType, id } = target;
    repo.access.checkInteraction?.(resourceType, 'read');
    const current = await repo.read(resourceType, id); // 404 unless the caller may see it
    // Signatures are looked up with the platform's rights: seeing the resource is what entitles one to its signatures.
    const system = new Repository(repo.db, { tenant: repo.tenant }, deps.db);
    const rows = await system.query<{ content: string }>(
      `SELECT content FROM "Provenance" WHERE tenant = $1 AND NOT deleted AND p_target && ARRAY[$2] ORDER BY last_updated`,
      [repo.tenant, `${resourceType}/${id}`],
    );
    const results: ParametersParameter[] = [];
    for (const { content } of rows) {
      const provenance = JSON.parse(content) as Provenance;
      const ref = provenance.target?.find((t) => t.reference?.startsWith(`${resourceType}/${id}/_history/`))?.reference;
      const version = ref?.split('/_history/')[1];
      for (const sig of provenance.signature ?? []) {
        if (sig.sigFormat !== SM2_SIG_FORMAT || !version) continue;
        const keyId = sig.extension?.find((e) => e.url === SIGNING_KEY_EXTENSION)?.valueString;
        const key = keyId ? await findKey(repo.db, repo.tenant, keyId) : undefined;
        let valid = false;
        let problem: string | undefined;
        if (!key) problem = 'signing key not found';
        else if (key.signer !== sig.who?.reference) problem = 'the key belongs to another signer';
        else {
          const signed: Resource = await system.vread(resourceType, id, version);
          valid = sm2Verify(signedDocument(signed), Buffer.from(sig.data ?? '', 'base64').toString('hex'), key.publicKey);
          if (!valid) problem = 'signature does not match the signed version';
        }
        results.push({
          name: 'signature',
          part: [
            { name: 'provenance', valueReference: { reference: `Provenance/${provenance.id}` } },
            { name: 'version', valueString: version },
            { name: 'signer', valueReference: sig.who ?? {} },
            { name: 'when', valueInstant: sig.when },
            { name: 'purpose', valueCoding: sig.type?.[0] ?? {} },
            { name: 'valid', valueBoolean: valid },
            { name: 'coversCurrentVersion', valueBoolean: version === current.meta?.versionId },
            ...(problem ? [{ name: 'problem', valueString: problem }] : []),
          ],
        });
      }
    }
    const body: Parameters = {
      resourceType: 'Parameters',
      parameter: [
        { name: 'currentVersion', valueString: current.meta?.versionId ?? '' },
        { name: 'signedAndValid', valueBoolean: results.some((r) => part(r, 'coversCurrentVersion') && part(r, 'valid')) },
        ...results,
      ],
    };
    return { status: 200, body };
  };

  return new Map([
    ['$sign', sign],
    ['$verify-signature', verify],
  ]);
}
