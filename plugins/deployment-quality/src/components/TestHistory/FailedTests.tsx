import { parseEntityRef } from '@backstage/catalog-model';
import { TableColumn } from '@backstage/core-components';
import { Typography } from '@material-ui/core';
import { FailedTest } from '@deployment-quality/plugin-deployment-quality-common';
import { useState } from 'react';
import { pagedOptions, ResponsiveTable } from '../shared/ResponsiveTable';
import { TestHistoryDialog } from './TestHistoryDialog';
import { TestName } from './TestName';

/**
 * The tests that failed, or passed only after retries, in a build's runs;
 * when the service has a Component, a test's name opens its history.
 * Nothing is shown for a build whose reports had no failing test cases.
 */
export const FailedTests = ({
  tests,
  entityRef,
}: {
  tests: FailedTest[];
  entityRef?: string;
}) => {
  const [open, setOpen] = useState<FailedTest>();
  if (tests.length === 0) return null;
  const columns: TableColumn<FailedTest>[] = [
    {
      title: 'Test',
      render: t => (
        <TestName test={t} onOpen={entityRef ? () => setOpen(t) : undefined} />
      ),
    },
    { title: 'Suite', field: 'suiteType' },
    {
      title: 'Outcome',
      render: t =>
        t.status === 'failed'
          ? `failed${t.retries ? ` ${t.retries + 1} times` : ''}`
          : `passed after ${t.retries} failed ${
              t.retries > 1 ? 'retries' : 'retry'
            }`,
    },
    {
      title: 'Failure',
      render: t => (
        <Typography variant="body2" style={{ wordBreak: 'break-word' }}>
          {t.message ?? '—'}
        </Typography>
      ),
    },
  ];
  return (
    <>
      <ResponsiveTable<FailedTest>
        title={`Failed tests (${tests.length})`}
        columns={columns}
        data={tests}
        options={pagedOptions(tests.length, 10, 100)}
      />
      {entityRef && (
        <TestHistoryDialog
          entityRef={parseEntityRef(entityRef)}
          test={open}
          onClose={() => setOpen(undefined)}
        />
      )}
    </>
  );
};
