import { localTime, relativeTime } from './time';

/** "12 min ago", with the local date and time on hover and for screen readers. */
export const RelativeTime = ({ iso }: { iso: string | null | undefined }) => {
  if (!iso) return <span aria-label="never">—</span>;
  return (
    <time dateTime={iso} title={localTime(iso)}>
      {relativeTime(iso)}
    </time>
  );
};
