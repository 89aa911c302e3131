import {
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
} from '@material-ui/core';
import { AttemptWithGates } from '@deployment-quality/plugin-deployment-quality-common';
import { BuildDetailLoader } from './BuildDetailLoader';

/** The build detail over an attempts list, so the list keeps its filters. */
export const BuildDetailDialog = ({
  attempt,
  onClose,
}: {
  attempt: AttemptWithGates | undefined;
  onClose: () => void;
}) => (
  <Dialog
    open={attempt !== undefined}
    onClose={onClose}
    maxWidth="lg"
    fullWidth
    aria-labelledby="dq-build-dialog-title"
  >
    <DialogTitle id="dq-build-dialog-title">
      {attempt && `Build ${attempt.buildVersion} on ${attempt.clusterId}`}
    </DialogTitle>
    <DialogContent>
      {attempt && <BuildDetailLoader attemptId={attempt.id} />}
    </DialogContent>
    <DialogActions>
      <Button onClick={onClose}>Close</Button>
    </DialogActions>
  </Dialog>
);
