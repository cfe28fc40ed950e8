import type { DocumentNode } from 'graphql';
import type { Database, Queryable } from '../database.js';
import { migrateSubgraph } from '../server.js';
import { fieldRuleProblems } from './conformanceRules.js';
import { checkInput, readSdl } from './conformanceSdl.js';
import { storeProblems } from './conformanceStore.js';
import type { RecordSpec } from './spec.js';

/**
 * Holds a record spec to the sources it must agree with: the SDL (the create and update input
 * types: the same fields, required where the spec requires, of the spec's types and defaults) and
 * the migrated store (each field a column of that name, of a matching type, NOT NULL where the
 * field cannot be null, with the length, range, pattern and values the column's definition and
 * checks give, where they give one), and the SDL's field rules (no restricted field in the spec,
 * whose export file any writer or auditor reads; every column of the table one the audit log's
 * rules can name). Each office runs it in a test beside its spec.
 */

/** The sources a spec is held to. */
export interface ConformanceSources {
  /** The office's SDL (its `typeDefs`). */
  sdl: DocumentNode;
  /** The input type of a create: every field of the spec, and `id: ID!` unless the record has none. */
  createInput?: string;
  /** The input type of an update: every field an update may change, each optional. */
  updateInput?: string;
  /** The office's store, with its migrations run. */
  db: Queryable;
}

/**
 * Every way the spec disagrees with the SDL and the migrated store, one line each (empty when it
 * agrees). A test asserts the list is empty, so a change to either side shows what the other needs.
 */
export async function recordSpecProblems(spec: RecordSpec, sources: ConformanceSources): Promise<string[]> {
  const problems: string[] = [];
  const sdl = readSdl(sources.sdl);
  const inputs = [
    [sources.createInput, 'create', spec.id !== false],
    [sources.updateInput, 'update', false],
  ] as const;
  for (const [typeName, mode, withId] of inputs) {
    if (typeName === undefined) continue;
    const problem = (message: string) => problems.push(`${spec.entityType} (${typeName}) ${message}`);
    checkInput(sdl, problem, spec.fields, typeName, mode, withId);
  }
  await storeProblems(spec, sources.db, problems);
  await fieldRuleProblems(spec, sources.sdl, sources.db, (message) => problems.push(`${spec.entityType}: ${message}`));
  return problems;
}

/** A record spec and the SDL input types of its create and update, if it has them. */
export interface SpecInputs {
  spec: RecordSpec;
  createInput?: string;
  updateInput?: string;
}

/**
 * Every problem of an office's record specs against its SDL (the module's `typeDefs`) and its
 * store, migrated into a fresh database of `store` (closed again after): what an office's test
 * beside its specs asserts is empty.
 */
export async function subgraphRecordProblems(
  module: Parameters<typeof migrateSubgraph>[0],
  store: { open(): Promise<Database> },
  specs: readonly SpecInputs[],
): Promise<string[]> {
  const db = await store.open();
  try {
    await migrateSubgraph(module, db);
    const problems: string[] = [];
    for (const { spec, ...inputs } of specs) {
      problems.push(...(await recordSpecProblems(spec, { sdl: module.typeDefs, db, ...inputs })));
    }
    return problems;
  } finally {
    await db.close();
  }
}
