export interface Config {
  /** Deployment & Quality plugin. */
  deploymentQuality?: {
    /**
     * Cluster-regions shown even before any event names them. Clusters can also
     * be registered by `cluster-config` events; ids met only in events are shown
     * flagged as unconfigured.
     */
    clusters?: Array<{
      /** Stable id used by events, e.g. `mira-us-west-2`. */
      id: string;
      /** @visibility frontend */
      name: string;
      /** e.g. Development, Staging, Production. */
      type?: string;
      /** e.g. Primary, Secondary. */
      role?: string;
      description?: string;
      region?: string;
    }>;
    ingestion?: {
      /**
       * Seconds an event's times (startedAt, endedAt, commitAt, executedAt,
       * promotedAt, a queue message's receivedAt) may lie past the time it
       * is received: later ones are refused (400 naming the field), so a
       * clock far ahead can't make an event the "latest" of its kind for
       * good. 0 to 86400; default 900 (15 minutes).
       */
      maxFutureSkewSeconds?: number;
      webhook?: {
        /** Largest accepted request body in bytes (413 above). Default 1 MiB. */
        maxBodyBytes?: number;
        /**
         * Requests per minute per credential on `POST /ingest/webhook`,
         * `/ingest/test-reports` (both count against the webhook key) and
         * `/ingest/sources/<id>` (against the source secret), so one runaway
         * CI job can't saturate the write path for everyone. Over it: 429
         * with `Retry-After`, nothing stored or recorded. A bucket of a
         * minute's worth, refilled evenly; counted in each replica's memory,
         * so N replicas allow up to N times it. Default: no limit.
         */
        rateLimit?: {
          /** The default of every key and source secret; override per key. */
          perMinute?: number;
        };
        /**
         * Named credentials for `POST /ingest/webhook`. Each secret is accepted
         * as `X-Webhook-Secret`, as a bearer key, or as the HMAC-SHA256 key of
         * `X-Signature-256`. Several keys per source allow rotation; the key's
         * name is recorded as the event's source identity in logs.
         */
        keys?: Array<{
          name: string;
          /** @visibility secret */
          secret: string;
          /**
           * Restricts how the secret may be presented: `secret`
           * (X-Webhook-Secret), `bearer` (Authorization: Bearer) or `hmac`
           * (X-Signature-256 over the raw body). Absent: any of them.
           */
          type?: 'secret' | 'bearer' | 'hmac';
          /** This key's requests per minute; 0: no limit. Default: `rateLimit.perMinute`. */
          perMinute?: number;
        }>;
      };
      /**
       * Queue mode. When set, the webhook publishes events to this queue and
       * the backend consumes it; when absent, the webhook stores directly.
       * AWS credentials come from the default AWS SDK chain, never from here.
       */
      sqs?: {
        queueUrl: string;
        region?: string;
        /** Only for a local SQS-compatible server, e.g. http://127.0.0.1:9324. */
        endpoint?: string;
        /** Long-poll wait, 0–20 s. Default 20. */
        waitTimeSeconds?: number;
        /** Messages per receive, 1–10. Default 10. */
        maxMessages?: number;
        /** The queue's visibility timeout, in seconds. Default 60. */
        visibilityTimeoutSeconds?: number;
        /** Concurrent long-poll loops in this backend. Default 1. */
        consumers?: number;
        /** Set false to publish from this backend but consume elsewhere. Default true. */
        consume?: boolean;
      };
      /**
       * `POST /ingest/test-reports` (JUnit XML, CTRF JSON). A report yields
       * one test run per suite type, never one per suite: Surefire and
       * jest-junit write a suite per class or file. A suite's type is that
       * of the first entry of `suites` naming or matching it, else the
       * request's `?suiteType=`, else `defaultSuiteType`. A refused report
       * is answered with its first 20 problems and `problemCount`.
       */
      testReports?: {
        /**
         * Suites (JUnit `<testsuite name>`, CTRF top-level suite or tool) →
         * suite type, tried in order. Each entry has either `name` (the
         * exact suite name) or `pattern`, a glob matched against the whole
         * name: `*` any characters (`.` and `/` included), `?` any one, e.g.
         * `{ pattern: '*IT', suiteType: REGRESSION }`,
         * `{ pattern: 'e2e/*', suiteType: REGRESSION }`. Suite types are
         * upper-cased, then must start with a letter and hold only letters,
         * digits and `_` (at most 64).
         */
        suites?: Array<{ name?: string; pattern?: string; suiteType: string }>;
        /** Type of the suites no entry types, when the request names none. Default FUNCTIONAL. */
        defaultSuiteType?: string;
        /**
         * A test that failed and passed within this many consecutive runs
         * of it on one build version is flaky (2–50, default 5). See
         * `definitions.flaky` of `GET /entities/…/tests/flaky`.
         */
        flakyFlipWindow?: number;
      };
    };
    /**
     * Native formats of CI/CD systems (`POST /ingest/sources/<id>` and SQS
     * messages `{ source: <id>, payload }`), one section per installed source
     * adapter. Every source takes `secrets` (several, for rotation; at least
     * 16 characters): GitHub signs with one (`X-Hub-Signature-256`), the
     * others send one as `X-Webhook-Secret`, a bearer key or a Basic-auth
     * password. A third-party adapter declares its own section in its
     * package's config.d.ts. See docs/sources.md.
     */
    sources?: {
      /** GitHub webhooks: deployment, deployment_status, workflow_run, workflow_job. */
      github?: {
        secrets?: Array<{
          name: string;
          /** @visibility secret */
          secret: string;
          /** Requests per minute; 0: no limit. Default: `ingestion.webhook.rateLimit.perMinute`. */
          perMinute?: number;
        }>;
        /**
         * GitHub environment → cluster. When set, only these environments are
         * reported; when absent, the environment's name is the cluster id.
         */
        environments?: Array<{ environment: string; clusterId: string }>;
        /**
         * Workflows to report, by name or file path (`.github/workflows/x.yml`):
         * `deploy` workflows as attempts on `clusterId` (per completed run),
         * `test` workflows as test runs (per completed job) of `suiteType`
         * (default: the job's name).
         */
        workflows?: Array<{
          workflow: string;
          kind: 'deploy' | 'test';
          clusterId: string;
          suiteType?: string;
        }>;
      };
      /** Argo CD notifications with the template of docs/sources.md. */
      argocd?: {
        secrets?: Array<{
          name: string;
          /** @visibility secret */
          secret: string;
          /** Requests per minute; 0: no limit. Default: `ingestion.webhook.rateLimit.perMinute`. */
          perMinute?: number;
        }>;
        /**
         * Destination (name or server URL) → cluster. When set, only these
         * destinations are reported; when absent, the destination's name is
         * the cluster id.
         */
        destinations?: Array<{ destination: string; clusterId: string }>;
      };
      /** Jenkins Notification plugin. */
      jenkins?: {
        secrets?: Array<{
          name: string;
          /** @visibility secret */
          secret: string;
          /** Requests per minute; 0: no limit. Default: `ingestion.webhook.rateLimit.perMinute`. */
          perMinute?: number;
        }>;
        /** Job (full name) → cluster, for jobs that always deploy to one. */
        jobs?: Array<{ job: string; clusterId: string }>;
        /** Build parameter naming the cluster otherwise. Default CLUSTER. */
        clusterParameter?: string;
        /** Build parameter naming the build version. Default VERSION (else the short commit). */
        versionParameter?: string;
      };
      /** Spinnaker Echo pipeline events. */
      spinnaker?: {
        secrets?: Array<{
          name: string;
          /** @visibility secret */
          secret: string;
          /** Requests per minute; 0: no limit. Default: `ingestion.webhook.rateLimit.perMinute`. */
          perMinute?: number;
        }>;
        /** Pipeline (name) → cluster; other pipelines are ignored. */
        pipelines?: Array<{ pipeline: string; clusterId: string }>;
      };
      /** Deployment and Argo Rollout status posted by a reporter in each cluster. */
      kubernetes?: {
        secrets?: Array<{
          name: string;
          /** @visibility secret */
          secret: string;
          /** Requests per minute; 0: no limit. Default: `ingestion.webhook.rateLimit.perMinute`. */
          perMinute?: number;
        }>;
      };
      /** AWS Cost Explorer `GetCostAndUsage` answers (DAILY), posted by a cron job. */
      'aws-cost-explorer'?: {
        secrets?: Array<{
          name: string;
          /** @visibility secret */
          secret: string;
          /** Requests per minute; 0: no limit. Default: `ingestion.webhook.rateLimit.perMinute`. */
          perMinute?: number;
        }>;
        /** Cost-allocation tag whose value names the service; the report must group by it. Default `service`. */
        serviceTag?: string;
        /**
         * Tag value → service. When set, only these values are reported
         * (several values may name one service: their costs are added up);
         * when absent, the tag value is the service id.
         */
        services?: Array<{ tag: string; serviceId: string }>;
        /** Metric whose amount is the cost. Default `UnblendedCost`. */
        metric?: string;
        /**
         * The report's second grouping's value (e.g. the REGION) → cluster.
         * When set, only these names are reported; when absent, the value
         * is the cluster id.
         */
        clusters?: Array<{ name: string; clusterId: string }>;
        /** The cluster of a report grouped by the service tag only. */
        clusterId?: string;
      };
    };
    /** `GET /diagnostics/rejected-events`. */
    diagnostics?: {
      /**
       * Records of refused requests kept (a request is one record, or one
       * per service plus one when its events name several services); beyond
       * it the oldest are dropped first, and the refused events they covered
       * are counted (the answer's `dropped`, the metric
       * `deployment_quality.rejected_events.dropped`). Default 10000.
       */
      maxRejectedEvents?: number;
    };
    /** The quality-gate check CI calls before promoting (`GET /gates`). */
    gates?: {
      /** Suites that must have run on the attempt, e.g. [FUNCTIONAL, SANITY]. Default: none. */
      requiredSuites?: string[];
      /**
       * Lowest pass rate (Σpassed / Σtotal × 100) a suite's latest run may
       * have, by upper-case suite name; `default` for the rest. Default 100.
       */
      minPassRate?: { [suite: string]: number };
      /**
       * Tests whose failures don't fail a gate (`/gates` counts them as
       * quarantined), as their reports name them: the suite (`<testsuite
       * name>`, CTRF's first suite), the class (JUnit `classname`, CTRF's
       * suite path or file; empty when none) and the name. More can be
       * quarantined from the Quality tab with the permission
       * `deployment-quality.quarantine`; those in config can only be lifted
       * here.
       */
      quarantine?: Array<{
        serviceId: string;
        suite: string;
        className?: string;
        name: string;
        reason?: string;
      }>;
    };
    /**
     * The quality scorecard. Each metric scores 100 at `good` and 0 at `bad`
     * (linearly between); the score is the weighted mean of the metrics with
     * data. Defaults: DEFAULT_SCORECARD_POLICY in the -common package.
     */
    scorecard?: {
      weights?: {
        deploySuccessRate?: number;
        gatePassRate?: number;
        changeFailureRate?: number;
        leadTime?: number;
        timeToRestore?: number;
      };
      thresholds?: {
        /** Ratio 0–1. */
        deploySuccessRate?: { good: number; bad: number };
        /** Percent. */
        gatePassRate?: { good: number; bad: number };
        /** Ratio 0–1. */
        changeFailureRate?: { good: number; bad: number };
        /** Minutes (p50). */
        leadTime?: { good: number; bad: number };
        /** Minutes (p50). */
        timeToRestore?: { good: number; bad: number };
      };
      /** Lowest score per grade, e.g. [{ grade: A, min: 90 }, …]; below all: F. */
      grades?: Array<{ grade: string; min: number }>;
    };
    /**
     * How long history is kept. A scheduled task (one replica per run)
     * deletes attempts, test runs, promotions, rejected events and the
     * ingested-event log older than `days`; events about times before the
     * window are answered `expired` and not stored, so a replay of trimmed
     * history can't bring it back.
     */
    /**
     * Who sees what. Cluster-wide views leave out the services whose catalog
     * Component the caller may not read; the links come from a local index
     * of the catalog, and each caller's permission decisions are reused for
     * a short time.
     */
    visibility?: {
      /**
       * Seconds a caller's permission decisions (this plugin's read
       * permission and `catalog.entity.read`) are reused: the most a grant or
       * a revocation in the permission policy can lag. Default 60.
       */
      cacheSeconds?: number;
      /**
       * How often the service ↔ Component index is read again from the
       * catalog: the most a change of an entity's owner or annotation can lag.
       * Services that report before their Component is indexed are looked up
       * within seconds. Default every 5 minutes.
       */
      catalogSync?: { [unit: string]: number } | string;
    };
    analytics?: {
      /**
       * How old fleet-wide figures (analytics and DORA across services, a
       * cluster or a team; the scorecard) may be served after a write, while
       * fresher ones are computed in the background. One service's figures
       * are always exact. 0: always exact. Default 60.
       */
      maxStaleSeconds?: number;
      /**
       * The DORA report whose performance clusters rate the figures when a
       * request names none (`?benchmark=`): '2023' or '2024'. Default '2024'.
       */
      doraBenchmark?: '2023' | '2024';
      /**
       * A deployment of a service to a cluster-region that ends within this
       * many minutes of a failed or rolled-back one there, with no success
       * between, counts as rework. Default 1440 (one day).
       */
      reworkWindowMinutes?: number;
    };
    /**
     * Notifications to the owners of a service's catalog Component (and to
     * `adminEntityRef` for operational ones) through the Backstage
     * notifications backend, which must be installed. Each rule fires at
     * most once per subject and `dedupeMinutes`: later firings in the
     * window are counted, and the owners get one update with the count when
     * the window closes.
     */
    notifications?: {
      /** Default false: nothing is sent. */
      enabled?: boolean;
      /**
       * Who is told of operational problems, and of services without a
       * catalog Component, e.g. `group:default/platform-team`. Absent: no one.
       */
      adminEntityRef?: string;
      /** Seconds between two looks at what to send. Default 10. */
      pollSeconds?: number;
      rules?: {
        /** A FAILED or ROLLBACK attempt on an alerting cluster-region. */
        deploymentFailed?: {
          enabled?: boolean;
          /** critical, high, normal or low. Default high. */
          severity?: 'critical' | 'high' | 'normal' | 'low';
          /** Default 30. */
          dedupeMinutes?: number;
          /** Cluster-region types that alert (case-insensitive). Default [Production]. */
          clusterTypes?: string[];
        };
        /**
         * An attempt whose gate fails: a suite under its threshold or a
         * required suite missing (`deploymentQuality.gates`), judged
         * `settleMinutes` after its first test run arrived.
         */
        gateFailed?: {
          enabled?: boolean;
          /** Default normal. */
          severity?: 'critical' | 'high' | 'normal' | 'low';
          /** Default 60. */
          dedupeMinutes?: number;
          /** Default 5. */
          settleMinutes?: number;
        };
        /**
         * A suite's pass rate more than `points` below the median of the
         * service's previous `runs` runs of it.
         */
        passRateDrop?: {
          enabled?: boolean;
          /** Default normal. */
          severity?: 'critical' | 'high' | 'normal' | 'low';
          /** Default 240. */
          dedupeMinutes?: number;
          /** Percentage points. Default 10. */
          points?: number;
          /** Default 10; fewer earlier runs than 3 never fire. */
          runs?: number;
        };
        /** Messages in the dead-letter queue (queue mode). */
        deadLetters?: {
          enabled?: boolean;
          /** Default critical. */
          severity?: 'critical' | 'high' | 'normal' | 'low';
          /** Default 60. */
          dedupeMinutes?: number;
        };
        /** The SQS consumer stopped or backing off for `afterMinutes`. */
        consumerDown?: {
          enabled?: boolean;
          /** Default critical. */
          severity?: 'critical' | 'high' | 'normal' | 'low';
          /** Default 60. */
          dedupeMinutes?: number;
          /** Default 5. */
          afterMinutes?: number;
        };
        /** Rollup keys parked, or queued for over `afterMinutes`. */
        rollupsStuck?: {
          enabled?: boolean;
          /** Default high. */
          severity?: 'critical' | 'high' | 'normal' | 'low';
          /** Default 60. */
          dedupeMinutes?: number;
          /** Default 10. */
          afterMinutes?: number;
        };
      };
    };
    /** The embedded SQLite database (ignored on PostgreSQL). */
    sqlite?: {
      /**
       * Worker threads that run reads outside transactions, each with its
       * own connection to the database file, so a long fleet-wide query
       * doesn't hold the event loop. 0 reads on the main thread. Default 2.
       */
      readerThreads?: number;
    };
    retention?: {
      /** Days of history kept. Default 90. */
      days?: number;
      /** Rows per delete statement, so no statement holds a long lock. Default 1000. */
      batchSize?: number;
      /**
       * When the task runs (Backstage scheduler format). Default: every hour,
       * first a minute after start, 30 minute timeout.
       */
      schedule?: {
        frequency: { cron: string } | string | { [unit: string]: number };
        timeout: string | { [unit: string]: number };
        initialDelay?: string | { [unit: string]: number };
      };
    };
  };
}
