import { defineSection, envDocs, envVar } from '@cip/core';
import { DEFAULT_USAGE_FILE, USAGE_SCHEMA_NAME, type UsageStoreLocation } from '@cip/schema/usage';
import { z } from 'zod';

/** How the gateway records what clients use (docs/integrating-a-partner-feed.md): off, or into a store. */
export interface UsageSettings {
  /** Where usage goes; undefined: recording is off. */
  readonly store: UsageStoreLocation | undefined;
  /** The share of requests recorded, in (0, 1]; counts are scaled back up by its inverse. */
  readonly sampleRate: number;
  /** How often what was recorded in memory is written to the store (and at shutdown). */
  readonly flushMs: number;
  /** Distinct documents whose coordinates are kept in memory; past it the least recently seen is forgotten. */
  readonly maxDocuments: number;
  /** Distinct (document, client, version, hour) counts held between flushes; past it new ones are dropped and counted. */
  readonly maxPendingCounts: number;
  /** A document longer than this is recorded without its text (it cannot be exported as a trusted document). */
  readonly maxDocumentBytes: number;
  /** Use older than this is pruned from the store. */
  readonly retentionDays: number;
}

export const usageSection = defineSection({
  shape: {
    USAGE_RECORDING: z.enum(['on', 'off']).default('on').register(envDocs, {
      description: 'record, per operation document, the schema coordinates it uses and which clients send it',
    }),
    USAGE_DATABASE_URL: z
      .url({ protocol: /^postgres(ql)?$/, error: 'expected postgres://user@host/database' })
      .optional()
      .register(envDocs, {
        description: 'PostgreSQL database every replica writes usage to',
        secret: 'url',
        shownDefault: 'unset: the file USAGE_FILE',
      }),
    USAGE_DATABASE_SCHEMA: z
      .string()
      .regex(USAGE_SCHEMA_NAME, 'expected a plain lower-case PostgreSQL schema name')
      .default('usage')
      .register(envDocs, { description: 'the PostgreSQL schema of the usage tables' }),
    USAGE_FILE: z.string().min(1).default(DEFAULT_USAGE_FILE).register(envDocs, {
      description: 'the usage file, without USAGE_DATABASE_URL (gateways on one machine may share it)',
      shownDefault: '.usage/usage.json',
    }),
    USAGE_SAMPLE_RATE: z.coerce.number().gt(0).max(1).default(1).register(envDocs, {
      description: 'the share of requests recorded, in (0, 1]; counts are scaled back up',
    }),
    USAGE_FLUSH_MS: envVar.positiveInt(10_000).register(envDocs, {
      description: 'how often recorded usage is written to the store (and at shutdown)',
    }),
    USAGE_MAX_DOCUMENTS: envVar.positiveInt(5_000).register(envDocs, {
      description: 'distinct documents whose coordinates are kept in memory (the least recently seen is forgotten)',
    }),
    USAGE_MAX_PENDING_COUNTS: envVar.positiveInt(20_000).register(envDocs, {
      description: 'distinct document-client counts held between flushes; past it new ones are dropped and counted',
    }),
    USAGE_MAX_DOCUMENT_BYTES: envVar.positiveInt(65_536).register(envDocs, {
      description: 'a longer document is recorded without its text (so it cannot be exported)',
    }),
    USAGE_RETENTION_DAYS: envVar.positiveInt(30).register(envDocs, {
      description: 'use older than this is pruned from the store',
    }),
  },
  rules: (rule) => [
    rule.onlyWhen(
      [
        'USAGE_DATABASE_URL',
        'USAGE_DATABASE_SCHEMA',
        'USAGE_FILE',
        'USAGE_SAMPLE_RATE',
        'USAGE_FLUSH_MS',
        'USAGE_MAX_DOCUMENTS',
        'USAGE_MAX_PENDING_COUNTS',
        'USAGE_MAX_DOCUMENT_BYTES',
        'USAGE_RETENTION_DAYS',
      ],
      'USAGE_RECORDING',
      ['on'],
      'usage is not recorded',
    ),
    rule.oneOf(['USAGE_DATABASE_URL', 'USAGE_FILE'], 'usage goes to PostgreSQL or to a file, not both'),
    rule.onlyWith(['USAGE_DATABASE_SCHEMA'], ['USAGE_DATABASE_URL'], 'the usage file has no schema'),
  ],
  build: (values): UsageSettings => ({
    store:
      values.USAGE_RECORDING === 'off'
        ? undefined
        : values.USAGE_DATABASE_URL
          ? { kind: 'postgres', url: values.USAGE_DATABASE_URL, schema: values.USAGE_DATABASE_SCHEMA }
          : { kind: 'file', path: values.USAGE_FILE },
    sampleRate: values.USAGE_SAMPLE_RATE,
    flushMs: values.USAGE_FLUSH_MS,
    maxDocuments: values.USAGE_MAX_DOCUMENTS,
    maxPendingCounts: values.USAGE_MAX_PENDING_COUNTS,
    maxDocumentBytes: values.USAGE_MAX_DOCUMENT_BYTES,
    retentionDays: values.USAGE_RETENTION_DAYS,
  }),
});
