import { InfoCard, TableColumn } from '@backstage/core-components';
import { Box, Typography, useTheme } from '@material-ui/core';
import {
  CostInCurrency,
  CostResponse,
  DeploymentCostChange,
} from '@deployment-quality/plugin-deployment-quality-common';
import { ReactNode } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { DefinitionTooltip } from '../charts/DefinitionTooltip';
import { formatMoney } from './format';
import { RelativeTime } from './RelativeTime';
import { ResponsiveTable } from './ResponsiveTable';
import { StatTiles } from './StatTiles';

/** "+$12.30 (+8.1 %)", "−$4.00 (−2.0 %)": what a release did to the daily bill. */
function formatChange(d: DeploymentCostChange): string {
  if (d.change === null) return '—';
  const sign = ['−', '±', '+'][Math.sign(d.change) + 1];
  const money = formatMoney(Math.abs(d.change), d.currency);
  const percent =
    d.changePercent === null ? '' : ` (${sign}${Math.abs(d.changePercent)} %)`;
  return `${sign}${money}${percent}`;
}

const PAGE = 5;

/** A short table whole; a longer one a page of five at a time. */
const pagedBeyond = (rows: number) => ({
  paging: rows > PAGE,
  pageSize: PAGE,
  pageSizeOptions: [PAGE, 20],
  search: false,
  padding: 'dense' as const,
});

const CurrencyCost = ({
  cost,
  successfulDeployments,
  breakdownTitle,
  definitions,
  renderId,
}: {
  cost: CostInCurrency;
  successfulDeployments: number;
  breakdownTitle: string;
  definitions: CostResponse['definitions'];
  renderId: (id: string) => ReactNode;
}) => {
  const { palette } = useTheme();
  const { currency } = cost;
  const meanPerDay = cost.days.length ? cost.total / cost.days.length : null;
  const estimated = cost.days.filter(d => d.estimated).length;
  return (
    <Box mb={3}>
      <StatTiles
        label={`Cost in ${currency}`}
        stats={[
          {
            label: `Total (${currency})`,
            value: formatMoney(cost.total, currency),
          },
          { label: 'Mean per day', value: formatMoney(meanPerDay, currency) },
          {
            label: 'Per successful deployment',
            value: (
              <span
                title={`${formatMoney(
                  cost.total,
                  currency,
                )} over ${successfulDeployments} successful deployments`}
              >
                {formatMoney(cost.perSuccessfulDeployment, currency)}
              </span>
            ),
          },
          { label: 'Days with figures', value: cost.days.length },
        ]}
      />
      <Box display="flex" alignItems="center" mt={2}>
        <Typography variant="subtitle2">Cost per day</Typography>
        <DefinitionTooltip label="cost per day" definition={definitions.days} />
        {estimated > 0 && (
          <Typography variant="caption" color="textSecondary">
            &nbsp;(pale bars: {estimated} estimated{' '}
            {estimated === 1 ? 'day' : 'days'}, may still change)
          </Typography>
        )}
      </Box>
      <div
        role="img"
        aria-label={`Cost per day in ${currency}: ${
          cost.days.length
        } days, total ${formatMoney(cost.total, currency)}`}
      >
        <ResponsiveContainer width="100%" height={200}>
          <BarChart data={cost.days}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="date" />
            <YAxis />
            <Tooltip
              formatter={v => formatMoney(v as number, currency)}
              labelFormatter={l => String(l)}
            />
            <Bar dataKey="amount" name="Cost" fill={palette.primary.main}>
              {cost.days.map(d => (
                <Cell key={d.date} fillOpacity={d.estimated ? 0.4 : 1} />
              ))}
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      </div>
      <Box mt={2}>
        <ResponsiveTable<CostInCurrency['breakdown'][number]>
          title={`${breakdownTitle} (${cost.breakdown.length} of ${cost.breakdownCount})`}
          options={pagedBeyond(cost.breakdown.length)}
          data={cost.breakdown}
          columns={[
            {
              title: breakdownTitle.replace(/^By /, ''),
              field: 'id',
              render: s => renderId(s.id),
            },
            {
              title: 'Cost',
              field: 'amount',
              render: s => formatMoney(s.amount, currency),
            },
            {
              title: 'Share',
              render: s =>
                cost.total
                  ? `${((s.amount / cost.total) * 100).toFixed(1)} %`
                  : '—',
            },
          ]}
        />
      </Box>
    </Box>
  );
};

/**
 * A window's cost, per currency (never converted): tiles, a bar per day,
 * the costliest clusters or services, and what each of the latest releases
 * did to its pair's daily cost.
 */
export const CostView = ({
  cost,
  breakdownTitle,
  renderId = id => id,
  renderBuild = d => d.buildVersion,
  showService = false,
}: {
  cost: CostResponse;
  /** "By cluster-region" (a service) or "By service" (a cluster-region). */
  breakdownTitle: string;
  renderId?: (id: string) => ReactNode;
  renderBuild?: (d: DeploymentCostChange) => ReactNode;
  /** List the service of each deployment (a cluster-region's page). */
  showService?: boolean;
}) => {
  const { compareDays } = cost.filter;
  const columns: TableColumn<DeploymentCostChange>[] = [
    ...(showService ? [{ title: 'Service', field: 'serviceId' } as const] : []),
    { title: 'Build', field: 'buildVersion', render: d => renderBuild(d) },
    { title: 'Cluster-region', field: 'clusterId' },
    {
      title: 'Deployed',
      field: 'deployedAt',
      render: d => <RelativeTime iso={d.deployedAt} />,
    },
    {
      title: `Per day, ${compareDays} days before`,
      render: d =>
        `${formatMoney(d.before.dailyMean, d.currency)} (${d.before.days} d)`,
    },
    {
      title: `Per day, ${compareDays} days after`,
      render: d =>
        `${formatMoney(d.after.dailyMean, d.currency)} (${d.after.days} d)${
          d.overlapped ? ' *' : ''
        }`,
    },
    { title: 'Change per day', render: d => formatChange(d) },
  ];
  return (
    <InfoCard
      title={
        <Box display="flex" alignItems="center">
          Cost
          <DefinitionTooltip
            label="cost"
            definition={`${cost.definitions.days} ${cost.definitions.perSuccessfulDeployment}`}
          />
        </Box>
      }
    >
      {cost.currencies.map(c => (
        <CurrencyCost
          key={c.currency}
          cost={c}
          successfulDeployments={cost.successfulDeployments}
          breakdownTitle={breakdownTitle}
          definitions={cost.definitions}
          renderId={renderId}
        />
      ))}
      {cost.deployments.length > 0 && (
        <ResponsiveTable<DeploymentCostChange>
          title="What releases did to the bill"
          options={pagedBeyond(cost.deployments.length)}
          data={cost.deployments}
          columns={columns}
        />
      )}
      <Box display="flex" alignItems="center">
        <Typography variant="caption" color="textSecondary">
          {cost.deployments.some(d => d.overlapped)
            ? '* another deployment of the same service and cluster-region followed within those days. '
            : ''}
          The day of a deployment is in neither side.
        </Typography>
        <DefinitionTooltip
          label="cost change after a deployment"
          definition={cost.definitions.deployments}
        />
      </Box>
    </InfoCard>
  );
};
