import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import { AttemptStatus } from '@deployment-quality/plugin-deployment-quality-common';

const LABELS: Record<AttemptStatus, string> = {
  SUCCESS: 'Success',
  LIVE: 'Live',
  FAILED: 'Failed',
  ROLLBACK: 'Rolled back',
  IN_PROGRESS: 'In progress',
};

const StatusOf = ({ status }: { status: AttemptStatus }) => {
  const label = LABELS[status] ?? status;
  switch (status) {
    case 'SUCCESS':
    case 'LIVE':
      return <StatusOK>{label}</StatusOK>;
    case 'FAILED':
      return <StatusError>{label}</StatusError>;
    case 'ROLLBACK':
      return <StatusWarning>{label}</StatusWarning>;
    case 'IN_PROGRESS':
      return <StatusRunning>{label}</StatusRunning>;
    default:
      return <StatusAborted>{label}</StatusAborted>;
  }
};

/**
 * An attempt status with Backstage's status colour and icon, on one line: a
 * narrow table column otherwise breaks the word itself ("Succes|s").
 */
export const AttemptStatusLabel = ({ status }: { status: AttemptStatus }) => (
  <span style={{ whiteSpace: 'nowrap' }}>
    <StatusOf status={status} />
  </span>
);
