/** Pairwise precision and recall of a clustering against ground-truth labels. */

export interface PairMetrics {
  truePairs: number;
  predictedPairs: number;
  truePositives: number;
  precision: number;
  recall: number;
  f1: number;
}

const pairs = (k: number) => (k * (k - 1)) / 2;

/**
 * `cluster[i]` is the predicted cluster of record i, `truth[i]` its true entity. A pair of records counts as
 * predicted when they share a cluster and as true when they share an entity.
 */
export function pairwiseMetrics(cluster: ArrayLike<number>, truth: ArrayLike<string | number>): PairMetrics {
  if (cluster.length !== truth.length) throw new Error('pairwiseMetrics: cluster and truth differ in length');
  const entityIds = new Map<string | number, number>();
  const entity = new Int32Array(truth.length);
  for (let i = 0; i < truth.length; i++) {
    let e = entityIds.get(truth[i]!);
    if (e === undefined) entityIds.set(truth[i]!, (e = entityIds.size));
    entity[i] = e;
  }
  const clusterSize = new Map<number, number>();
  const entitySize = new Int32Array(entityIds.size);
  const both = new Map<number, number>();
  const stride = entityIds.size + 1;
  for (let i = 0; i < cluster.length; i++) {
    const c = cluster[i]!;
    clusterSize.set(c, (clusterSize.get(c) ?? 0) + 1);
    entitySize[entity[i]!]!++;
    const key = c * stride + entity[i]!;
    both.set(key, (both.get(key) ?? 0) + 1);
  }
  let predictedPairs = 0;
  for (const k of clusterSize.values()) predictedPairs += pairs(k);
  let truePairs = 0;
  for (const k of entitySize) truePairs += pairs(k);
  let truePositives = 0;
  for (const k of both.values()) truePositives += pairs(k);
  const precision = predictedPairs === 0 ? 1 : truePositives / predictedPairs;
  const recall = truePairs === 0 ? 1 : truePositives / truePairs;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { truePairs, predictedPairs, truePositives, precision, recall, f1 };
}
