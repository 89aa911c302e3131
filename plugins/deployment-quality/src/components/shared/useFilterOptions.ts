import { useApi } from '@backstage/core-plugin-api';
import { ATTEMPT_STATUSES } from '@deployment-quality/plugin-deployment-quality-common';
import useAsync from 'react-use/esm/useAsync';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';
import { FilterOption } from './SelectFilter';

export const STATUS_OPTIONS: FilterOption[] = ATTEMPT_STATUSES.map(s => ({
  value: s,
  label: s,
}));

/**
 * Cluster-regions to filter by. A failure leaves the list empty: the view
 * still works unfiltered, and its own request reports the error.
 */
export function useClusterOptions(): FilterOption[] {
  const api = useApi(deploymentQualityApiRef);
  const { value } = useAsync(() => api.getClusters(), [api]);
  return (value?.clusters ?? []).map(c => ({ value: c.id, label: c.name }));
}
