import { useRouteRef } from '@backstage/core-plugin-api';
import { buildRouteRef, clusterRouteRef } from '../../routes';

/**
 * Paths to the page's cluster and build views. Ids go through
 * encodeURIComponent: attempt ids hold `:` and versions may hold `+`, and the
 * router decodes them back.
 */
export function usePageLinks() {
  const cluster = useRouteRef(clusterRouteRef);
  const build = useRouteRef(buildRouteRef);
  return {
    cluster: (clusterId: string) =>
      cluster({ clusterId: encodeURIComponent(clusterId) }),
    build: (attemptId: string) =>
      build({ attemptId: encodeURIComponent(attemptId) }),
  };
}
