import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { Grid } from '@material-ui/core';
import {
  AttemptWithGates,
  LiveChange,
} from '@deployment-quality/plugin-deployment-quality-common';
import { useCallback, useRef, useState } from 'react';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';
import { AttemptQuery, AttemptsTable } from '../AttemptsTable/AttemptsTable';
import { BuildDetailDialog } from '../BuildDetail/BuildDetailDialog';
import { AsyncView } from '../shared/AsyncView';
import {
  NoDeploymentsGuidance,
  serviceIdOf,
} from '../shared/NoDeploymentsGuidance';
import { useAutoRefresh } from '../shared/useAutoRefresh';
import { useEntityRef } from '../shared/useEntityRef';
import { ClusterMatrix } from './ClusterMatrix';
import { PromotionTimeline } from './PromotionTimeline';

/** The Deployments tab of an entity page. */
export const EntityDeploymentsContent = () => {
  const { entity } = useEntity();
  const entityRef = useEntityRef();
  const api = useApi(deploymentQualityApiRef);
  const [selected, setSelected] = useState<AttemptWithGates>();

  // Reloads when a cluster-region the service runs on changes.
  const shown = useRef<string[]>([]);
  const live = useCallback(
    (change: LiveChange) =>
      change.clusters.some(id => shown.current.includes(id)),
    [],
  );
  const summary = useAutoRefresh(
    () => api.getEntitySummary(entityRef),
    [api, entityRef],
    { live },
  );
  shown.current = summary.value?.clusters.map(c => c.cluster.id) ?? [];
  const loadAttempts = useCallback(
    (query: AttemptQuery) => api.getEntityAttempts(entityRef, query),
    [api, entityRef],
  );

  return (
    <AsyncView
      state={summary}
      isEmpty={s => s.clusters.length === 0}
      empty={<NoDeploymentsGuidance serviceId={serviceIdOf(entity)} />}
    >
      {s => (
        <>
          <Grid container spacing={3}>
            <Grid item xs={12}>
              <ClusterMatrix clusters={s.clusters} />
            </Grid>
            <Grid item xs={12} xl={8}>
              <AttemptsTable
                load={loadAttempts}
                live={live}
                clusterOptions={s.clusters.map(c => ({
                  value: c.cluster.id,
                  label: c.cluster.name,
                }))}
                onSelectAttempt={setSelected}
              />
            </Grid>
            <Grid item xs={12} xl={4}>
              <PromotionTimeline entityRef={entityRef} />
            </Grid>
          </Grid>
          <BuildDetailDialog
            attempt={selected}
            onClose={() => setSelected(undefined)}
          />
        </>
      )}
    </AsyncView>
  );
};
