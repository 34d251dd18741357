/**
 * The features function's adapters for scoring: model versions from the model registry's store,
 * predictions from SageMaker runtime (locally the embedded endpoint behind the same API).
 */
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { ModelResolver, ServingModel } from '../../layers/features/predict.ts';
import { servingModelFrom } from '../../layers/features/predict.ts';
import { InvalidStateError, KitError, NotFoundError } from '../../layers/runtime/errors.ts';
import type { RegistryStore } from '../registry/registry-store.ts';

/**
 * Resolves `name@alias` / `name` + version through the registry store, caching each answer for
 * `maxAgeMs` (an alias moved by a promotion is followed within that time).
 */
export class RegistryModelResolver implements ModelResolver {
  readonly #cache = new Map<string, { at: number; value: Promise<ServingModel> }>();

  constructor(
    private readonly registry: RegistryStore,
    private readonly maxAgeMs = 10_000,
  ) {}

  resolve(name: string, ref: { alias: string } | { version: number }): Promise<ServingModel> {
    const key = `${name}|${'alias' in ref ? `@${ref.alias}` : ref.version}`;
    const cached = this.#cache.get(key);
    if (cached && Date.now() - cached.at < this.maxAgeMs) return cached.value;
    const value = this.#load(name, ref);
    this.#cache.set(key, { at: Date.now(), value });
    value.catch(() => this.#cache.delete(key));
    return value;
  }

  async #load(name: string, ref: { alias: string } | { version: number }): Promise<ServingModel> {
    let number: number;
    if ('alias' in ref) {
      const model = await this.registry.getModel(name);
      if (!model) throw new NotFoundError(`Registered Model with name=${name} not found`);
      const aliased = model.aliases[ref.alias];
      if (aliased === undefined) throw new NotFoundError(`Registered model alias ${ref.alias} not found.`);
      number = aliased;
    } else {
      number = ref.version;
    }
    const version = await this.registry.getVersion(name, number);
    if (!version) throw new NotFoundError(`Model Version (name=${name}, version=${number}) not found`);
    return servingModelFrom({
      name,
      version: version.version,
      tags: version.tags,
      ...(version.lineage.featureService ? { featureService: version.lineage.featureService } : {}),
    });
  }
}

/** InvokeEndpoint with CSV in and the container's JSON out (`{"predictions":[{"score":…}]}`). */
export function sageMakerInvoker(client: SageMakerRuntimeClient) {
  return async (endpoint: string, csv: string): Promise<unknown[]> => {
    let body: string;
    try {
      const response = await client.send(
        new InvokeEndpointCommand({
          EndpointName: endpoint,
          ContentType: 'text/csv',
          Accept: 'application/json',
          Body: new TextEncoder().encode(csv),
        }),
      );
      body = new TextDecoder().decode(response.Body);
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'ValidationError') {
        throw new InvalidStateError(`endpoint ${endpoint}: ${(error as Error).message}`, { cause: error });
      }
      if (name === 'ModelError') {
        throw new KitError(
          'BAD_REQUEST',
          `endpoint ${endpoint} refused the features: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
    const parsed = JSON.parse(body) as { predictions?: { score: unknown }[] };
    if (!Array.isArray(parsed.predictions)) {
      throw new Error(`endpoint ${endpoint} answered without predictions: ${body.slice(0, 200)}`);
    }
    return parsed.predictions.map((item) => item.score);
  };
}
