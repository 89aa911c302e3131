import { IconButton, Tooltip } from '@material-ui/core';
import InfoOutlined from '@material-ui/icons/InfoOutlined';

/**
 * An info icon that shows how a figure is computed. It is a button so that
 * keyboard users can focus it; the tooltip opens on focus as on hover.
 */
export const DefinitionTooltip = ({
  label,
  definition,
}: {
  label: string;
  definition: string;
}) => (
  <Tooltip title={definition} arrow>
    <IconButton size="small" aria-label={`How ${label} is computed`}>
      <InfoOutlined fontSize="inherit" />
    </IconButton>
  </Tooltip>
);
