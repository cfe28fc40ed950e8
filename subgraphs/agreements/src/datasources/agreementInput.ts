import { InputChecks } from '@cip/subgraph-kit';
import type {
  AgreementScope,
  CreateAgreementInput,
  PartialDateInput,
  SourceBasis,
} from '../__generated__/resolvers-types.js';
import { EARLIEST_SIGNED_YEAR, LATEST_SIGNED_YEAR } from './agreements.js';

/** An agreement's source must be a fact: placeholders are seeded data, never entered. */
const ENTERED_BASES = new Set(['STATED_IN_TEXT', 'PUBLIC_KNOWLEDGE']);

/** How many parties an agreement of each scope may bind; a multilateral one, any number. */
export const MAX_PARTIES: Readonly<Record<string, number>> = { BILATERAL: 2, TRILATERAL: 3 };
export const MIN_PARTIES = 2;

/** A new agreement, checked: its own columns and the ids of the other offices' records it links. */
export interface NewAgreement {
  id: string;
  title: string;
  shortTitle: string | null;
  kind: CreateAgreementInput['kind'];
  scope: AgreementScope;
  signedYear: number | null;
  signedMonth: number | null;
  purpose: string;
  partyIds: string[];
  threatFocusAreaIds: string[];
  sectorIds: string[];
  source: { document: string; section: string; basis: SourceBasis };
}

/** A signing date: a year in range, and a month of it when known (`<path>.year`, `<path>.month`). */
export function checkSigned(
  checks: InputChecks,
  path: string,
  signed: PartialDateInput,
): { year: number; month: number | null } {
  const month = signed.month ?? null;
  if (signed.year < EARLIEST_SIGNED_YEAR || signed.year > LATEST_SIGNED_YEAR) {
    checks.add(`${path}.year`, `must be ${EARLIEST_SIGNED_YEAR} to ${LATEST_SIGNED_YEAR}`);
  }
  if (month !== null && (month < 1 || month > 12)) checks.add(`${path}.month`, 'must be 1 to 12');
  return { year: signed.year, month };
}

/** Ids of another office's records: each a slug, none twice; the path of each is `<path>.<index>`. */
function checkIds(checks: InputChecks, path: string, ids: readonly string[]): string[] {
  const seen = new Set<string>();
  ids.forEach((id, index) => {
    checks.slug(`${path}.${index}`, id);
    if (seen.has(id)) checks.add(`${path}.${index}`, `${id} is named twice`);
    seen.add(id);
  });
  return [...ids];
}

/**
 * Checks a create's input, every field at once; throws `BAD_USER_INPUT` naming the first bad field.
 * What only other offices know (that a party is a known partner, the home party among them) is
 * checked after this, with them (agreementWrites.ts).
 */
export function checkCreateAgreement(
  input: CreateAgreementInput,
  idempotencyKey: string | null | undefined,
): NewAgreement {
  const checks = new InputChecks();
  if (idempotencyKey !== null && idempotencyKey !== undefined) {
    checks.text('idempotencyKey', idempotencyKey, { max: 200 });
  }
  const id = checks.slug('input.id', input.id);
  const title = checks.text('input.title', input.title, { max: 300 });
  const shortTitle =
    input.shortTitle === null || input.shortTitle === undefined
      ? null
      : checks.text('input.shortTitle', input.shortTitle, { max: 60 });
  const signed = input.signed ? checkSigned(checks, 'input.signed', input.signed) : null;
  const signedYear = signed?.year ?? null;
  const signedMonth = signed?.month ?? null;
  const purpose = checks.text('input.purpose', input.purpose, { max: 2000 });
  const partyIds = checkIds(checks, 'input.partyIds', input.partyIds);
  const maxParties = MAX_PARTIES[input.scope];
  if (partyIds.length < MIN_PARTIES) {
    checks.add('input.partyIds', `an agreement binds at least ${MIN_PARTIES} parties`);
  } else if (maxParties !== undefined && partyIds.length > maxParties) {
    checks.add('input.partyIds', `a ${input.scope.toLowerCase()} agreement binds at most ${maxParties} parties`);
  }
  const threatFocusAreaIds = checkIds(checks, 'input.threatFocusAreaIds', input.threatFocusAreaIds ?? []);
  const sectorIds = checkIds(checks, 'input.sectorIds', input.sectorIds ?? []);
  const source = {
    document: checks.text('input.source.document', input.source.document, { max: 300 }),
    section: checks.text('input.source.section', input.source.section, { max: 300 }),
    basis: input.source.basis,
  };
  if (!ENTERED_BASES.has(source.basis)) checks.add('input.source.basis', 'must be STATED_IN_TEXT or PUBLIC_KNOWLEDGE');
  const agreement: NewAgreement = {
    id,
    title,
    shortTitle,
    kind: input.kind,
    scope: input.scope,
    signedYear,
    signedMonth,
    purpose,
    partyIds,
    threatFocusAreaIds,
    sectorIds,
    source,
  };
  checks.throwIfInvalid();
  return agreement;
}

/** Checks an archive's version. */
export function checkArchiveAgreement(expectedVersion: number): void {
  const checks = new InputChecks();
  checks.version('expectedVersion', expectedVersion);
  checks.throwIfInvalid();
}
