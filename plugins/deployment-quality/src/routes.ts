import { createRouteRef, createSubRouteRef } from '@backstage/core-plugin-api';

/** The standalone page. @public */
export const rootRouteRef = createRouteRef({ id: 'deployment-quality' });

// The page's views. The paths are also the page's <Route> paths, so a link
// and the route it opens can't drift apart.
export const SUB_PATHS = {
  cluster: '/clusters/:clusterId',
  build: '/builds/:attemptId',
  analytics: '/analytics',
  scorecard: '/scorecard',
} as const;

/** One cluster-region's detail. @public */
export const clusterRouteRef = createSubRouteRef({
  id: 'deployment-quality/cluster',
  parent: rootRouteRef,
  path: SUB_PATHS.cluster,
});

/** One build attempt with its test runs. @public */
export const buildRouteRef = createSubRouteRef({
  id: 'deployment-quality/build',
  parent: rootRouteRef,
  path: SUB_PATHS.build,
});

/** Analytics & trends. @public */
export const analyticsRouteRef = createSubRouteRef({
  id: 'deployment-quality/analytics',
  parent: rootRouteRef,
  path: SUB_PATHS.analytics,
});

/** The quality scorecard. @public */
export const scorecardRouteRef = createSubRouteRef({
  id: 'deployment-quality/scorecard',
  parent: rootRouteRef,
  path: SUB_PATHS.scorecard,
});
