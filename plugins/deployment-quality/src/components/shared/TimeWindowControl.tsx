import { Box, Button, ButtonGroup, TextField } from '@material-ui/core';
import { useState } from 'react';
import { TimeWindow, WINDOW_PRESETS, windowQuery } from './timeWindow';

const isDay = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s);

/**
 * 7/30/90 days or a custom range. A custom range applies once both days are
 * filled in and in order, so half-typed dates don't fire requests.
 */
export const TimeWindowControl = ({
  value,
  onChange,
}: {
  value: TimeWindow;
  onChange: (window: TimeWindow) => void;
}) => {
  const [custom, setCustom] = useState('from' in value);
  const [draft, setDraft] = useState(() => windowQuery(value));
  const invalid = isDay(draft.from) && isDay(draft.to) && draft.from > draft.to;

  const editDraft = (next: { from: string; to: string }) => {
    setDraft(next);
    if (isDay(next.from) && isDay(next.to) && next.from <= next.to) {
      onChange(next);
    }
  };

  return (
    <Box display="flex" alignItems="center" flexWrap="wrap" style={{ gap: 16 }}>
      <ButtonGroup size="small" aria-label="Time range">
        {WINDOW_PRESETS.map(days => {
          const selected = !custom && 'days' in value && value.days === days;
          return (
            <Button
              key={days}
              aria-pressed={selected}
              variant={selected ? 'contained' : 'outlined'}
              color={selected ? 'primary' : 'default'}
              onClick={() => {
                setCustom(false);
                onChange({ days });
              }}
            >
              {days} days
            </Button>
          );
        })}
        <Button
          aria-pressed={custom}
          variant={custom ? 'contained' : 'outlined'}
          color={custom ? 'primary' : 'default'}
          onClick={() => {
            setCustom(true);
            setDraft(windowQuery(value));
          }}
        >
          Custom
        </Button>
      </ButtonGroup>
      {custom && (
        <>
          <TextField
            id="dq-window-from"
            label="From"
            type="date"
            size="small"
            variant="outlined"
            InputLabelProps={{ shrink: true }}
            value={draft.from}
            onChange={e => editDraft({ ...draft, from: e.target.value })}
          />
          <TextField
            id="dq-window-to"
            label="To"
            type="date"
            size="small"
            variant="outlined"
            InputLabelProps={{ shrink: true }}
            value={draft.to}
            error={invalid}
            helperText={invalid ? 'Must not be before From' : undefined}
            onChange={e => editDraft({ ...draft, to: e.target.value })}
          />
        </>
      )}
    </Box>
  );
};
