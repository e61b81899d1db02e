import { z } from 'zod';
import type { AccountScope } from './account';
import { KoophoneClient, DEFAULT_TIMEOUT_MS } from './client';
import { Secret } from './secret';
import { IamPasswordTokenProvider, StaticTokenProvider } from './token-provider';
import type { TokenProvider } from './token-provider';
import { hasUrlCredentials, redactUrlCredentials } from './url-credentials';

export const DEFAULT_KOOPHONE_ENDPOINT = 'https://koophone.myhuaweicloud.com';
export const DEFAULT_IAM_ENDPOINT = 'https://iam.myhuaweicloud.com';

export type KoophoneAuthConfig =
  | {
      kind: 'static';
      token: Secret;
      /** The token's account, declared (it cannot be read from the token): see account.ts. */
      domainName?: string;
      projectName?: string;
      projectId?: string;
    }
  | {
      kind: 'iam';
      iamEndpoint: string;
      username: string;
      password: Secret;
      domainName: string;
      projectName?: string;
      projectId?: string;
    };

export interface KoophoneConfig {
  endpoint: string;
  timeoutMs: number;
  auth: KoophoneAuthConfig;
}

const SECRET_VARIABLES: ReadonlySet<string> = new Set(['KOOPHONE_TOKEN', 'KOOPHONE_IAM_PASSWORD']);

/** An unset or blank variable is absent: shells and .env files leave empty strings behind. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    schema.optional(),
  );

// Credentials in a URL end up in logs and workflow history (`check` records the endpoint);
// the token and password have their own variables, which are kept secret.
const httpUrl = z
  .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
  .refine(
    (url) => !hasUrlCredentials(url),
    'must not carry credentials (user:password@): give them in KOOPHONE_TOKEN or KOOPHONE_IAM_USERNAME/KOOPHONE_IAM_PASSWORD',
  );

export const koophoneEnvSchema = z.object({
  KOOPHONE_ENDPOINT: optional(httpUrl),
  KOOPHONE_TIMEOUT_MS: optional(
    z.coerce.number({ error: 'expected a number of milliseconds' }).int().positive().max(600_000),
  ),
  KOOPHONE_TOKEN: optional(z.string()),
  KOOPHONE_IAM_ENDPOINT: optional(httpUrl),
  KOOPHONE_IAM_USERNAME: optional(z.string()),
  KOOPHONE_IAM_PASSWORD: optional(z.string()),
  KOOPHONE_IAM_DOMAIN: optional(z.string()),
  KOOPHONE_IAM_PROJECT: optional(z.string()),
  KOOPHONE_IAM_PROJECT_ID: optional(z.string()),
});

type EnvName = keyof typeof koophoneEnvSchema.shape;
const IAM_REQUIRED = ['KOOPHONE_IAM_USERNAME', 'KOOPHONE_IAM_PASSWORD', 'KOOPHONE_IAM_DOMAIN'] as const;

/** Which credentials are missing or contradictory; checked apart from the schema so every problem is reported at once. */
function authProblems(env: Record<string, string | undefined>): string[] {
  const present = (name: EnvName): boolean => (env[name] ?? '').trim() !== '';
  const problems: string[] = [];
  // With a static token too: the project names the token's account (see account.ts).
  if (present('KOOPHONE_IAM_PROJECT') && present('KOOPHONE_IAM_PROJECT_ID')) {
    problems.push(
      '  - KOOPHONE_IAM_PROJECT_ID: set KOOPHONE_IAM_PROJECT or KOOPHONE_IAM_PROJECT_ID, not both',
    );
  }
  if (present('KOOPHONE_TOKEN')) return problems;
  const missing = IAM_REQUIRED.filter((name) => !present(name));
  if (missing.length > 0) {
    problems.unshift(
      `  - ${missing.join(', ')}: set KOOPHONE_TOKEN, or all of ${IAM_REQUIRED.join(', ')} (missing: ${missing.join(', ')})`,
    );
  }
  return problems;
}

/**
 * Reads the client's settings from the environment, once, at the edge. A static token wins over
 * IAM settings. Every bad variable is listed in one error; secret values are never echoed.
 */
export function loadKoophoneConfig(env: NodeJS.ProcessEnv = process.env): KoophoneConfig {
  const picked = Object.fromEntries(Object.keys(koophoneEnvSchema.shape).map((name) => [name, env[name]]));
  const parsed = koophoneEnvSchema.safeParse(picked);
  const lines = (parsed.success ? [] : parsed.error.issues).map((issue) => {
    const name = String(issue.path[0] ?? 'environment');
    const value = picked[name];
    const shown =
      SECRET_VARIABLES.has(name) || value === undefined
        ? ''
        : ` (got ${JSON.stringify(redactUrlCredentials(value))})`;
    return `  - ${name}: ${issue.message}${shown}`;
  });
  lines.push(...authProblems(picked));
  if (!parsed.success || lines.length > 0) {
    throw new Error(`Invalid KooPhone configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const project = {
    ...(e.KOOPHONE_IAM_PROJECT === undefined ? {} : { projectName: e.KOOPHONE_IAM_PROJECT }),
    ...(e.KOOPHONE_IAM_PROJECT_ID === undefined ? {} : { projectId: e.KOOPHONE_IAM_PROJECT_ID }),
  };
  const auth: KoophoneAuthConfig =
    e.KOOPHONE_TOKEN !== undefined
      ? {
          kind: 'static',
          token: new Secret(e.KOOPHONE_TOKEN),
          // Not used to sign in: they name the token's account, when given.
          ...(e.KOOPHONE_IAM_DOMAIN === undefined ? {} : { domainName: e.KOOPHONE_IAM_DOMAIN }),
          ...project,
        }
      : {
          kind: 'iam',
          iamEndpoint: e.KOOPHONE_IAM_ENDPOINT ?? DEFAULT_IAM_ENDPOINT,
          // The refinement guarantees these three when there is no token.
          username: e.KOOPHONE_IAM_USERNAME ?? '',
          password: new Secret(e.KOOPHONE_IAM_PASSWORD ?? ''),
          domainName: e.KOOPHONE_IAM_DOMAIN ?? '',
          ...project,
        };
  return {
    endpoint: e.KOOPHONE_ENDPOINT ?? DEFAULT_KOOPHONE_ENDPOINT,
    timeoutMs: e.KOOPHONE_TIMEOUT_MS ?? DEFAULT_TIMEOUT_MS,
    auth,
  };
}

/** The account a static token's settings declare (KOOPHONE_IAM_DOMAIN / _PROJECT / _PROJECT_ID). */
function declaredScope(auth: Extract<KoophoneAuthConfig, { kind: 'static' }>): AccountScope | undefined {
  const project =
    auth.projectId !== undefined
      ? { id: auth.projectId }
      : auth.projectName !== undefined
        ? { name: auth.projectName }
        : undefined;
  if (auth.domainName === undefined && project === undefined) return undefined;
  return {
    ...(auth.domainName !== undefined ? { domain: auth.domainName } : {}),
    ...(project ? { project } : {}),
  };
}

export function createTokenProvider(auth: KoophoneAuthConfig, fetchImpl?: typeof fetch): TokenProvider {
  if (auth.kind === 'static') return new StaticTokenProvider(auth.token.reveal(), declaredScope(auth));
  return new IamPasswordTokenProvider({
    iamEndpoint: auth.iamEndpoint,
    username: auth.username,
    password: auth.password.reveal(),
    domainName: auth.domainName,
    projectName: auth.projectName,
    projectId: auth.projectId,
    fetch: fetchImpl,
  });
}

export function createKoophoneClient(
  config: KoophoneConfig,
  overrides: { fetch?: typeof fetch } = {},
): KoophoneClient {
  return new KoophoneClient({
    endpoint: config.endpoint,
    timeoutMs: config.timeoutMs,
    tokenProvider: createTokenProvider(config.auth, overrides.fetch),
    fetch: overrides.fetch,
  });
}
