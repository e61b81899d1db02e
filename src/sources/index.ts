export * from './read-ids';
export * from './source-error';
export * from './fingerprint';
export * from './fleet-selection';
export * from './fleet-listing';
export * from './limits';
