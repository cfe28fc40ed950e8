import { defineSection, envDocs, envVar } from '@cip/core';
import { z } from 'zod';

/** The CORS concern's options (docs/security.md, "Browsers on other origins"). */
export interface CorsSettings {
  /** Exact origins (`scheme://host[:port]`) whose pages may call `/graphql`; empty: none. */
  readonly origins: ReadonlySet<string>;
  /** Whether those pages may send cookies and HTTP authentication along (`credentials: 'include'`). */
  readonly allowCredentials: boolean;
  /** How long a browser may keep a preflight's answer. */
  readonly maxAgeSeconds: number;
}

/** An origin as a browser sends it: scheme, host and port only, no path, no trailing slash. */
const exactOrigin = (text: string): string | undefined => {
  try {
    const url = new URL(text);
    const exact = (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === text;
    // No wildcard: a pattern would let in whatever a later DNS name happens to match.
    return exact && !text.includes('*') ? text : undefined;
  } catch {
    return undefined;
  }
};

const origins = z.string().transform((text, context) => {
  const listed = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  for (const origin of listed) {
    if (exactOrigin(origin) === undefined) {
      context.addIssue({
        code: 'custom',
        message: `expected exact origins such as https://app.example.org, separated by commas; got "${origin}"`,
      });
      return z.NEVER;
    }
  }
  return new Set(listed);
});

export const corsSection = defineSection({
  shape: {
    CORS_ORIGINS: origins.optional().register(envDocs, {
      description:
        'origins whose browser pages may query `/graphql`, exact (`https://app.example.org,http://127.0.0.1:5173`), no wildcard',
      shownDefault: 'none',
    }),
    CORS_ALLOW_CREDENTIALS: envVar.flag(false).register(envDocs, {
      description: 'true lets those pages send cookies and HTTP authentication (`Access-Control-Allow-Credentials`)',
    }),
    CORS_MAX_AGE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(600).register(envDocs, {
      description: 'how long a browser may keep the answer to a preflight, 0 to 86400',
    }),
  },
  rules: (rule) => [
    rule.onlyWith(['CORS_ALLOW_CREDENTIALS', 'CORS_MAX_AGE_SECONDS'], ['CORS_ORIGINS'], 'no origin is allowed'),
  ],
  build: (values): CorsSettings => ({
    origins: values.CORS_ORIGINS ?? new Set(),
    allowCredentials: values.CORS_ALLOW_CREDENTIALS,
    maxAgeSeconds: values.CORS_MAX_AGE_SECONDS,
  }),
});
