/**
 * The versioned feature registry: every entity, feature view and feature service is stored as a
 * sequence of immutable-in-meaning versions in the `featureRegistry` table.
 *
 * Item layout (generic `pk`/`sk` table):
 *
 *     pk = <kind>#<name>   sk = V#<version, 6 digits>   → one version: spec, revision, timestamps
 *     pk = <kind>#<name>   sk = MAT#V#<version>         → materialization state of a view version
 *     gsi1pk = KIND#<kind> gsi1sk = <name>#<version>    → listing every object of a kind
 *
 * Guarantees of `FeatureRegistryStore`:
 * - `createVersion` is atomic put-if-absent: two applies racing to create the same version cannot
 *   both win; the loser gets FeatureRegistryConflictError and nothing of its write is visible.
 * - `updateVersion` replaces a version only if its `revision` is still the one the caller read
 *   (compare-and-set), so a non-breaking update never overwrites a concurrent one.
 * - A version's breaking surface (features, types, keys, source) never changes once written;
 *   `plan.ts` sends such changes to a new version, and the store is only written through it.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type {
  Entity,
  FeatureService,
  FeatureView,
  JoinKey,
  ObjectKind,
  ResolvedFeature,
} from './definitions.ts';
import { FeatureObjectNotFoundError, FeatureRegistryConflictError } from './errors.ts';

/** A stored feature view: its definition plus the join keys resolved from its entities. */
export interface ViewSpec extends FeatureView {
  readonly joinKeys: readonly JoinKey[];
  readonly entityVersions: Readonly<Record<string, number>>;
}

/** A stored feature service: its definition plus each feature resolved to a view version. */
export interface ServiceSpec extends FeatureService {
  readonly resolved: readonly ResolvedFeature[];
}

export interface SpecOf {
  entity: Entity;
  featureView: ViewSpec;
  featureService: ServiceSpec;
}

export interface StoredObject<K extends ObjectKind = ObjectKind> {
  readonly kind: K;
  readonly name: string;
  readonly version: number;
  /** Incremented by each non-breaking update of this version. */
  readonly revision: number;
  readonly spec: SpecOf[K];
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Where the online store stands for one feature view version. */
export interface MaterializationState {
  readonly view: string;
  readonly viewVersion: number;
  /** Source table version whose data is fully in the online store. */
  readonly tableVersion: number;
  readonly materializedAt: string;
}

/** The registry's storage port; see the module comment for the guarantees. */
export interface FeatureRegistryStore {
  latest<K extends ObjectKind>(kind: K, name: string): Promise<StoredObject<K> | undefined>;
  /** A version, or FeatureObjectNotFoundError. */
  get<K extends ObjectKind>(kind: K, name: string, version?: number): Promise<StoredObject<K>>;
  /** The latest version of every object of a kind, by name. */
  list<K extends ObjectKind>(kind: K): Promise<StoredObject<K>[]>;
  createVersion(object: StoredObject): Promise<void>;
  updateVersion(object: StoredObject, expectedRevision: number): Promise<void>;
  materialization(view: string, viewVersion: number): Promise<MaterializationState | undefined>;
  /** Records progress; never moves a view version's state back to an older table version. */
  recordMaterialization(state: MaterializationState): Promise<void>;
}

const pad = (version: number) => String(version).padStart(6, '0');

/** FeatureRegistryStore on the `featureRegistry` DynamoDB table. */
export class DynamoDbFeatureRegistryStore implements FeatureRegistryStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async latest<K extends ObjectKind>(kind: K, name: string): Promise<StoredObject<K> | undefined> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
        ExpressionAttributeValues: { ':pk': `${kind}#${name}`, ':v': 'V#' },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = result.Items?.[0];
    return item ? fromItem<K>(item) : undefined;
  }

  async get<K extends ObjectKind>(kind: K, name: string, version?: number): Promise<StoredObject<K>> {
    if (version === undefined) {
      const found = await this.latest(kind, name);
      if (!found) throw new FeatureObjectNotFoundError(`${describeKind(kind)} '${name}' is not registered`);
      return found;
    }
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `${kind}#${name}`, sk: `V#${pad(version)}` },
        ConsistentRead: true,
      }),
    );
    if (!result.Item) {
      throw new FeatureObjectNotFoundError(`${describeKind(kind)} '${name}' has no version ${version}`);
    }
    return fromItem<K>(result.Item);
  }

  async list<K extends ObjectKind>(kind: K): Promise<StoredObject<K>[]> {
    const latest = new Map<string, StoredObject<K>>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :kind',
          ExpressionAttributeValues: { ':kind': `KIND#${kind}` },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const object = fromItem<K>(item);
        const seen = latest.get(object.name);
        if (!seen || seen.version < object.version) latest.set(object.name, object);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return [...latest.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async createVersion(object: StoredObject): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toItem(object),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new FeatureRegistryConflictError(
          `${describeKind(object.kind)} '${object.name}' version ${object.version} was created concurrently; plan again`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  async updateVersion(object: StoredObject, expectedRevision: number): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toItem(object),
          ConditionExpression: 'revision = :expected',
          ExpressionAttributeValues: { ':expected': expectedRevision },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new FeatureRegistryConflictError(
          `${describeKind(object.kind)} '${object.name}' version ${object.version} was changed concurrently; plan again`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  async materialization(view: string, viewVersion: number): Promise<MaterializationState | undefined> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `featureView#${view}`, sk: `MAT#V#${pad(viewVersion)}` },
        ConsistentRead: true,
      }),
    );
    if (!result.Item) return undefined;
    return {
      view,
      viewVersion,
      tableVersion: Number(result.Item.tableVersion),
      materializedAt: String(result.Item.materializedAt),
    };
  }

  async recordMaterialization(state: MaterializationState): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `featureView#${state.view}`,
            sk: `MAT#V#${pad(state.viewVersion)}`,
            tableVersion: state.tableVersion,
            materializedAt: state.materializedAt,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR tableVersion <= :new',
          ExpressionAttributeValues: { ':new': state.tableVersion },
        }),
      );
    } catch (error) {
      // A concurrent materialization got further; its state stands (online writes are idempotent).
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

export function describeKind(kind: ObjectKind): string {
  return kind === 'entity' ? 'entity' : kind === 'featureView' ? 'feature view' : 'feature service';
}

function toItem(object: StoredObject): Record<string, unknown> {
  return {
    pk: `${object.kind}#${object.name}`,
    sk: `V#${pad(object.version)}`,
    gsi1pk: `KIND#${object.kind}`,
    gsi1sk: `${object.name}#${pad(object.version)}`,
    kind: object.kind,
    name: object.name,
    version: object.version,
    revision: object.revision,
    spec: object.spec,
    createdAt: object.createdAt,
    updatedAt: object.updatedAt,
  };
}

function fromItem<K extends ObjectKind>(item: Record<string, unknown>): StoredObject<K> {
  return {
    kind: item.kind as K,
    name: String(item.name),
    version: Number(item.version),
    revision: Number(item.revision),
    spec: item.spec as SpecOf[K],
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
  };
}
