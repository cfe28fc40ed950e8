import { describe, expect, it } from 'vitest';
import { formatGatewayError } from './errorFormatting.js';

const fromSubgraph = {
  message: 'relation "sectors.sector" does not exist',
  path: ['sector'],
  extensions: {
    code: 'INTERNAL_SERVER_ERROR',
    serviceName: 'sectors',
    stacktrace: ['at query (db.ts:1)'],
    response: { body: 'SELECT' },
  },
};

describe('formatGatewayError', () => {
  it('names the subgraph as extensions.subgraph', () => {
    const formatted = formatGatewayError('development')({
      message: 'bad',
      extensions: { code: 'BAD_USER_INPUT', serviceName: 'partners' },
    });
    expect(formatted).toEqual({ message: 'bad', extensions: { code: 'BAD_USER_INPUT', subgraph: 'partners' } });
  });

  it('gives an uncoded subgraph error the SUBGRAPH_ERROR code', () => {
    const formatted = formatGatewayError('development')({
      message: 'x',
      extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'agreements' },
    });
    expect(formatted.extensions).toEqual({ code: 'SUBGRAPH_ERROR', subgraph: 'agreements' });
  });

  it('in production hides internal messages, stack traces and raw responses', () => {
    expect(formatGatewayError('production')(fromSubgraph)).toEqual({
      message: 'Internal server error in the sectors subgraph.',
      path: ['sector'],
      extensions: { code: 'INTERNAL_SERVER_ERROR', subgraph: 'sectors' },
    });
    expect(formatGatewayError('production')({ message: 'boom at db.ts', extensions: { stacktrace: ['x'] } })).toEqual({
      message: 'Internal server error.',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  });

  it('in development keeps what helps debugging, stack traces only when asked for (ERROR_STACK_TRACES)', () => {
    const plain = formatGatewayError('development')(fromSubgraph).extensions;
    expect(plain).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', subgraph: 'sectors', response: { body: 'SELECT' } });
    expect(plain).not.toHaveProperty('stacktrace');
    const own = formatGatewayError('development')({
      message: 'x',
      path: ['a'],
      extensions: { code: 'X', stacktrace: ['at'] },
    });
    expect(own).toEqual({ message: 'x', path: ['a'], extensions: { code: 'X' } });
    expect(formatGatewayError('development', true)(fromSubgraph).extensions).toMatchObject({
      subgraph: 'sectors',
      stacktrace: ['at query (db.ts:1)'],
    });
  });
});
