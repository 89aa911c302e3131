import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { Box } from '@material-ui/core';
import { useState } from 'react';
import { DoraBenchmarkYear } from '@deployment-quality/plugin-deployment-quality-common';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';
import { AnalyticsCharts, isEmptyAnalytics } from '../charts/AnalyticsCharts';
import { AsyncView } from '../shared/AsyncView';
import { EntityCost } from './EntityCost';
import { ExternalScorecards } from './ExternalScorecards';
import { FlakyTests } from '../TestHistory/FlakyTests';
import {
  NoDeploymentsGuidance,
  serviceIdOf,
} from '../shared/NoDeploymentsGuidance';
import { SelectFilter } from '../shared/SelectFilter';
import {
  DEFAULT_WINDOW,
  describeWindow,
  TimeWindow,
  windowQuery,
} from '../shared/timeWindow';
import { TimeWindowControl } from '../shared/TimeWindowControl';
import { useAutoRefresh } from '../shared/useAutoRefresh';
import { useEntityRef } from '../shared/useEntityRef';
import { useClusterOptions } from '../shared/useFilterOptions';

/** The Quality tab of an entity page: its delivery and test trends. */
export const EntityQualityContent = () => {
  const { entity } = useEntity();
  const entityRef = useEntityRef();
  const api = useApi(deploymentQualityApiRef);
  const clusterOptions = useClusterOptions();
  const [timeWindow, setTimeWindow] = useState<TimeWindow>(DEFAULT_WINDOW);
  const [clusterId, setClusterId] = useState('');
  const [benchmark, setBenchmark] = useState<DoraBenchmarkYear>();
  const { from, to } = windowQuery(timeWindow);

  const state = useAutoRefresh(
    () =>
      api.getEntityAnalytics(entityRef, {
        from,
        to,
        clusterId: clusterId || undefined,
        benchmark,
      }),
    [api, entityRef, from, to, clusterId, benchmark],
  );

  return (
    <Box>
      <Box display="flex" flexWrap="wrap" style={{ gap: 16 }} mb={3}>
        <TimeWindowControl value={timeWindow} onChange={setTimeWindow} />
        <SelectFilter
          label="Cluster-region"
          value={clusterId}
          options={clusterOptions}
          onChange={setClusterId}
        />
      </Box>
      <AsyncView
        state={state}
        isEmpty={isEmptyAnalytics}
        empty={
          <NoDeploymentsGuidance
            serviceId={serviceIdOf(entity)}
            title={`Nothing reported in the ${describeWindow(timeWindow)}`}
          />
        }
      >
        {analytics => (
          <AnalyticsCharts
            analytics={analytics}
            onBenchmarkChange={setBenchmark}
          />
        )}
      </AsyncView>
      <Box mt={3}>
        <FlakyTests from={from} to={to} />
      </Box>
      <Box mt={3}>
        <ExternalScorecards />
      </Box>
      <Box mt={3}>
        <EntityCost from={from} to={to} />
      </Box>
    </Box>
  );
};
