/**
 * The registry's request shapes (MLflow's field names), validated at the edge. GET requests carry
 * their fields in the query string (repeated keys for lists) or, without one, as a JSON body.
 */
import { z } from 'zod';
import { parseJsonBody, validate } from '../../layers/runtime/http/request.ts';
import type { HttpEvent } from '../../layers/runtime/http/types.ts';

const LIST_FIELDS = new Set(['order_by', 'stages']);

/** The request's fields: the query string for a GET with one, the JSON body otherwise. */
export function readFields<T extends z.ZodType>(event: HttpEvent, schema: T): z.infer<T> {
  const method = event.requestContext.http.method.toUpperCase();
  if (method === 'GET' && event.rawQueryString) {
    const fields: Record<string, string | string[]> = {};
    for (const [key, value] of new URLSearchParams(event.rawQueryString)) {
      const current = fields[key];
      if (LIST_FIELDS.has(key)) fields[key] = [...((current as string[] | undefined) ?? []), value];
      else fields[key] = value;
    }
    return validate(schema, fields);
  }
  return parseJsonBody(event, schema);
}

const Name = z.string({ error: 'must be a string' });
const Version = z.union([z.string(), z.number()]).transform(String);
const Tags = z
  .array(z.object({ key: z.string(), value: z.union([z.string(), z.number()]).transform(String) }))
  .optional()
  .transform((tags) => Object.fromEntries((tags ?? []).map((tag) => [tag.key, tag.value])));
const StringList = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]));
const Int = z.union([z.number(), z.string()]).transform((value, context) => {
  const number = Number(value);
  if (!Number.isInteger(number)) {
    context.addIssue({ code: 'custom', message: `expected an integer, got '${value}'` });
    return z.NEVER;
  }
  return number;
});
const Bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]);

export const CreateModelSchema = z.object({ name: Name, tags: Tags, description: z.string().optional() });
export const NameSchema = z.object({ name: Name });
export const RenameSchema = z.object({ name: Name, new_name: Name });
export const UpdateModelSchema = z.object({ name: Name, description: z.string().optional() });
export const ModelTagSchema = z.object({
  name: Name,
  key: z.string(),
  value: z.union([z.string(), z.number()]).transform(String),
});
export const ModelTagKeySchema = z.object({ name: Name, key: z.string() });
export const SetAliasSchema = z.object({ name: Name, alias: z.string(), version: Version });
export const AliasSchema = z.object({ name: Name, alias: z.string() });
export const LatestVersionsSchema = z.object({ name: Name, stages: StringList });
export const SearchSchema = z.object({
  filter: z.string().optional(),
  max_results: Int.optional(),
  order_by: StringList,
  page_token: z.string().optional(),
});

export const CreateVersionSchema = z.object({
  name: Name,
  source: z.string(),
  run_id: z.string().optional(),
  run_link: z.string().optional(),
  description: z.string().optional(),
  model_id: z.string().optional(),
  tags: Tags,
});
export const VersionSchema = z.object({ name: Name, version: Version });
export const UpdateVersionSchema = z.object({
  name: Name,
  version: Version,
  description: z.string().optional(),
});
export const VersionTagSchema = z.object({
  name: Name,
  version: Version,
  key: z.string(),
  value: z.union([z.string(), z.number()]).transform(String),
});
export const VersionTagKeySchema = z.object({ name: Name, version: Version, key: z.string() });
export const TransitionSchema = z.object({
  name: Name,
  version: Version,
  stage: z.string(),
  archive_existing_versions: Bool.optional(),
});

export const LineageQuerySchema = z.object({
  name: z.string().optional(),
  version: z.string().optional(),
  model_version: z.string().optional(),
});
export const AuditQuerySchema = z.object({
  name: Name,
  max_results: Int.optional(),
  page_token: z.string().optional(),
});

export const ImportSchema = z.object({
  name: Name,
  promotion_key: z.string(),
  files: z.array(z.object({ path: z.string(), size: z.number().int().nonnegative() })).max(10_000),
});

export const CompleteImportSchema = z.object({
  name: Name,
  promotion_key: z.string(),
  path: z.string(),
  upload_id: z.string(),
  etags: z.array(z.string()).min(1).max(10_000),
});
