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
      webhook?: {
        /** Largest accepted request body in bytes (413 above). Default 1 MiB. */
        maxBodyBytes?: number;
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
  };
}
