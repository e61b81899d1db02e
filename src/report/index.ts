export * from './campaign-store';
export * from './folder-store';
export * from './postgres-store';
export * from './create-store';
export * from './report-root';
export * from './store-identity';
export * from './rebuild-terminated';
export * from './terminated-lines';
