/**
 * `POST Patient/$merge` (input as in R5: source-patient, target-patient as references or ids; our `reason`)
 * and `POST Patient/$unmerge` (the same parameters): see merge.ts.
 */
import type { Parameters, ParametersParameter } from '@medplum/fhirtypes';
import { badRequest, informational } from '../../fhir/outcomes.js';
import type { FhirRequest, FhirResponse, OperationHandler } from '../../fhir/router.js';
import { mergePatients, unmergePatients, type MergeRequest, type MergeResult } from './merge.js';

function patientId(p: ParametersParameter | undefined, name: string): string {
  const reference = p?.valueReference?.reference ?? p?.valueString;
  const match = reference ? /^(?:.*\/)?(?:Patient\/)?([A-Za-z0-9\-.]{1,64})$/.exec(reference) : null;
  if (!match)
    throw badRequest(`Parameter '${name}' must reference a Patient (valueReference 'Patient/id')`, `Parameters.parameter.${name}`);
  return match[1]!;
}

function readInput(req: FhirRequest, op: string): MergeRequest {
  const params = req.body as Parameters | undefined;
  if (req.method.toUpperCase() !== 'POST' || params?.resourceType !== 'Parameters') {
    throw badRequest(`${op} is invoked as POST Patient/${op} with a Parameters resource`);
  }
  const get = (name: string) => params.parameter?.find((p) => p.name === name);
  const reason = get('reason')?.valueString;
  return {
    sourceId: patientId(get('source-patient'), 'source-patient'),
    targetId: patientId(get('target-patient'), 'target-patient'),
    ...(reason ? { reason } : {}),
  };
}

function output(result: MergeResult, text: string): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'outcome', resource: informational(text) },
      { name: 'result', resource: result.target },
      { name: 'source', resource: result.source },
      ...result.moved.map((m) => ({ name: 'moved', valueReference: { reference: `${m.resourceType}/${m.id}` } })),
    ],
  };
}

function handler(op: '$merge' | '$unmerge'): OperationHandler {
  return async (repo, req, _ctx, target): Promise<FhirResponse> => {
    if (target.resourceType !== 'Patient' || target.id) throw badRequest(`${op} is invoked as POST Patient/${op}`);
    const input = readInput(req, op);
    if (op === '$merge') {
      const result = await mergePatients(repo, input);
      return {
        status: 200,
        body: output(
          result,
          `Patient/${input.sourceId} merged into Patient/${input.targetId}; ${result.moved.length} resources re-pointed`,
        ),
      };
    }
    const result = await unmergePatients(repo, input);
    return {
      status: 200,
      body: output(result, `Patient/${input.sourceId} unmerged from Patient/${input.targetId}; ${result.moved.length} resources restored`),
    };
  };
}

export const mergeOperation = handler('$merge');
export const unmergeOperation = handler('$unmerge');
