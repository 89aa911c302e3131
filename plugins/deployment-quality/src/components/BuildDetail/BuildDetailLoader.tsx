import { useApi } from '@backstage/core-plugin-api';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';
import { AsyncView } from '../shared/AsyncView';
import { useAutoRefresh } from '../shared/useAutoRefresh';
import { BuildDetail } from './BuildDetail';

/** Loads one attempt and shows it; an in-progress one fills in as it runs. */
export const BuildDetailLoader = ({ attemptId }: { attemptId: string }) => {
  const api = useApi(deploymentQualityApiRef);
  const state = useAutoRefresh(() => api.getBuild(attemptId), [api, attemptId]);
  return (
    <AsyncView state={state}>
      {build => <BuildDetail build={build} />}
    </AsyncView>
  );
};
