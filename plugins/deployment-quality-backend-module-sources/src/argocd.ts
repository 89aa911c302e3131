import {
  AttemptStatus,
  Trigger,
} from '@deployment-quality/plugin-deployment-quality-common';
import { SourceAdapter } from '@deployment-quality/plugin-deployment-quality-node';
import {
  NativeBody,
  clusterOf,
  createSourceModule,
  ignored,
  isRecord,
  shortSha,
} from './util';

const SOURCE = 'argocd';

/**
 * Argo CD's notifications controller renders the webhook body from a template
 * with Go's html/template, which prints a missing map key as `<no value>`
 * (HTML-escaped in a body: `&lt;no value&gt;`). Those, and empty strings, are
 * read as absent, so one template serves every phase: `finishedAt` is
 * missing while a sync runs, `syncResult` before the sync has applied.
 */
function withoutPlaceholders(value: unknown): unknown {
  if (typeof value === 'string') {
    return ['', '<no value>', '&lt;no value&gt;'].includes(value)
      ? undefined
      : value;
  }
  if (Array.isArray(value)) return value.map(withoutPlaceholders);
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, withoutPlaceholders(v)]),
    );
  }
  return value;
}

interface HistoryEntry {
  id: number;
  revision: string;
  deployStartedAt?: string;
}

/**
 * Argo CD through its notifications webhook service, with the body template
 * documented in docs/sources.md: `{ app, project, destination: { name,
 * server, namespace }, revision, requestedRevision, phase, startedAt,
 * finishedAt, health, initiatedBy, history: [{ id, revision,
 * deployStartedAt }] }` from the Application. Authenticated by a shared
 * secret header the service sends.
 *
 * - Cluster: `destinations` mapping (by destination name or server), else
 *   the destination's name.
 * - Revision: the sync result's, else the requested one (a running sync may
 *   not have a result yet). It is the git sha; the build version is its
 *   short form. A non-commit revision (a Helm chart version) can't give the
 *   git sha the contract requires and is refused as malformed.
 * - Status: phase Running/Terminating → IN_PROGRESS; Failed/Error → FAILED;
 *   Succeeded with health Healthy → SUCCESS, Degraded → FAILED (degraded
 *   after the sync: ended when we heard of it, so it outranks the earlier
 *   success), otherwise still IN_PROGRESS (the rollout is progressing; the
 *   `on-deployed` trigger reports it healthy later).
 * - Rollback: Argo CD has no flag for it. A sync to a revision that an
 *   earlier history entry deployed, other than the one deployed last before
 *   this sync, returns to that older version: the attempt is the version
 *   being left (build version and sha of the previous deploy), with trigger
 *   `rollback`, status ROLLBACK when it succeeds and `rollbackToBuild` = the
 *   version returned to.
 * - Attempt: no run number (history ids appear only once a sync finished);
 *   the contract derives it from the operation's `startedAt`, which the
 *   running and the finished notification share.
 * - Trigger: `manual` when a user started the sync, else `merge`
 *   (automated sync of a new commit).
 *
 * Service: the catalog entity annotated `argocd/app-name: <app>`, else the
 * application's name.
 */
export const argocdSourceAdapter: SourceAdapter = {
  id: SOURCE,
  authentication: { type: 'shared-secret' },
  map(delivery, { config }) {
    const body = new NativeBody(withoutPlaceholders(delivery.body));
    const app = body.string('app');
    const phase = body.string('phase');
    const startedAt = body.time('startedAt');
    const revision = body.sha(
      body.optionalString('revision') ? 'revision' : 'requestedRevision',
    );
    const health = body.optionalString('health') ?? 'Unknown';
    const history = body.array('history').flatMap((h, i): HistoryEntry[] => {
      if (isRecord(h) && typeof h.revision === 'string') {
        return [
          {
            id: Number(h.id),
            revision: h.revision,
            deployStartedAt: body.optionalTime(`history.${i}.deployStartedAt`),
          },
        ];
      }
      // A deploy from a Helm repository or several sources has no single revision.
      return [];
    });
    if (body.problems.length) return body.invalid();

    const cluster = clusterOf(config, 'destinations', 'destination', [
      body.optionalString('destination.name'),
      body.optionalString('destination.server'),
    ]);
    if ('reason' in cluster) return ignored(cluster.reason);

    let status: AttemptStatus;
    let endedAt: string | undefined;
    let failureReason: string | undefined;
    const finishedAt = body.optionalTime('finishedAt');
    const heardAt = delivery.receivedAt.toISOString();
    if (phase === 'Running' || phase === 'Terminating') {
      status = 'IN_PROGRESS';
    } else if (phase === 'Failed' || phase === 'Error') {
      status = 'FAILED';
      endedAt = finishedAt ?? heardAt;
      failureReason = `Argo CD sync ${phase}`;
    } else if (phase !== 'Succeeded') {
      return ignored(`operation phase ${phase} is not a sync outcome`);
    } else if (health === 'Healthy') {
      status = 'SUCCESS';
      endedAt = finishedAt ?? heardAt;
    } else if (health === 'Degraded') {
      status = 'FAILED';
      endedAt = [finishedAt ?? heardAt, heardAt].sort()[1];
      failureReason = 'health Degraded after the sync';
    } else {
      status = 'IN_PROGRESS';
    }

    // What was deployed before this sync: entries that started earlier (the
    // finished sync is itself the last entry).
    const before = history
      .filter(h => !h.deployStartedAt || h.deployStartedAt < startedAt)
      .sort((a, b) => a.id - b.id);
    const previous = before[before.length - 1];
    const rollback =
      previous !== undefined &&
      previous.revision !== revision &&
      before.some(h => h.revision === revision);
    const deployed = rollback ? previous.revision : revision;
    let trigger: Trigger = 'merge';
    if (rollback) trigger = 'rollback';
    else if (body.optionalString('initiatedBy')) trigger = 'manual';

    return {
      kind: 'events',
      service: { annotation: 'argocd/app-name', value: app },
      events: [
        {
          source: SOURCE,
          eventType: 'deployment',
          eventId: `argocd:${app}:${startedAt}:${phase}:${health}`,
          payload: {
            clusterId: cluster.clusterId,
            serviceId: app,
            buildVersion: shortSha(deployed),
            gitSha: deployed,
            status: rollback && status === 'SUCCESS' ? 'ROLLBACK' : status,
            startedAt,
            ...(endedAt ? { endedAt } : {}),
            trigger,
            ...(rollback ? { rollbackToBuild: shortSha(revision) } : {}),
            ...(failureReason ? { failureReason } : {}),
          },
        },
      ],
    };
  },
};

/** Installs the Argo CD source adapter. @public */
export const deploymentQualityModuleArgocdSource =
  createSourceModule(argocdSourceAdapter);
