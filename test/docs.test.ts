import { readFile } from 'node:fs/promises';
import { errorCodes } from '@cip/core';
import { describe, expect, it } from 'vitest';

describe('README', () => {
  it('lists every error code of the registry', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const missing = Object.keys(errorCodes).filter((code) => !readme.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });
});
