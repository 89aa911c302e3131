import { Dialog, DialogBody, DialogHeader } from '@backstage/ui';
import { AttemptWithGates } from '@deployment-quality/plugin-deployment-quality-common';
import { BuildDetailLoader } from './BuildDetailLoader';

/**
 * The build detail over an attempts list, so the list keeps its filters.
 * Closed by its header's Close button, Escape or a click outside.
 */
export const BuildDetailDialog = ({
  attempt,
  onClose,
}: {
  attempt: AttemptWithGates | undefined;
  onClose: () => void;
}) => (
  <Dialog
    isOpen={attempt !== undefined}
    onOpenChange={open => !open && onClose()}
    width={1280}
  >
    <DialogHeader>
      {attempt && `Build ${attempt.buildVersion} on ${attempt.clusterId}`}
    </DialogHeader>
    <DialogBody>
      {attempt && <BuildDetailLoader attemptId={attempt.id} />}
    </DialogBody>
  </Dialog>
);
