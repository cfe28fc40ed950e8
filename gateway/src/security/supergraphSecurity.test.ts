import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { SUPERGRAPH_FILE } from '@cip/schema';
import { describe, expect, it } from 'vitest';
import { secureSupergraph } from './supergraphSecurity.js';

const committed = readFileSync(SUPERGRAPH_FILE, 'utf8');

async function loads(supergraphSdl: string): Promise<void> {
  const gateway = new ApolloGateway({ supergraphSdl });
  try {
    await gateway.load();
  } finally {
    await gateway.stop();
  }
}

describe('the supergraph and its security rules', () => {
  it('the committed supergraph still carries @authenticated and @requiresScopes (Router or Hive Gateway would enforce them)', () => {
    expect(committed).toContain('@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)');
    expect(committed).toContain('@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)');
    expect(committed).toMatch(/pointsOfContact: \[PointOfContact!\] .*@authenticated/);
    expect(committed).toMatch(/email: String! @requiresScopes\(scopes: \[\["partners:restricted"\]\]\)/);
  });

  it('@apollo/gateway refuses it as it is, and loads it once the rules are taken out', async () => {
    await expect(loads(committed)).rejects.toThrow(/SECURITY/);
    const { supergraphSdl } = secureSupergraph(committed);
    expect(supergraphSdl).not.toMatch(/requiresScopes|@authenticated/);
    await expect(loads(supergraphSdl)).resolves.toBeUndefined();
  });

  it('reads every rule, by type and field coordinate', () => {
    const { policy } = secureSupergraph(committed);
    const fields = Object.fromEntries(policy.fields);
    const writes = Object.entries(fields).filter(([coordinate]) => coordinate.startsWith('Mutation.'));
    const auditLogs = Object.entries(fields).filter(([coordinate]) => /^Query\.\w+AuditLog$/.test(coordinate));
    // Every write needs its office's write scope, every audit log its office's audit scope.
    expect(writes.length).toBeGreaterThan(0);
    for (const [coordinate, rule] of writes) {
      expect(rule, coordinate).toMatchObject({
        authenticated: false,
        anyOfScopeSets: [[[expect.stringMatching(/:write$/)]]],
      });
    }
    expect(auditLogs.length).toBe(4);
    for (const [coordinate, rule] of auditLogs) {
      expect(rule, coordinate).toMatchObject({
        authenticated: false,
        anyOfScopeSets: [[[expect.stringMatching(/:audit$/)]]],
      });
    }
    const reads = Object.fromEntries(
      Object.entries(fields).filter(
        ([coordinate]) => !writes.some(([w]) => w === coordinate) && !auditLogs.some(([a]) => a === coordinate),
      ),
    );
    expect(reads).toEqual({
      'Partner.pointsOfContact': { authenticated: true, anyOfScopeSets: [] },
      'PointOfContact.email': { authenticated: false, anyOfScopeSets: [[['partners:restricted']]] },
      'Agreement.internalNotes': { authenticated: false, anyOfScopeSets: [[['agreements:restricted']]] },
      'Agreement.negotiationStatus': { authenticated: false, anyOfScopeSets: [[['agreements:restricted']]] },
      'ThreatFocusArea.assessment': {
        authenticated: false,
        anyOfScopeSets: [[['threats:restricted'], ['analyst']]],
      },
      'Query.exportPartners': { authenticated: false, anyOfScopeSets: [[['partners:write'], ['partners:audit']]] },
      'Query.exportAgreements': {
        authenticated: false,
        anyOfScopeSets: [[['agreements:write'], ['agreements:audit']]],
      },
      'Query.exportSectors': { authenticated: false, anyOfScopeSets: [[['sectors:write'], ['sectors:audit']]] },
      'Query.exportThreatFocusAreas': {
        authenticated: false,
        anyOfScopeSets: [[['threats:write'], ['threats:audit']]],
      },
    });
    expect(policy.types.size).toBe(0);
  });

  it('reads the cost hints the offices declared with @cost and @listSize, and keeps them in the supergraph it loads', () => {
    const { policy, supergraphSdl } = secureSupergraph(committed);
    expect(policy.costs.get('Sector.cascade')).toEqual({ weight: 5, assumedSize: 17 });
    expect(supergraphSdl).toContain('@listSize(assumedSize: 17)');
  });

  it('a supergraph without security links passes through untouched', () => {
    const plain = 'schema @link(url: "https://specs.apollo.dev/link/v1.0") { query: Query }\ntype Query { a: Int }';
    expect(secureSupergraph(plain)).toEqual({
      policy: { types: new Map(), fields: new Map(), costs: new Map() },
      supergraphSdl: plain,
    });
  });
});
