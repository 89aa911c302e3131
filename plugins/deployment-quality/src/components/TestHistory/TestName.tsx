import { Link, Typography } from '@material-ui/core';

/**
 * A test's names as one cell: the name (opening its history when `onOpen`
 * is given), and its class or suite below.
 */
export const TestName = ({
  test,
  onOpen,
}: {
  test: { name: string; className: string; suite: string };
  onOpen?: () => void;
}) => (
  <>
    {onOpen ? (
      <Link
        component="button"
        variant="body2"
        onClick={onOpen}
        aria-label={`History of ${test.name}`}
        style={{ textAlign: 'left' }}
      >
        {test.name}
      </Link>
    ) : (
      <Typography variant="body2">{test.name}</Typography>
    )}
    <Typography
      variant="caption"
      color="textSecondary"
      display="block"
      style={{ wordBreak: 'break-word' }}
    >
      {test.className || test.suite}
    </Typography>
  </>
);
