import { useApi } from '@backstage/core-plugin-api';
import { TextField } from '@material-ui/core';
import Autocomplete from '@material-ui/lab/Autocomplete';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import useDebounce from 'react-use/esm/useDebounce';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';

/** Services suggested at a time: the backend searches, so the list stays short. */
const SUGGESTIONS = 20;

/**
 * A service filter that searches the backend as you type (a fleet has
 * thousands of services, so the browser never holds them all); empty means
 * "no filter". `clusterId` suggests only the services deployed there.
 */
export const ServiceFilter = ({
  value,
  onChange,
  clusterId,
  minWidth = 240,
}: {
  value: string;
  onChange: (serviceId: string) => void;
  clusterId?: string;
  minWidth?: number;
}) => {
  const api = useApi(deploymentQualityApiRef);
  const [input, setInput] = useState('');
  const [q, setQ] = useState('');
  useDebounce(() => setQ(input.trim()), 250, [input]);
  // A failure leaves no suggestions: the view still works unfiltered.
  const { value: found, loading } = useAsync(
    () =>
      api.getServices({
        limit: SUGGESTIONS,
        ...(q ? { q } : {}),
        ...(clusterId ? { clusterId } : {}),
      }),
    [api, q, clusterId],
  );
  return (
    <Autocomplete<string>
      size="small"
      style={{ minWidth }}
      options={(found?.services ?? []).map(s => s.serviceId)}
      // The backend already kept what matches.
      filterOptions={options => options}
      loading={loading}
      value={value || null}
      onChange={(_, serviceId) => onChange(serviceId ?? '')}
      inputValue={input}
      onInputChange={(_, text) => setInput(text)}
      renderInput={params => (
        <TextField
          {...params}
          label="Service"
          placeholder="All — type to search"
          variant="outlined"
          InputLabelProps={{ shrink: true }}
        />
      )}
    />
  );
};
