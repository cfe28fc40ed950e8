import { defineSection, envDocs } from '@cip/core';
import { z } from 'zod';
import type { AccessMode } from './explorerAccess.js';

/** The explorer concern's options (docs/explorer.md); unset modes depend on NODE_ENV (explorerAccess.ts). */
export interface ExplorerSettings {
  readonly explorer: AccessMode | undefined;
  readonly queryPlans: AccessMode | undefined;
  /** The built explorer; undefined: the `dist/` folder of the @cip/explorer package. */
  readonly distDir: string | undefined;
}

const accessMode = () => z.enum(['on', 'off', 'analysts']).optional();

export const explorerSection = defineSection({
  shape: {
    EXPLORER: accessMode().register(envDocs, {
      description: 'the explorer at `/`: `on`, `off` or `analysts`',
      shownDefault: '`on`; `off` when NODE_ENV=production',
    }),
    QUERY_PLANS: accessMode().register(envDocs, {
      description: 'query plans on request (`query-plan: include`): `on`, `off` or `analysts`',
      shownDefault: '`on`; `analysts` when NODE_ENV=production',
    }),
    EXPLORER_DIST_DIR: z.string().min(1).optional().register(envDocs, {
      description: 'where the built explorer is',
      shownDefault: 'packages/explorer/dist',
    }),
  },
  build: (values): ExplorerSettings => ({
    explorer: values.EXPLORER,
    queryPlans: values.QUERY_PLANS,
    distDir: values.EXPLORER_DIST_DIR,
  }),
});
