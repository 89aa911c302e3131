/**
 * The new frontend system's plugin and its extensions, where apps that
 * installed them before they became the main entry point import them.
 *
 * @packageDocumentation
 */
export { default } from './frontendPlugin';
export * from './frontendPlugin';
