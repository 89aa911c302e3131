import {
  Content,
  Header,
  Page,
  TabbedLayout,
} from '@backstage/core-components';
import { Route, Routes } from 'react-router-dom';
import { SUB_PATHS } from '../../routes';
import { AnalyticsPage } from './AnalyticsPage';
import { BuildDetailPage } from './BuildDetailPage';
import { ClusterDetailPage } from './ClusterDetailPage';
import { ClustersOverview } from './ClustersOverview';
import { ScorecardPage } from './ScorecardPage';

/** Cluster-regions and what they lead to: one cluster, one build. */
const ClusterRoutes = () => (
  <Routes>
    <Route path="/" element={<ClustersOverview />} />
    <Route path={SUB_PATHS.cluster} element={<ClusterDetailPage />} />
    <Route path={SUB_PATHS.build} element={<BuildDetailPage />} />
  </Routes>
);

/**
 * The standalone page. Every view has its own path under the page's mount
 * point, so a reload or a shared link opens the same view.
 */
export const DeploymentQualityPage = () => (
  <Page themeId="tool">
    <Header
      title="Deployments"
      subtitle="Cluster-regions, build attempts and delivery quality"
    />
    <Content noPadding>
      <TabbedLayout>
        <TabbedLayout.Route path="/" title="Cluster-regions">
          <ClusterRoutes />
        </TabbedLayout.Route>
        <TabbedLayout.Route
          path={SUB_PATHS.analytics}
          title="Analytics & trends"
        >
          <AnalyticsPage />
        </TabbedLayout.Route>
        <TabbedLayout.Route
          path={SUB_PATHS.scorecard}
          title="Quality scorecard"
        >
          <ScorecardPage />
        </TabbedLayout.Route>
      </TabbedLayout>
    </Content>
  </Page>
);
