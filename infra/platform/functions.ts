/**
 * Every HTTP function of the kit. Capabilities add their function here; its routes live beside its
 * handler (`functions/<capability>/routes.ts`) so that the handler and its declared routes are
 * checked against each other by the tests.
 */
import { FEATURES_ROUTES } from '../../functions/features/routes.ts';
import { PLATFORM_ROUTES } from '../../functions/platform/routes.ts';
import { REGISTRY_ROUTES } from '../../functions/registry/routes.ts';
import { SCORING_ROUTES } from '../../functions/scoring/routes.ts';
import { ARTIFACT_ROUTES, TRACKING_ROUTES } from '../../functions/tracking/routes.ts';
import type { FunctionDefinition } from './api.ts';

export const FUNCTIONS = {
  platform: {
    logicalId: 'PlatformFunction',
    entry: 'functions/platform/handler.ts',
    description: 'Platform information: stage, region, resource names',
    memoryMb: 256,
    timeoutSeconds: 10,
    tables: {},
    buckets: {},
    routes: PLATFORM_ROUTES,
  },
  registry: {
    logicalId: 'RegistryFunction',
    entry: 'functions/registry/handler.ts',
    description: 'MLflow model registry with lineage, audit trail and approval rules',
    memoryMb: 512,
    timeoutSeconds: 29,
    tables: { registry: 'readwrite', tracking: 'read', deltaLog: 'readwrite' },
    buckets: { artifacts: 'readwrite', lakehouse: 'readwrite' },
    routes: REGISTRY_ROUTES,
  },
  features: {
    logicalId: 'FeaturesFunction',
    entry: 'functions/features/handler.ts',
    description: 'Feature store: online feature lookups and feature-aware scoring',
    memoryMb: 1024,
    timeoutSeconds: 29,
    tables: { featureRegistry: 'read', onlineStore: 'read', registry: 'read' },
    buckets: { lakehouse: 'readwrite' },
    // Feature-aware scoring calls the endpoints the deployment pipeline names mlops-<stage>-*.
    invokesSageMakerEndpoints: 'stage',
    routes: FEATURES_ROUTES,
  },
  tracking: {
    logicalId: 'TrackingFunction',
    entry: 'functions/tracking/handler.ts',
    description: 'MLflow tracking API: experiments, runs, metrics, params, tags, logged models',
    memoryMb: 1024,
    timeoutSeconds: 29,
    tables: { tracking: 'readwrite' },
    buckets: { artifacts: 'read' },
    routes: TRACKING_ROUTES,
  },
  trackingArtifacts: {
    logicalId: 'TrackingArtifactsFunction',
    entry: 'functions/tracking/artifacts-handler.ts',
    description: 'MLflow artifacts proxy: uploads, listings, presigned downloads, multipart uploads',
    memoryMb: 1024,
    timeoutSeconds: 29,
    tables: {},
    buckets: { artifacts: 'readwrite' },
    routes: ARTIFACT_ROUTES,
  },
  scoring: {
    logicalId: 'ScoringFunction',
    entry: 'functions/scoring/handler.ts',
    description: 'Scores JSON rows with a SageMaker endpoint (the built-in XGBoost container)',
    memoryMb: 256,
    timeoutSeconds: 29,
    tables: {},
    buckets: {},
    invokesSageMakerEndpoints: true,
    routes: SCORING_ROUTES,
  },
} as const satisfies Record<string, FunctionDefinition>;

export type FunctionId = keyof typeof FUNCTIONS;

export const FUNCTION_IDS = Object.keys(FUNCTIONS) as FunctionId[];
