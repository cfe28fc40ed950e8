import { describe, expect, it } from 'vitest';
import { cascadeFrom, parseMaxHops } from './sectors.js';

// a -> b means "b depends on a": a disruption in a reaches b.
const graph = new Map<string, string[]>([
  ['a', ['b', 'c']],
  ['b', ['d']],
  ['c', ['d', 'e']],
  ['d', ['a', 'f']],
  ['e', ['f']],
  ['f', ['g']],
]);

describe('cascadeFrom', () => {
  it('records each sector once, at its fewest hops, with the shortest path found first in id order', () => {
    expect(cascadeFrom('a', 10, graph)).toEqual([
      { sectorId: 'b', hops: 1, path: ['a', 'b'] },
      { sectorId: 'c', hops: 1, path: ['a', 'c'] },
      { sectorId: 'd', hops: 2, path: ['a', 'b', 'd'] },
      { sectorId: 'e', hops: 2, path: ['a', 'c', 'e'] },
      { sectorId: 'f', hops: 3, path: ['a', 'b', 'd', 'f'] },
      { sectorId: 'g', hops: 4, path: ['a', 'b', 'd', 'f', 'g'] },
    ]);
  });

  it('stops at maxHops', () => {
    expect(cascadeFrom('a', 2, graph).map((step) => step.sectorId)).toEqual(['b', 'c', 'd', 'e']);
  });

  it('follows a cycle back to the start without listing the start', () => {
    expect(cascadeFrom('d', 10, graph).map((step) => [step.sectorId, step.hops])).toEqual([
      ['a', 1],
      ['f', 1],
      ['b', 2],
      ['c', 2],
      ['g', 2],
      ['e', 3],
    ]);
  });

  it('reaches nothing from a sector nothing depends on, or one it does not know', () => {
    expect(cascadeFrom('g', 10, graph)).toEqual([]);
    expect(cascadeFrom('unknown', 10, graph)).toEqual([]);
  });
});

describe('parseMaxHops', () => {
  it.each([1, 3, 10])('accepts %i', (maxHops) => expect(parseMaxHops(maxHops)).toBe(maxHops));

  it('reads null as the default of three hops', () => expect(parseMaxHops(null)).toBe(3));

  it.each([0, 11, -3, 2.5])('refuses %d, naming the argument', (maxHops) => {
    expect(() => parseMaxHops(maxHops)).toThrow(
      expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', argument: 'maxHops' } }),
    );
  });
});
