export * from './instance-id';
export * from './read-ids';
export * from './source-error';
