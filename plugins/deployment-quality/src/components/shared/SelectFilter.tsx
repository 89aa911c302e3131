import { FormControl, InputLabel, MenuItem, Select } from '@material-ui/core';

export type FilterOption = { value: string; label: string };

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
