import { InputChecks } from '@cip/subgraph-kit';
import type { CreatePartnerInput, PartnerSourceInput, UpdatePartnerInput } from '../__generated__/resolvers-types.js';
import type { NewPartner, PartnerFields } from './partnerWrites.js';

/** A partner's source must be a fact: placeholders are seeded data, never entered. */
const ENTERED_BASES = new Set(['STATED_IN_TEXT', 'PUBLIC_KNOWLEDGE']);

function checkSource(
  checks: InputChecks,
  path: string,
  source: PartnerSourceInput,
): NonNullable<PartnerFields['source']> {
  const document = checks.text(`${path}.document`, source.document, { max: 300 });
  const section = checks.text(`${path}.section`, source.section, { max: 300 });
  if (!ENTERED_BASES.has(source.basis)) checks.add(`${path}.basis`, 'must be STATED_IN_TEXT or PUBLIC_KNOWLEDGE');
  return { document, section, basis: source.basis };
}

/** Checks a create's input, every field at once; throws `BAD_USER_INPUT` naming the first bad field. */
export function checkCreatePartner(input: CreatePartnerInput, idempotencyKey: string | null | undefined): NewPartner {
  const checks = new InputChecks();
  if (idempotencyKey !== null && idempotencyKey !== undefined) {
    checks.text('idempotencyKey', idempotencyKey, { max: 200 });
  }
  const partner: NewPartner = {
    id: checks.slug('input.id', input.id),
    name: checks.text('input.name', input.name),
    shortName: checks.text('input.shortName', input.shortName, { max: 60 }),
    kind: input.kind,
    region: checks.text('input.region', input.region, { max: 100 }),
    sharesLandBorderWithUnitedStates: input.sharesLandBorderWithUnitedStates ?? false,
    source: checkSource(checks, 'input.source', input.source),
  };
  checks.throwIfInvalid();
  return partner;
}

/** Checks an update: only the fields given, at least one of them, none set to null. */
export function checkUpdatePartner(expectedVersion: number, input: UpdatePartnerInput): PartnerFields {
  const checks = new InputChecks();
  checks.version('expectedVersion', expectedVersion);
  const fields: PartnerFields = {};
  for (const [name, value] of Object.entries(input)) {
    if (value === null) checks.add(`input.${name}`, 'cannot be null: leave the field out to keep its value');
  }
  if (input.name != null) fields.name = checks.text('input.name', input.name);
  if (input.shortName != null) fields.shortName = checks.text('input.shortName', input.shortName, { max: 60 });
  if (input.kind != null) fields.kind = input.kind;
  if (input.region != null) fields.region = checks.text('input.region', input.region, { max: 100 });
  if (input.sharesLandBorderWithUnitedStates != null) {
    fields.sharesLandBorderWithUnitedStates = input.sharesLandBorderWithUnitedStates;
  }
  if (input.source != null) fields.source = checkSource(checks, 'input.source', input.source);
  if (Object.keys(input).length === 0) checks.add('input', 'name at least one field to change');
  checks.throwIfInvalid();
  return fields;
}

/** Checks an archive's version. */
export function checkArchivePartner(expectedVersion: number): void {
  const checks = new InputChecks();
  checks.version('expectedVersion', expectedVersion);
  checks.throwIfInvalid();
}
