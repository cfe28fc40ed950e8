import { describe, expect, it } from 'vitest';
import { boundedOperationLabel, registeredOperationLabel } from './operationLabel.js';

describe('operation labels', () => {
  it('stop growing past the limit: new names count as other', () => {
    const label = boundedOperationLabel(2);
    expect(label('A')).toBe('A');
    expect(label(undefined)).toBe('anonymous');
    expect(label('B')).toBe('other');
    expect(label('A')).toBe('A');
  });
});

describe('registered operation labels', () => {
  it('are the registered names; any other name, and no name, is other', () => {
    const label = registeredOperationLabel(['PartnerProfile', 'SectorOverview']);
    expect(label('PartnerProfile')).toBe('PartnerProfile');
    expect(label('SectorOverview')).toBe('SectorOverview');
    expect(label('R123')).toBe('other');
    expect(label('partnerprofile')).toBe('other');
    expect(label(undefined)).toBe('other');
    expect(label(null)).toBe('other');
  });
});
