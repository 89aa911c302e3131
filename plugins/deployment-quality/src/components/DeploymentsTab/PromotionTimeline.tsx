import { InfoCard } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { Typography } from '@material-ui/core';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';
import { PromotionList } from '../BuildDetail/BuildDetail';
import { AsyncView } from '../shared/AsyncView';
import { PagingControls } from '../shared/PagingControls';
import { useAutoRefresh } from '../shared/useAutoRefresh';
import { useCursorPaging } from '../shared/useCursorPaging';

const PAGE_SIZE = 10;

/** Which version moved from where to where, by whom: newest first. */
export const PromotionTimeline = ({
  entityRef,
}: {
  entityRef: CompoundEntityRef;
}) => {
  const api = useApi(deploymentQualityApiRef);
  const paging = useCursorPaging();
  const state = useAutoRefresh(
    () =>
      api.getEntityPromotions(entityRef, {
        limit: PAGE_SIZE,
        cursor: paging.cursor,
      }),
    [api, entityRef, paging.cursor],
  );
  return (
    <InfoCard title="Promotions">
      <AsyncView
        state={state}
        isEmpty={page => page.promotions.length === 0 && !paging.hasNewer}
        empty={<Typography>No promotions recorded yet.</Typography>}
      >
        {page => <PromotionList promotions={page.promotions} />}
      </AsyncView>
      <PagingControls
        hasNewer={paging.hasNewer}
        nextCursor={state.value?.nextCursor}
        loading={state.loading}
        onNewer={paging.newer}
        onOlder={paging.older}
      />
    </InfoCard>
  );
};
