/**
 * The Deployment & Quality contract: event schemas and validators, API answer
 * types, shared by the backend, the frontend and the tests.
 *
 * @packageDocumentation
 */
export * from './bounds';
export * from './events';
export * from './api';
export * from './queries';
export * from './analytics';
export * from './permissions';
export * from './scorecard';
export * from './rollup';
export * from './live';
export * from './cost';
export * from './testCases';
