export * from './campaign-metrics';
export * from './metrics-server';
