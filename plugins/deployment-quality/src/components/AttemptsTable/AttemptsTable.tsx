import { TableColumn } from '@backstage/core-components';
import { ResponsiveTable } from '../shared/ResponsiveTable';
import { Box, Button, Typography } from '@material-ui/core';
import {
  AttemptsPage,
  AttemptStatus,
  AttemptWithGates,
} from '@deployment-quality/plugin-deployment-quality-common';
import { useState } from 'react';
import { AttemptStatusLabel } from '../shared/AttemptStatusLabel';
import { AsyncView } from '../shared/AsyncView';
import { GatesSummary } from '../shared/GatesSummary';
import { PagingControls } from '../shared/PagingControls';
import { RelativeTime } from '../shared/RelativeTime';
import { ServiceFilter } from '../shared/ServiceFilter';
import { FilterOption, SelectFilter } from '../shared/SelectFilter';
import { duration } from '../shared/time';
import { LiveFilter, useAutoRefresh } from '../shared/useAutoRefresh';
import { ReadOptions } from '../../api/DeploymentQualityApi';
import { useCursorPaging } from '../shared/useCursorPaging';
import { STATUS_OPTIONS } from '../shared/useFilterOptions';

const PAGE_SIZE = 20;

/** One page's request, as the table's filters and paging make it. */
export type AttemptQuery = {
  clusterId?: string;
  serviceId?: string;
  status?: AttemptStatus;
  limit: number;
  cursor?: string;
};

const baseColumns = (
  onSelect?: (a: AttemptWithGates) => void,
): TableColumn<AttemptWithGates>[] => [
  {
    title: 'Build',
    field: 'buildVersion',
    render: a => (
      <>
        <Typography variant="body2">{a.buildVersion}</Typography>
        <Typography variant="caption" color="textSecondary">
          {a.gitSha.slice(0, 7)}
        </Typography>
      </>
    ),
  },
  {
    title: 'Status',
    field: 'status',
    render: a => (
      <>
        <AttemptStatusLabel status={a.status} />
        {a.failureReason && (
          <Typography variant="caption" display="block" color="textSecondary">
            {a.failureReason}
          </Typography>
        )}
        {a.rollbackToBuild && (
          <Typography variant="caption" display="block" color="textSecondary">
            rolled back to {a.rollbackToBuild}
          </Typography>
        )}
      </>
    ),
  },
  {
    title: 'Gates',
    sorting: false,
    render: a => <GatesSummary gates={a.gates} />,
  },
  ...(onSelect
    ? [
        {
          title: '',
          sorting: false,
          render: (a: AttemptWithGates) => (
            <Button
              size="small"
              variant="outlined"
              aria-label={`Details of build ${a.buildVersion} on ${a.clusterId}`}
              onClick={() => onSelect(a)}
            >
              Details
            </Button>
          ),
        },
      ]
    : []),
];

/**
 * Attempts newest first, paged by cursor, with a status filter and, when
 * their options are given, cluster-region and service filters (each adds its
 * column). `load` must be memoised: a new function reloads the table.
 */
export const AttemptsTable = ({
  load,
  clusterOptions,
  serviceFilter,
  onSelectAttempt,
  title = 'Deployment attempts',
  live,
}: {
  load: (query: AttemptQuery, read?: ReadOptions) => Promise<AttemptsPage>;
  clusterOptions?: FilterOption[];
  /** Filter by service, searched among those deployed to `clusterId`. */
  serviceFilter?: { clusterId?: string };
  onSelectAttempt?: (attempt: AttemptWithGates) => void;
  title?: string;
  /** Which live changes reload the table (see useAutoRefresh). */
  live?: LiveFilter;
}) => {
  const [clusterId, setClusterId] = useState('');
  const [serviceId, setServiceId] = useState('');
  const [status, setStatus] = useState('');
  const paging = useCursorPaging();

  const state = useAutoRefresh(
    read =>
      load(
        {
          clusterId: clusterId || undefined,
          serviceId: serviceId || undefined,
          status: (status || undefined) as AttemptStatus | undefined,
          limit: PAGE_SIZE,
          cursor: paging.cursor,
        },
        read,
      ),
    [load, clusterId, serviceId, status, paging.cursor],
    { live },
  );

  // A new filter starts again from the newest attempts.
  const filterWith = (set: (v: string) => void) => (v: string) => {
    set(v);
    paging.reset();
  };

  const columns: TableColumn<AttemptWithGates>[] = [
    {
      // How long it took and what started it beside when: two columns fewer,
      // so a laptop's 1,280 px shows every column without scrolling.
      title: 'Started',
      field: 'startedAt',
      render: a => (
        <>
          <RelativeTime iso={a.startedAt} />
          <Typography variant="caption" display="block" color="textSecondary">
            {[a.endedAt && duration(a.startedAt, a.endedAt), a.trigger]
              .filter(Boolean)
              .join(' · ')}
          </Typography>
        </>
      ),
    },
    ...(clusterOptions
      ? [{ title: 'Cluster-region', field: 'clusterId' }]
      : []),
    ...(serviceFilter ? [{ title: 'Service', field: 'serviceId' }] : []),
    ...baseColumns(onSelectAttempt),
  ];

  return (
    <Box>
      <Box display="flex" flexWrap="wrap" style={{ gap: 16 }} mb={2}>
        {clusterOptions && (
          <SelectFilter
            label="Cluster-region"
            value={clusterId}
            options={clusterOptions}
            onChange={filterWith(setClusterId)}
          />
        )}
        {serviceFilter && (
          <ServiceFilter
            value={serviceId}
            clusterId={serviceFilter.clusterId}
            onChange={filterWith(setServiceId)}
          />
        )}
        <SelectFilter
          label="Status"
          value={status}
          options={STATUS_OPTIONS}
          onChange={filterWith(setStatus)}
          minWidth={160}
        />
      </Box>
      <AsyncView state={state}>
        {page => (
          <ResponsiveTable<AttemptWithGates>
            title={title}
            columns={columns}
            data={page.attempts}
            isLoading={state.loading}
            options={{ paging: false, search: false, padding: 'dense' }}
            emptyContent={
              <Box p={2}>
                <Typography>No attempts match these filters.</Typography>
              </Box>
            }
          />
        )}
      </AsyncView>
      <PagingControls
        hasNewer={paging.hasNewer}
        nextCursor={state.value?.nextCursor}
        loading={state.loading}
        onNewer={paging.newer}
        onOlder={paging.older}
      />
    </Box>
  );
};
