import {
  Button,
  Dialog,
  DialogBody,
  DialogFooter,
  DialogHeader,
  Flex,
  Text,
  TextField,
} from '@backstage/ui';
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
      isOpen={test !== undefined}
      onOpenChange={open => !open && close()}
      width={600}
    >
      <DialogHeader>{test && `Quarantine ${test.name}`}</DialogHeader>
      <DialogBody>
        <Flex direction="column" gap="3">
          <Text as="p" variant="body-medium">
            Its failures will no longer fail a gate; the gate check lists them
            as quarantined. Who quarantined it, when and why are recorded.
          </Text>
          <TextField
            label="Reason"
            value={reason}
            onChange={setReason}
            maxLength={500}
            isRequired
            isInvalid={error !== undefined}
          />
          {error && (
            <Text as="p" variant="body-small" color="danger" role="alert">
              {error}
            </Text>
          )}
        </Flex>
      </DialogBody>
      <DialogFooter>
        <Button variant="secondary" onPress={close}>
          Cancel
        </Button>
        <Button
          variant="primary"
          isDisabled={!reason.trim()}
          isPending={saving}
          onPress={async () => {
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
      </DialogFooter>
    </Dialog>
  );
};
