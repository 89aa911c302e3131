import { ValidationProblem } from '@deployment-quality/plugin-deployment-quality-common';
import { RejectedEvent, RejectedItem } from './DeploymentQualityStore';

/**
 * How much of a refusal is kept. Diagnostics need the first problems to
 * show a sender what to fix, not every copy of the same mistake: a batch of
 * 500 identical bad events says no more than its first few.
 */
export const REJECTED_BOUNDS = {
  /** Characters of the body kept, once per request. */
  bodyChars: 16 * 1024,
  /** Items per record whose problems are kept. */
  itemsWithProblems: 5,
  /** Problems per record, in all. */
  problems: 50,
  /** Records per service of a request naming several services. */
  serviceRecords: 10,
};

/** Who sees a record, before the filter on its service. */
export type Audience = 'everyone' | 'sees-all' | 'restricted';

/** One row of dq_rejected_events, before the header fields. */
export interface RejectedRow {
  audience: Audience;
  serviceId?: string;
  eventId?: string;
  eventType?: string;
  items: number;
  problems: ValidationProblem[];
  body?: string;
}

/**
 * The rows a refusal is stored as: one, unless its body names several
 * services. Then the body can't be shown to a caller who may see only some
 * of them, so the request is one row for callers who see every service
 * (body included) plus, for the others, one row per service its refused
 * items name (the first `serviceRecords` services, no body), each hidden
 * from callers who may not see that service. Each caller sees each refused
 * item at most once, so counts add up.
 */
export function rejectedRows(event: RejectedEvent): RejectedRow[] {
  const refused = 'refused' in event ? event.refused : [event];
  const given = 'refused' in event ? event.services ?? [] : [];
  const services = [
    ...new Set([
      ...given,
      ...refused.flatMap(i => (i.serviceId ? [i.serviceId] : [])),
    ]),
  ];
  const body = event.body?.slice(0, REJECTED_BOUNDS.bodyChars);
  if (services.length <= 1) {
    return [
      {
        ...summary(refused),
        audience: 'everyone',
        serviceId: services[0],
        ...(body !== undefined ? { body } : {}),
      },
    ];
  }
  const byService = new Map<string | undefined, RejectedItem[]>();
  for (const item of refused) {
    const group = byService.get(item.serviceId);
    if (group) group.push(item);
    else byService.set(item.serviceId, [item]);
  }
  return [
    {
      ...summary(refused),
      audience: 'sees-all',
      ...(body !== undefined ? { body } : {}),
    },
    ...[...byService].slice(0, REJECTED_BOUNDS.serviceRecords).map(
      ([serviceId, items]): RejectedRow => ({
        ...summary(items),
        audience: 'restricted',
        serviceId,
      }),
    ),
  ];
}

/** The header of the first item, the count, and the first problems. */
function summary(items: RejectedItem[]) {
  const [first] = items;
  return {
    ...(first?.eventId ? { eventId: first.eventId } : {}),
    ...(first?.eventType ? { eventType: first.eventType } : {}),
    items: Math.max(items.length, 1),
    problems: items
      .slice(0, REJECTED_BOUNDS.itemsWithProblems)
      .flatMap(i => i.problems)
      .slice(0, REJECTED_BOUNDS.problems),
  };
}
