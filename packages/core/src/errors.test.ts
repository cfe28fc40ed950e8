import { HeaderMap } from '@apollo/server';
import { describe, expect, it } from 'vitest';
import { errorCodes, refusal, type ErrorCode } from './errors.js';

describe('refusal', () => {
  it.each(Object.keys(errorCodes) as ErrorCode[])('answers %s with the status the registry gives it', (code) => {
    const error = refusal(code, 'no');
    expect(error.extensions).toEqual({ code, http: { status: errorCodes[code].status } });
  });

  it('keeps the extensions and headers it is given', () => {
    const headers = new HeaderMap([['www-authenticate', 'Bearer']]);
    const error = refusal('MAX_DEPTH_EXCEEDED', 'too deep', { extensions: { limit: 12 }, headers });
    expect(error.message).toBe('too deep');
    expect(error.extensions).toEqual({ limit: 12, code: 'MAX_DEPTH_EXCEEDED', http: { status: 400, headers } });
  });
});
