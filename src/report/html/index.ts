export * from './aggregate';
export * from './escape';
export * from './render-html-report';
export * from './summary';
export * from './svg-charts';
