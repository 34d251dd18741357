/**
 * Analyst access to the lakehouse: a Glue database per stage in which kit tables are registered as
 * native Delta tables (`table_type=DELTA`, see `layers/lakehouse/glue-catalog.ts`), and an Athena
 * workgroup on engine version 3 — the version that reads Delta tables — whose query results go to
 * an encrypted bucket and whose queries stop at a bytes-scanned cutoff.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { databaseForStage } from '../../layers/lakehouse/catalog.ts';

export interface LakehouseAnalyticsProps {
  /** Stage name; the Glue database is `mlops_<stage>`, the workgroup `mlops-<stage>`. */
  readonly stage: string;
  /** The bucket holding the Delta tables. */
  readonly lakehouseBucket: s3.IBucket;
  /** Key of the lakehouse bucket; also encrypts query results. */
  readonly encryptionKey: IKey;
  /** Where the results bucket's server access logs go. */
  readonly accessLogsBucket: s3.IBucket;
  /**
   * Largest amount of data one query may scan before Athena cancels it.
   * @default 10 GiB
   */
  readonly bytesScannedCutoffPerQuery?: number;
  /**
   * Days query results are kept.
   * @default 30
   */
  readonly resultRetentionDays?: number;
}

/** Athena's minimum per-query cutoff (10 MB). */
const MIN_CUTOFF = 10_000_000;

export class LakehouseAnalytics extends Construct {
  /** Glue database name (`mlops_<stage>`). */
  readonly databaseName: string;
  readonly workGroupName: string;
  readonly resultsBucket: s3.IBucket;
  private readonly props: LakehouseAnalyticsProps;

  constructor(scope: Construct, id: string, props: LakehouseAnalyticsProps) {
    super(scope, id);
    const cutoff = props.bytesScannedCutoffPerQuery ?? 10 * 1024 ** 3;
    if (!Number.isInteger(cutoff) || cutoff < MIN_CUTOFF) {
      throw new Error(
        `bytesScannedCutoffPerQuery must be an integer of at least ${MIN_CUTOFF}, got ${cutoff}`,
      );
    }
    const retention = props.resultRetentionDays ?? 30;
    if (!Number.isInteger(retention) || retention < 1) {
      throw new Error(`resultRetentionDays must be at least 1, got ${retention}`);
    }
    this.props = props;
    this.databaseName = databaseForStage(props.stage);
    this.workGroupName = `mlops-${props.stage}`;

    new glue.CfnDatabase(this, 'Database', {
      catalogId: Stack.of(this).account,
      databaseInput: {
        name: this.databaseName,
        description: `MLOps kit lakehouse tables (${props.stage}), native Delta tables`,
        locationUri: props.lakehouseBucket.s3UrlForObject(),
      },
    });

    const results = new s3.Bucket(this, 'Results', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: false,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'athena-results/',
      lifecycleRules: [
        { expiration: Duration.days(retention), abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      // Query results are disposable; they can be recomputed from the lakehouse.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });
    this.resultsBucket = results;

    new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: `MLOps kit analysts (${props.stage}): Delta tables of ${this.databaseName}`,
      state: 'ENABLED',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: cutoff,
        resultConfiguration: {
          outputLocation: results.s3UrlForObject('athena/'),
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.encryptionKey.keyArn },
        },
      },
    });
  }

  /**
   * Lets a principal run Athena queries in this workgroup over the stage's Delta tables: the
   * workgroup's query actions, read access to the Glue database and its tables, read access to the
   * lakehouse, and read/write of the query results.
   */
  grantQuery(grantee: iam.IGrantable): void {
    const stack = Stack.of(this);
    iam.Grant.addToPrincipal({
      grantee,
      actions: [
        'athena:StartQueryExecution',
        'athena:GetQueryExecution',
        'athena:GetQueryResults',
        'athena:StopQueryExecution',
        'athena:GetWorkGroup',
      ],
      resourceArns: [
        stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workGroupName }),
      ],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartitions'],
      resourceArns: [
        stack.formatArn({ service: 'glue', resource: 'catalog' }),
        stack.formatArn({ service: 'glue', resource: 'database', resourceName: this.databaseName }),
        stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${this.databaseName}/*` }),
      ],
    });
    this.props.lakehouseBucket.grantRead(grantee);
    this.resultsBucket.grantReadWrite(grantee);
  }
}
