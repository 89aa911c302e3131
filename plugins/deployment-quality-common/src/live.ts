/**
 * The signals channel on which the backend says which cluster-regions just
 * got new attempts or test runs; the message is {@link LiveChange}.
 * @public
 */
export const LIVE_CHANNEL = 'deployment-quality:changes';

/**
 * One live-update signal: cluster ids only, since it goes to every user.
 * @public
 */
export type LiveChange = { clusters: string[] };
