import { useApi } from '@backstage/core-plugin-api';
import { getCompoundEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import { Grid } from '@material-ui/core';
import { useMemo } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';
import { AttemptsTable } from './AttemptsTable';
import { ClusterMatrix } from './ClusterMatrix';

/** The Deployments tab of an entity page. */
export const EntityDeploymentsContent = () => {
  const { entity } = useEntity();
  const entityRef = useMemo(() => getCompoundEntityRef(entity), [entity]);
  const api = useApi(deploymentQualityApiRef);
  // Cluster ids for the filter; the table works without them.
  const { value: clusters } = useAsync(() => api.getClusters(), [api]);
  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <ClusterMatrix entityRef={entityRef} />
      </Grid>
      <Grid item xs={12}>
        <AttemptsTable
          entityRef={entityRef}
          clusterIds={clusters?.clusters.map(c => c.id) ?? []}
        />
      </Grid>
    </Grid>
  );
};
