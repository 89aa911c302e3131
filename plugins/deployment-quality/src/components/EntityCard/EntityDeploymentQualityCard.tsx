import { InfoCard } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  Box,
  List,
  ListItem,
  ListItemText,
  Typography,
} from '@material-ui/core';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';
import { AsyncView } from '../shared/AsyncView';
import { AttemptStatusLabel } from '../shared/AttemptStatusLabel';
import { serviceIdOf } from '../shared/NoDeploymentsGuidance';
import { RelativeTime } from '../shared/RelativeTime';
import { useAutoRefresh } from '../shared/useAutoRefresh';
import { useEntityRef } from '../shared/useEntityRef';

/** The entity overview's glance: what runs where, and how its last try went. */
export const EntityDeploymentQualityCard = () => {
  const { entity } = useEntity();
  const entityRef = useEntityRef();
  const api = useApi(deploymentQualityApiRef);
  const state = useAutoRefresh(
    () => api.getEntitySummary(entityRef),
    [api, entityRef],
  );
  return (
    <InfoCard title="Deployments">
      <AsyncView
        state={state}
        isEmpty={s => s.clusters.length === 0}
        empty={
          <Typography color="textSecondary">
            No deployments reported yet for service id "{serviceIdOf(entity)}".
          </Typography>
        }
      >
        {summary => (
          <List dense aria-label="Current version per cluster-region">
            {summary.clusters.map(c => (
              <ListItem key={c.cluster.id} disableGutters>
                <ListItemText
                  primary={c.cluster.name}
                  secondary={
                    <>
                      {c.currentVersion
                        ? `running ${c.currentVersion}`
                        : 'nothing deployed'}
                      {' · last attempt '}
                      {c.latestAttempt.buildVersion}{' '}
                      <RelativeTime iso={c.latestAttempt.startedAt} />
                    </>
                  }
                />
                <Box ml={2} flexShrink={0}>
                  <AttemptStatusLabel status={c.latestAttempt.status} />
                </Box>
              </ListItem>
            ))}
          </List>
        )}
      </AsyncView>
    </InfoCard>
  );
};
