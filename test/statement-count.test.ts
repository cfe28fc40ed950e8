import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type RunningSystem } from '@cip/testing/system';

/**
 * Every read goes through per-request DataLoaders: a nested list query costs a fixed number of SQL
 * statements per office, whatever the number of rows at each level.
 */
describe('SQL statements per federated query', () => {
  let system: RunningSystem;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(() => system.stop());

  async function statementsPerSubgraph(query: string): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    const stops = Object.entries(system.stores).map(([name, db]) => {
      counts[name] = 0;
      return db.onStatement(() => {
        counts[name]! += 1;
      });
    });
    try {
      const { errors } = await system.query(query);
      expect(errors).toBeUndefined();
    } finally {
      for (const stop of stops) stop();
    }
    return counts;
  }

  const nestedQuery = (partners: number) => `{
    partners(first: ${partners}) {
      nodes {
        name
        memberOf { organization { name } }
        agreements {
          nodes {
            title
            parties { name memberOf { organization { shortName } } }
            threatFocusAreas { name affectedSectors { name dependsOn { sector { name } } } }
            sectors { name threatFocusAreas { name } agreements { totalCount } }
          }
        }
      }
    }
  }`;

  // One statement per loader level of the query, per office. (Fewer when a level is answered from
  // the request's DataLoader cache: with all 31 partners, G8 and NATO are already loaded as parties.)
  const loaderLevels = { partners: 6, agreements: 5, sectors: 3, 'threat-focus-areas': 3 };

  it.each([3, 10, 31])('costs at most one statement per loader level with %i partners at the top', async (partners) => {
    const counts = await statementsPerSubgraph(nestedQuery(partners));
    for (const [office, bound] of Object.entries(loaderLevels)) {
      expect(counts[office], office).toBeGreaterThan(0);
      expect(counts[office], office).toBeLessThanOrEqual(bound);
    }
  });
});
