// Pure: which KooPhone account a worker's settings talk to, from what is not secret.

/**
 * The tenant and project the worker's tokens are for, as configured: IAM's domain and scope, or
 * what an operator declared beside a static token (KOOPHONE_IAM_DOMAIN / _PROJECT / _PROJECT_ID).
 */
export interface AccountScope {
  domain?: string;
  project?: { name: string } | { id: string };
}

/**
 * Which KooPhone account a campaign talks to (docs/design.md, "One campaign, one KooPhone account"):
 * the endpoint and the tenant (IAM domain) and project, as configured. Never a secret, nor derived
 * from one: a static token's hash would change at every token rotation (a rolling restart that
 * must not stop a campaign) and is still derived from a secret. A static token without a declared
 * domain is known by its endpoint only.
 */
export interface KoophoneAccount {
  /** Compared between workers, and shown: "https://koophone.myhuaweicloud.com domain acme project cn-north-4". */
  id: string;
}

/**
 * The account of `endpoint` and `scope`. The endpoint is compared as a URL (case of the host, a
 * default port or a trailing slash make no difference); domain and project as given (give every
 * worker of a campaign the same form: a project's name or its id, not one of each).
 */
export function koophoneAccount(endpoint: string, scope: AccountScope = {}): KoophoneAccount {
  const parts = [canonicalEndpoint(endpoint)];
  if (scope.domain !== undefined) parts.push(`domain ${scope.domain}`);
  if (scope.project !== undefined)
    parts.push('name' in scope.project ? `project ${scope.project.name}` : `project id ${scope.project.id}`);
  return { id: parts.join(' ') };
}

export function sameAccount(a: KoophoneAccount, b: KoophoneAccount): boolean {
  return a.id === b.id;
}

function canonicalEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    // No credentials ever reach here (the config and the client refuse them); dropped all the same.
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return endpoint.replace(/\/+$/, '');
  }
}
