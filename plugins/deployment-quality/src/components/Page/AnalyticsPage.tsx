import { EmptyState } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { Box } from '@material-ui/core';
import { useState } from 'react';
import { DoraBenchmarkYear } from '@deployment-quality/plugin-deployment-quality-common';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';
import { AnalyticsCharts, isEmptyAnalytics } from '../charts/AnalyticsCharts';
import { AsyncView } from '../shared/AsyncView';
import { SelectFilter } from '../shared/SelectFilter';
import {
  DEFAULT_WINDOW,
  describeWindow,
  TimeWindow,
  windowQuery,
} from '../shared/timeWindow';
import { TimeWindowControl } from '../shared/TimeWindowControl';
import { useAutoRefresh } from '../shared/useAutoRefresh';
import { ServiceFilter } from '../shared/ServiceFilter';
import { FailureSignatures } from '../TestHistory/FailureSignatures';
import { useClusterOptions } from '../shared/useFilterOptions';

/** The Quality tab's charts across every service, filterable. */
export const AnalyticsPage = () => {
  const api = useApi(deploymentQualityApiRef);
  const clusterOptions = useClusterOptions();
  const [timeWindow, setTimeWindow] = useState<TimeWindow>(DEFAULT_WINDOW);
  const [serviceId, setServiceId] = useState('');
  const [clusterId, setClusterId] = useState('');
  const [benchmark, setBenchmark] = useState<DoraBenchmarkYear>();
  const { from, to } = windowQuery(timeWindow);

  const state = useAutoRefresh(
    () =>
      api.getAnalytics({
        from,
        to,
        serviceId: serviceId || undefined,
        clusterId: clusterId || undefined,
        benchmark,
      }),
    [api, from, to, serviceId, clusterId, benchmark],
  );

  return (
    <Box>
      <Box display="flex" flexWrap="wrap" style={{ gap: 16 }} mb={3}>
        <TimeWindowControl value={timeWindow} onChange={setTimeWindow} />
        <ServiceFilter value={serviceId} onChange={setServiceId} />
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
          <EmptyState
            missing="data"
            title={`Nothing reported in the ${describeWindow(timeWindow)}`}
            description="No attempts or test runs match these filters. Try a longer window or fewer filters."
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
      <FailureSignatures from={from} to={to} />
    </Box>
  );
};
