import type { Connection } from '@temporalio/client';
import { campaignSearchAttributes } from '../temporal/search-attributes';

// temporal.api.enums.v1.IndexedValueType
const INDEXED_TYPE = { Keyword: 2, Int: 3 } as const;

/**
 * Registers the campaign search attributes on a server the demo reuses but did not start
 * (started ones get them on the command line): without them every campaign fails its first upsert.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set([
    ...Object.keys(existing.customAttributes ?? {}),
    ...Object.keys(existing.systemAttributes ?? {}),
  ]);
  const missing = Object.entries(campaignSearchAttributes).filter(([name]) => !known.has(name));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, INDEXED_TYPE[type]])),
  });
  return missing.map(([name]) => name);
}
