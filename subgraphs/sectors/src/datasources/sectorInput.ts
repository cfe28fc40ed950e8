import { InputChecks } from '@cip/subgraph-kit';
import type {
  CreateSectorInput,
  SectorAgencyInput,
  SectorSourceInput,
  SourceBasis,
  UpdateSectorInput,
} from '../__generated__/resolvers-types.js';

/** A sector's own facts must be facts: placeholders are seeded data, never entered. */
export const ENTERED_BASES = new Set(['STATED_IN_TEXT', 'PUBLIC_KNOWLEDGE']);

/** A sector's agency as stored: which agency, and the part of the sector it leads, if only part. */
export interface AgencyAssignment {
  abbreviation: string;
  scope: string | null;
}

/** The stored fields of a sector an office may set, already checked. */
export interface SectorFields {
  name?: string;
  /** The whole list, in the order the source gives; whether each agency is known is checked in the write. */
  agencies?: AgencyAssignment[];
  source?: { document: string; section: string; basis: SourceBasis };
}

export interface NewSector extends Required<SectorFields> {
  id: string;
}

function checkSource(
  checks: InputChecks,
  path: string,
  source: SectorSourceInput,
): NonNullable<SectorFields['source']> {
  const document = checks.text(`${path}.document`, source.document, { max: 300 });
  const section = checks.text(`${path}.section`, source.section, { max: 300 });
  if (!ENTERED_BASES.has(source.basis)) checks.add(`${path}.basis`, 'must be STATED_IN_TEXT or PUBLIC_KNOWLEDGE');
  return { document, section, basis: source.basis };
}

/** At least one agency, none twice; each agency's path is `input.agencies.<index>`. */
function checkAgencies(checks: InputChecks, agencies: readonly SectorAgencyInput[]): AgencyAssignment[] {
  if (agencies.length === 0) checks.add('input.agencies', 'name at least one sector-specific agency');
  const seen = new Set<string>();
  return agencies.map((agency, index) => {
    const path = `input.agencies.${index}`;
    const abbreviation = checks.text(`${path}.abbreviation`, agency.abbreviation, { max: 20 });
    if (seen.has(abbreviation)) checks.add(`${path}.abbreviation`, `${abbreviation} is named twice`);
    seen.add(abbreviation);
    const scope =
      agency.scope === null || agency.scope === undefined
        ? null
        : checks.text(`${path}.scope`, agency.scope, { max: 100 });
    return { abbreviation, scope };
  });
}

/** Checks a create's input, every field at once; throws `BAD_USER_INPUT` naming the first bad field. */
export function checkCreateSector(input: CreateSectorInput, idempotencyKey: string | null | undefined): NewSector {
  const checks = new InputChecks();
  if (idempotencyKey !== null && idempotencyKey !== undefined) {
    checks.text('idempotencyKey', idempotencyKey, { max: 200 });
  }
  const sector: NewSector = {
    id: checks.slug('input.id', input.id),
    name: checks.text('input.name', input.name),
    agencies: checkAgencies(checks, input.agencies),
    source: checkSource(checks, 'input.source', input.source),
  };
  checks.throwIfInvalid();
  return sector;
}

/** Checks an update: only the fields given, at least one of them, none set to null. */
export function checkUpdateSector(expectedVersion: number, input: UpdateSectorInput): SectorFields {
  const checks = new InputChecks();
  checks.version('expectedVersion', expectedVersion);
  const fields: SectorFields = {};
  for (const [name, value] of Object.entries(input)) {
    if (value === null) checks.add(`input.${name}`, 'cannot be null: leave the field out to keep its value');
  }
  if (input.name != null) fields.name = checks.text('input.name', input.name);
  if (input.agencies != null) fields.agencies = checkAgencies(checks, input.agencies);
  if (input.source != null) fields.source = checkSource(checks, 'input.source', input.source);
  if (Object.keys(input).length === 0) checks.add('input', 'name at least one field to change');
  checks.throwIfInvalid();
  return fields;
}

/** Checks an archive's version. */
export function checkArchiveSector(expectedVersion: number): void {
  const checks = new InputChecks();
  checks.version('expectedVersion', expectedVersion);
  checks.throwIfInvalid();
}
