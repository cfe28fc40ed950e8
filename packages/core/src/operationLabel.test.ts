import { describe, expect, it } from 'vitest';
import { boundedOperationLabel } from './operationLabel.js';

describe('operation labels', () => {
  it('stop growing past the limit: new names count as other', () => {
    const label = boundedOperationLabel(2);
    expect(label('A')).toBe('A');
    expect(label(undefined)).toBe('anonymous');
    expect(label('B')).toBe('other');
    expect(label('A')).toBe('A');
  });
});
