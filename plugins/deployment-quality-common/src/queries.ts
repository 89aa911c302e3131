import { z } from 'zod';
import { ATTEMPT_STATUSES } from './events';
import { LIST_LIMITS } from './api';
import { BOUNDS } from './bounds';

const idParam = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a cluster or service id');
const clusterIdParam = idParam(BOUNDS.length.clusterId);
const serviceIdParam = idParam(BOUNDS.length.serviceId);

const listQuery = (defaultLimit: number) =>
  z.object({
    status: z.enum(ATTEMPT_STATUSES).optional(),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(LIST_LIMITS.max)
      .default(defaultLimit),
    cursor: z.string().min(1).max(1000).optional(),
  });

/** Query of `GET /attempts`: every cluster's. @public */
export const attemptsQuerySchema = listQuery(LIST_LIMITS.clusterDefault);

/** Query of `GET /clusters/:clusterId/attempts`. @public */
export const clusterAttemptsQuerySchema = listQuery(
  LIST_LIMITS.clusterDefault,
).extend({ serviceId: serviceIdParam.optional() });

const servicePage = (defaultLimit: number) =>
  z.object({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(LIST_LIMITS.max)
      .default(defaultLimit),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
    /** Part of a service id or catalog title, any case. */
    q: z.string().max(128).optional(),
  });

/** Query of `GET /clusters/:clusterId/summary`: a page of its services. @public */
export const clusterSummaryQuerySchema = servicePage(
  LIST_LIMITS.servicesDefault,
);

/** @public */
export type ClusterSummaryQuery = Partial<
  z.output<typeof clusterSummaryQuerySchema>
>;

/** Query of `GET /services`: a page of the services. @public */
export const servicesQuerySchema = servicePage(
  LIST_LIMITS.servicesDefault,
).extend({ clusterId: clusterIdParam.optional() });

/** @public */
export type ServicesQuery = Partial<z.output<typeof servicesQuerySchema>>;

/** Query of `GET /services/:serviceId/attempts` and the entity attempts route. @public */
export const serviceAttemptsQuerySchema = listQuery(
  LIST_LIMITS.serviceDefault,
).extend({ clusterId: clusterIdParam.optional() });

/** @public */
export type AttemptsQuery = z.input<typeof attemptsQuerySchema>;
/** @public */
export type ClusterAttemptsQuery = z.input<typeof clusterAttemptsQuerySchema>;
/** @public */
export type ServiceAttemptsQuery = z.input<typeof serviceAttemptsQuerySchema>;

/** Query of `GET /entities/:namespace/:kind/:name/promotions`. @public */
export const promotionsQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(LIST_LIMITS.max)
    .default(LIST_LIMITS.serviceDefault),
  cursor: z.string().min(1).max(1000).optional(),
});

/** Query of `GET /gates`. @public */
export const gateCheckQuerySchema = z.object({
  serviceId: serviceIdParam,
  clusterId: clusterIdParam,
  buildVersion: z
    .string()
    .min(1)
    .max(BOUNDS.length.buildVersion)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'must be a build version'),
});
