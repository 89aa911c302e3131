/**
 * Node library for the Deployment & Quality backend: the extension point
 * through which backend modules add source adapters (native CI/CD webhook
 * formats turned into the plugin's own events).
 *
 * @packageDocumentation
 */
export * from './sources';
