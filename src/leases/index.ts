export * from './liveness';
export * from './overlap';
