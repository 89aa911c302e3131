import {
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  TextField,
  Typography,
} from '@material-ui/core';
import { useState } from 'react';

/** Asks why a test is quarantined: the reason is recorded with who and when. */
export const QuarantineDialog = ({
  test,
  onCancel,
  onConfirm,
}: {
  test: { name: string } | undefined;
  onCancel: () => void;
  onConfirm: (reason: string) => Promise<void>;
}) => {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string>();
  const [saving, setSaving] = useState(false);
  const close = () => {
    setReason('');
    setError(undefined);
    onCancel();
  };
  return (
    <Dialog
      open={test !== undefined}
      onClose={close}
      maxWidth="sm"
      fullWidth
      aria-labelledby="dq-quarantine-title"
    >
      <DialogTitle id="dq-quarantine-title">
        {test && `Quarantine ${test.name}`}
      </DialogTitle>
      <DialogContent>
        <Typography variant="body2" gutterBottom>
          Its failures will no longer fail a gate; the gate check lists them as
          quarantined. Who quarantined it, when and why are recorded.
        </Typography>
        <TextField
          id="dq-quarantine-reason"
          label="Reason"
          value={reason}
          onChange={e => setReason(e.target.value)}
          inputProps={{ maxLength: 500 }}
          fullWidth
          required
          error={error !== undefined}
          helperText={error}
        />
      </DialogContent>
      <DialogActions>
        <Button onClick={close}>Cancel</Button>
        <Button
          color="primary"
          disabled={!reason.trim() || saving}
          onClick={async () => {
            setSaving(true);
            try {
              await onConfirm(reason.trim());
              setReason('');
              setError(undefined);
            } catch (e) {
              setError((e as Error).message);
            } finally {
              setSaving(false);
            }
          }}
        >
          Quarantine
        </Button>
      </DialogActions>
    </Dialog>
  );
};
