export * from './duration';
export * from './options';
export * from './outcome';
export * from './status';
export * from './work-item';
export * from './describe';
export * from './safety';
export * from './campaign-id';
