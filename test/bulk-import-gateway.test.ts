import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type RunningSystem } from '@cip/testing/system';
import { TEST_AUTH, makeToken, post } from '@cip/testing/tokens';

/**
 * Bulk import and export go through the gateway like any write: the office's scopes are enforced
 * before the subgraph is asked, the audit rows name the token's subject, and the request body limit
 * (MAX_BODY_BYTES, 1 MiB by default) bounds how large a file one request can carry.
 */
const IMPORT = `mutation ($format: BulkFormat!, $content: String!) {
  importPartners(format: $format, content: $content) { applied created updated errors { row field code } } }`;
const EXPORT = `query ($format: BulkFormat!) { exportPartners(format: $format) }`;
const AUDIT = `{ partnerAuditLog(partnerId: "partner-00001") { nodes { actor action } } }`;
const BODY_LIMIT = 1_048_576;

const HEADER =
  'id,name,shortName,kind,region,sharesLandBorderWithUnitedStates,source.document,source.section,source.basis';
/** A partner row of a realistic size (~150 bytes). */
const partnerRow = (n: number) => {
  const id = String(n).padStart(5, '0');
  return `partner-${id},Partner Country ${id},Country ${id},COUNTRY,Oceania,false,National Infrastructure Protection Plan (2006),"Chapter 3, international CI/KR protection",PUBLIC_KNOWLEDGE`;
};
const csvOf = (rows: number) => [HEADER, ...Array.from({ length: rows }, (_, n) => partnerRow(n + 1))].join('\r\n');
const bodyOf = (rows: number) => JSON.stringify({ query: IMPORT, variables: { format: 'CSV', content: csvOf(rows) } });

/** The most rows whose import request fits in the gateway's body limit. */
function mostRowsUnderLimit(): number {
  let low = 1;
  let high = 20_000;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (Buffer.byteLength(bodyOf(middle)) <= BODY_LIMIT) low = middle;
    else high = middle - 1;
  }
  return low;
}

describe('bulk import and export through the gateway', () => {
  let system: RunningSystem;
  let writer: string;
  let auditor: string;
  let reader: string;
  beforeAll(async () => {
    system = await startSystem({ ...TEST_AUTH });
    writer = await makeToken({ scopes: ['partners:write'], subject: 'bulk-editor' });
    auditor = await makeToken({ scopes: ['partners:audit'] });
    reader = await makeToken({ scopes: ['partners:restricted', 'agreements:write'] });
  });
  afterAll(() => system.stop());

  it('refuses an import without partners:write before the office is asked', async () => {
    const { body } = await post(system.gatewayUrl, bodyOf(3), reader);
    expect(body.errors).toEqual([
      expect.objectContaining({ path: ['importPartners'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }),
    ]);
    const exported = await post(system.gatewayUrl, { query: EXPORT, variables: { format: 'CSV' } }, auditor);
    expect(exported.body.data.exportPartners).not.toContain('partner-00001');
  });

  it('imports the largest file that fits the 1 MiB body limit, audited under the token subject', async () => {
    const rows = mostRowsUnderLimit();
    // ~150-byte rows, ~185 bytes each once escaped into the request's JSON: about 5,600 partners
    // per request at the default limit.
    expect(rows).toBeGreaterThan(5_000);
    const { status, body } = await post(system.gatewayUrl, bodyOf(rows), writer);
    expect(status).toBe(200);
    expect(body).toEqual({ data: { importPartners: { applied: true, created: rows, updated: 0, errors: [] } } });
    const audit = await post(system.gatewayUrl, { query: AUDIT }, auditor);
    expect(audit.body.data.partnerAuditLog.nodes).toEqual([{ actor: 'bulk-editor', action: 'create' }]);

    const tooLarge = await post(system.gatewayUrl, bodyOf(rows + 10), writer);
    expect(tooLarge.status).toBe(413);
  });

  it('exports with the write or the audit scope, and not without either', async () => {
    for (const token of [writer, auditor]) {
      const { body } = await post(system.gatewayUrl, { query: EXPORT, variables: { format: 'JSON' } }, token);
      expect(body.errors).toBeUndefined();
      expect(body.data.exportPartners).toMatch(/^\[\n\{"id":/);
    }
    const refused = await post(system.gatewayUrl, { query: EXPORT, variables: { format: 'JSON' } }, reader);
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ path: ['exportPartners'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }),
    ]);
  });

  /**
   * One import per office through the gateway: its write scope lets it in (a token without it is
   * refused), and a row naming another office's record that office does not have is reported by row.
   */
  const OFFICE_IMPORTS = [
    {
      field: 'importAgreements',
      scope: 'agreements:write',
      header:
        'id,title,kind,scope,purpose,partyIds,threatFocusAreaIds,sectorIds,source.document,source.section,source.basis',
      good: 'gateway-declaration,Gateway Declaration,DECLARATION,BILATERAL,To cooperate.,united-states;canada,cyber-security,energy,Office register,Review,PUBLIC_KNOWLEDGE',
      bad: 'atlantis-declaration,Atlantis Declaration,DECLARATION,BILATERAL,To cooperate.,united-states;atlantis,,,Office register,Review,PUBLIC_KNOWLEDGE',
      badField: 'partyIds',
    },
    {
      field: 'importSectors',
      scope: 'sectors:write',
      header: 'id,name,agencies,source.document,source.section,source.basis',
      good: 'space-systems,Space Systems,DoD;DHS (ground stations),Office register,Review,PUBLIC_KNOWLEDGE',
      bad: 'moon-systems,Moon Systems,NASA,Office register,Review,PUBLIC_KNOWLEDGE',
      badField: 'agencies',
    },
    {
      field: 'importThreatFocusAreas',
      scope: 'threats:write',
      header:
        'id,name,description,category,origin.statement,affectedSectorIds,source.document,source.section,source.basis',
      good: 'grid-resilience,Grid resilience,To keep the grid running.,CROSS_SECTOR,Office review,energy;dams,Office register,Review,PUBLIC_KNOWLEDGE',
      bad: 'moon-base,Moon base,To test.,CROSS_SECTOR,Office review,no-such-sector,Office register,Review,PUBLIC_KNOWLEDGE',
      badField: 'affectedSectorIds',
    },
  ] as const;

  it.each(OFFICE_IMPORTS)('$field imports with $scope only, reporting unknown references by row', async (office) => {
    const query = `mutation ($content: String!) {
      ${office.field}(format: CSV, content: $content) { applied created errors { row field code } } }`;
    const importAs = (token: string, ...rows: string[]) =>
      post(system.gatewayUrl, { query, variables: { content: [office.header, ...rows].join('\n') } }, token);
    const officeWriter = await makeToken({ scopes: [office.scope], subject: 'office-editor' });

    const refused = await importAs(writer, office.good);
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ path: [office.field], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }),
    ]);
    const withBadRow = await importAs(officeWriter, office.good, office.bad);
    expect(withBadRow.body).toEqual({
      data: {
        [office.field]: {
          applied: false,
          created: 1,
          errors: [{ row: 2, field: office.badField, code: 'UNKNOWN_REFERENCE' }],
        },
      },
    });
    const good = await importAs(officeWriter, office.good);
    expect(good.body).toEqual({ data: { [office.field]: { applied: true, created: 1, errors: [] } } });
  });
});
