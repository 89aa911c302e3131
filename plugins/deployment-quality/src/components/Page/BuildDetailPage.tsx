import { useRouteRefParams } from '@backstage/core-plugin-api';
import { Box, Typography } from '@material-ui/core';
import { buildRouteRef } from '../../routes';
import { BuildDetailLoader } from '../BuildDetail/BuildDetailLoader';

/** One build attempt at its own address, for links from chats and tickets. */
export const BuildDetailPage = () => {
  const { attemptId } = useRouteRefParams(buildRouteRef);
  return (
    <Box>
      <Typography variant="h5" component="h2" gutterBottom>
        Build attempt {attemptId}
      </Typography>
      <BuildDetailLoader attemptId={attemptId} />
    </Box>
  );
};
