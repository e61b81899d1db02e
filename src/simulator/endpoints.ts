export const API_ENDPOINTS = ['batchReset', 'getTask', 'listInstances', 'queryStatus'] as const;
export type ApiEndpoint = (typeof API_ENDPOINTS)[number];

export const FAULT_KINDS = [
  'throttled',
  'drop',
  'fault5xx',
  'fault9999',
  'http200Error',
  'malformed',
  'lostResponse',
  'missingJob',
  'injected',
  'appliedBadGateway',
  'applied9999',
  'applied9999Http200',
  'appliedTruncated',
  'appliedMissingJob',
  'foreignJob',
  'duplicateJob',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
