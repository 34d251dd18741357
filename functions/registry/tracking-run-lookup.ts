/**
 * The registry's view of the tracking store: runs (for lineage) and logged models (for
 * `models:/<model_id>` sources), read through the tracking capability's exported lookup.
 */
import { getRun, type TrackingStore } from '../tracking/run-lookup.ts';
import type { RunLookup, RunSummary } from './lineage.ts';

export class TrackingRunLookup implements RunLookup {
  readonly #store: TrackingStore;

  constructor(store: TrackingStore) {
    this.#store = store;
  }

  async getRun(runId: string): Promise<RunSummary | undefined> {
    const run = await getRun(this.#store, runId);
    if (!run) return undefined;
    return {
      runId: run.info.runId,
      experimentId: run.info.experimentId,
      status: run.info.status,
      artifactUri: run.info.artifactUri,
      tags: run.tags,
      datasets: run.datasetInputs.map((input) => {
        const context = input.tags?.find((tag) => tag.key === 'mlflow.data.context')?.value;
        return {
          name: input.dataset.name,
          digest: input.dataset.digest,
          sourceType: input.dataset.source_type,
          source: input.dataset.source,
          ...(context === undefined ? {} : { context }),
        };
      }),
    };
  }

  async loggedModelArtifactUri(modelId: string): Promise<string | undefined> {
    return (await this.#store.getLoggedModel(modelId))?.artifactUri;
  }
}
