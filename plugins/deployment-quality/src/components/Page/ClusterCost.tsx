import { Link } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';
import { AsyncView } from '../shared/AsyncView';
import { CostView } from '../shared/CostView';
import { useAutoRefresh } from '../shared/useAutoRefresh';
import { usePageLinks } from './links';

/**
 * What the cluster-region's services cost over the last 30 days (only the
 * services the viewer may see are counted). Nothing is shown until a cost
 * figure arrives.
 */
export const ClusterCost = ({ clusterId }: { clusterId: string }) => {
  const api = useApi(deploymentQualityApiRef);
  const links = usePageLinks();
  const state = useAutoRefresh(
    () => api.getClusterCost(clusterId),
    [api, clusterId],
  );
  return (
    <AsyncView
      state={state}
      isEmpty={v => v.currencies.length === 0}
      empty={null}
    >
      {cost => (
        <CostView
          cost={cost}
          breakdownTitle="By service"
          showService
          renderBuild={d => (
            <Link
              to={links.build(d.attemptId)}
              aria-label={`Build ${d.buildVersion} of ${d.serviceId}: its cost`}
            >
              {d.buildVersion}
            </Link>
          )}
        />
      )}
    </AsyncView>
  );
};
