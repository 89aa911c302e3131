import { useApi } from '@backstage/core-plugin-api';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';
import { AsyncView } from '../shared/AsyncView';
import { CostView } from '../shared/CostView';
import { useAutoRefresh } from '../shared/useAutoRefresh';
import { useEntityRef } from '../shared/useEntityRef';

/**
 * What the service cost in the tab's window, per cluster-region and per
 * successful deployment, and what each of its latest releases did to the
 * daily bill. Nothing is shown until a cost figure arrives.
 */
export const EntityCost = ({ from, to }: { from?: string; to?: string }) => {
  const api = useApi(deploymentQualityApiRef);
  const entityRef = useEntityRef();
  const state = useAutoRefresh(
    () => api.getEntityCost(entityRef, { from, to }),
    [api, entityRef, from, to],
  );
  return (
    <AsyncView
      state={state}
      isEmpty={v => v.currencies.length === 0}
      empty={null}
    >
      {cost => <CostView cost={cost} breakdownTitle="By cluster-region" />}
    </AsyncView>
  );
};
