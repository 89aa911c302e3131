import {
  FormControl,
  InputLabel,
  MenuItem,
  Select,
  TextField,
} from '@material-ui/core';
import Autocomplete, {
  createFilterOptions,
} from '@material-ui/lab/Autocomplete';

export type FilterOption = { value: string; label: string };

/**
 * Past this many options a drop-down is a wall to scroll through (a fleet
 * has thousands of services): the filter becomes a search box instead.
 */
export const SEARCHABLE_FROM = 50;

/** A search matches at most this many options: the list stays quick. */
const filterOptions = createFilterOptions<FilterOption>({ limit: 100 });

/** A labelled drop-down whose empty value means "no filter". */
export const SelectFilter = ({
  label,
  value,
  options,
  onChange,
  minWidth = 180,
}: {
  label: string;
  value: string;
  options: FilterOption[];
  onChange: (value: string) => void;
  minWidth?: number;
}) => {
  if (options.length >= SEARCHABLE_FROM) {
    return (
      <Autocomplete<FilterOption>
        size="small"
        style={{ minWidth: Math.max(minWidth, 240) }}
        options={options}
        filterOptions={filterOptions}
        getOptionLabel={o => o.label}
        getOptionSelected={(o, v) => o.value === v.value}
        value={options.find(o => o.value === value) ?? null}
        onChange={(_, option) => onChange(option?.value ?? '')}
        renderInput={params => (
          <TextField
            {...params}
            label={label}
            placeholder="All — type to search"
            variant="outlined"
            InputLabelProps={{ shrink: true }}
          />
        )}
      />
    );
  }
  const labelId = `dq-filter-${label
    .toLocaleLowerCase('en-US')
    .replace(/\W+/g, '-')}`;
  return (
    <FormControl variant="outlined" size="small" style={{ minWidth }}>
      <InputLabel id={labelId} shrink>
        {label}
      </InputLabel>
      <Select
        labelId={labelId}
        label={label}
        displayEmpty
        value={value}
        onChange={e => onChange(e.target.value as string)}
      >
        <MenuItem value="">All</MenuItem>
        {options.map(o => (
          <MenuItem key={o.value} value={o.value}>
            {o.label}
          </MenuItem>
        ))}
      </Select>
    </FormControl>
  );
};
