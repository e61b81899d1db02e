// Pure (no imports), so workflow code may compare codes too.

/** Codes the client produces itself, next to the service's `KOOPHONE.API.*` and gateway `APIGW.*` codes. */
export const CLIENT_ERROR_CODES = {
  network: 'NETWORK',
  timeout: 'TIMEOUT',
  badResponse: 'BAD_RESPONSE',
  invalidInput: 'INVALID_INPUT',
} as const;

/** Canonical (upper-case) spellings; the service also writes `KooPhone.API.*` — compare with sameCode. */
export const KOOPHONE_CODES = {
  tenantNotFound: 'KOOPHONE.API.0000',
  missingRequestId: 'KOOPHONE.API.0002',
  invalidParameters: 'KOOPHONE.API.1000',
  noPermission: 'KOOPHONE.API.1001',
  mixedRegions: 'KOOPHONE.API.1002',
  notSubscribed: 'KOOPHONE.API.1004',
  notInTenant: 'KOOPHONE.API.1012',
  frozen: 'KOOPHONE.API.2004',
  recovering: 'KOOPHONE.API.2005',
  backingUp: 'KOOPHONE.API.2006',
  internalError: 'KOOPHONE.API.9999',
  requestTooLarge: 'APIGW.0201',
  tokenInvalid: 'APIGW.0301',
  tokenExpired: 'APIGW.0307',
  throttled: 'APIGW.0308',
} as const;

/**
 * The form codes are compared in. Huawei's own pages spell the same code `KooPhone.API.2005` and
 * `KOOPHONE.API.2005`; reports keep what the service sent, comparisons use this.
 */
export function normalizeCode(code: string): string {
  return code.trim().toUpperCase();
}

export function sameCode(a: string, b: string): boolean {
  return normalizeCode(a) === normalizeCode(b);
}
