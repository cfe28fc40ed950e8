import { InputChecks } from '@cip/subgraph-kit';
import type { CreateThreatFocusAreaInput, SourceBasis, ThreatCategory } from '../__generated__/resolvers-types.js';

/** A focus area's source must be a fact: placeholders are seeded data, never entered. */
const ENTERED_BASES = new Set(['STATED_IN_TEXT', 'PUBLIC_KNOWLEDGE']);

/** A new focus area, checked: its own columns and the ids of the other offices' records it names. */
export interface NewThreatFocusArea {
  id: string;
  name: string;
  description: string;
  category: ThreatCategory;
  origin: { statement: string; namedById: string | null };
  affectedSectorIds: string[];
  source: { document: string; section: string; basis: SourceBasis };
}

/**
 * Checks a create's input, every field at once; throws `BAD_USER_INPUT` naming the first bad field.
 * Whether the sectors and the naming agreement exist is for their offices (threatFocusAreaWrites.ts).
 */
export function checkCreateThreatFocusArea(
  input: CreateThreatFocusAreaInput,
  idempotencyKey: string | null | undefined,
): NewThreatFocusArea {
  const checks = new InputChecks();
  if (idempotencyKey !== null && idempotencyKey !== undefined) {
    checks.text('idempotencyKey', idempotencyKey, { max: 200 });
  }
  const id = checks.slug('input.id', input.id);
  const name = checks.text('input.name', input.name);
  const description = checks.text('input.description', input.description, { max: 2000 });
  const statement = checks.text('input.origin.statement', input.origin.statement, { max: 300 });
  const namedById = input.origin.namedById ?? null;
  if (namedById !== null) checks.slug('input.origin.namedById', namedById);
  const seen = new Set<string>();
  const affectedSectorIds = (input.affectedSectorIds ?? []).map((sectorId, index) => {
    checks.slug(`input.affectedSectorIds.${index}`, sectorId);
    if (seen.has(sectorId)) checks.add(`input.affectedSectorIds.${index}`, `${sectorId} is named twice`);
    seen.add(sectorId);
    return sectorId;
  });
  const source = {
    document: checks.text('input.source.document', input.source.document, { max: 300 }),
    section: checks.text('input.source.section', input.source.section, { max: 300 }),
    basis: input.source.basis,
  };
  if (!ENTERED_BASES.has(source.basis)) checks.add('input.source.basis', 'must be STATED_IN_TEXT or PUBLIC_KNOWLEDGE');
  checks.throwIfInvalid();
  return {
    id,
    name,
    description,
    category: input.category,
    origin: { statement, namedById },
    affectedSectorIds,
    source,
  };
}

/** Checks an archive's version. */
export function checkArchiveThreatFocusArea(expectedVersion: number): void {
  const checks = new InputChecks();
  checks.version('expectedVersion', expectedVersion);
  checks.throwIfInvalid();
}
