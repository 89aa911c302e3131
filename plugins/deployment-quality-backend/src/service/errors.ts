import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AuthenticationError,
  ConflictError,
  InputError,
  isError,
  NotAllowedError,
  NotFoundError,
  NotImplementedError,
  NotModifiedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { sendError } from './ingestRouter';

/**
 * The status of each error `@backstage/errors` defines for an answer, as
 * Backstage's error handler maps them: by name, as it does, since the class
 * may come from another copy of the package.
 */
const KNOWN_ERRORS = new Map<string, number>([
  [NotModifiedError.name, 304],
  [InputError.name, 400],
  [AuthenticationError.name, 401],
  [NotAllowedError.name, 403],
  [NotFoundError.name, 404],
  [ConflictError.name, 409],
  [NotImplementedError.name, 501],
  [ServiceUnavailableError.name, 503],
]);

/** What a 5xx answer says instead of the error's own text. */
const PLAIN_MESSAGES = new Map<number, string>([
  [501, 'Not implemented'],
  [503, 'Service unavailable; retry later'],
]);

/** The status Backstage's error handler would answer, or undefined if 500. */
function statusOf(error: unknown): number | undefined {
  if (!isError(error)) return undefined;
  for (const field of ['statusCode', 'status']) {
    const value = (error as Record<string, unknown>)[field];
    if (typeof value === 'number' && Number.isInteger(value)) {
      if (value >= 100 && value <= 599) return value;
    }
  }
  return KNOWN_ERRORS.get(error.name);
}

/**
 * The plugin routers' last error handler. Errors that are the caller's
 * (4xx: Backstage's known errors, body-parser's) go on to Backstage's
 * handler, answered as always. Any other error would be answered with its
 * message, which for a database error holds the SQL with every value
 * inlined: it is answered 5xx with a plain message and a request id
 * instead, and logged in full under that id.
 */
export function internalErrorHandler(logger: LoggerService) {
  return (error: unknown, req: Request, res: Response, next: NextFunction) => {
    const status = statusOf(error);
    if (status !== undefined && status < 500) {
      next(error);
      return;
    }
    const requestId = randomUUID();
    const statusCode = status ?? 500;
    logger.error(
      `${req.method} ${req.originalUrl} failed with status ${statusCode}; request id ${requestId}`,
      isError(error) ? error : { error: String(error) },
    );
    if (res.headersSent) {
      // Too late for an answer: Express ends the response.
      next(error);
      return;
    }
    const known = isError(error) && KNOWN_ERRORS.has(error.name);
    sendError(
      req,
      res,
      statusCode,
      known ? error.name : 'InternalServerError',
      `${
        PLAIN_MESSAGES.get(statusCode) ?? 'Internal error'
      }; request id ${requestId}`,
    );
  };
}
