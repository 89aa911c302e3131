import { createBackendModule } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { ValidationProblem } from '@deployment-quality/plugin-deployment-quality-common';
import {
  SourceAdapter,
  SourceMapping,
  deploymentQualitySourcesExtensionPoint,
} from '@deployment-quality/plugin-deployment-quality-node';

/**
 * Typed reads from a native JSON body that collect every problem (with its
 * path) instead of stopping at the first, so a malformed delivery is answered
 * with all of them at once. Missing or mistyped required fields read as empty
 * values; callers check `problems` before using what they read.
 */
export class NativeBody {
  readonly problems: ValidationProblem[] = [];

  constructor(private readonly body: unknown) {
    if (!isRecord(body)) {
      this.problems.push({ path: '(root)', message: 'must be a JSON object' });
    }
  }

  /**
   * The value at a dotted path (array items by index: `scm.0.sha1`), or
   * undefined when any step is missing.
   */
  value(path: string): unknown {
    return path
      .split('.')
      .reduce<unknown>(
        (v, key) =>
          typeof v === 'object' && v !== null
            ? (v as Record<string, unknown>)[key]
            : undefined,
        this.body,
      );
  }

  /**
   * A string entry of a map whose keys contain dots (Kubernetes labels and
   * annotations), which a dotted path can't address.
   */
  entry(path: string, key: string): string | undefined {
    const map = this.value(path);
    const v = isRecord(map) ? map[key] : undefined;
    return typeof v === 'string' && v !== '' ? v : undefined;
  }

  optionalString(path: string): string | undefined {
    const v = this.value(path);
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') {
      this.problem(path, 'must be a string');
      return undefined;
    }
    return v;
  }

  string(path: string): string {
    const v = this.optionalString(path);
    if (v === undefined && !this.has(path)) this.problem(path, 'is required');
    return v ?? '';
  }

  /**
   * A time as an ISO-8601 string in UTC. Sources send RFC 3339 strings or
   * epoch milliseconds (as a number, or a string of digits: Spinnaker).
   */
  optionalTime(path: string): string | undefined {
    const v = this.value(path);
    if (v === undefined || v === null || v === '') return undefined;
    const epoch =
      typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v));
    const ms = epoch ? Number(v) : Date.parse(String(v));
    if (!Number.isFinite(ms)) {
      this.problem(path, 'must be a timestamp');
      return undefined;
    }
    return new Date(ms).toISOString();
  }

  time(path: string): string {
    const v = this.optionalTime(path);
    if (v === undefined && !this.has(path)) this.problem(path, 'is required');
    return v ?? '';
  }

  integer(path: string): number {
    const v = this.value(path);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      this.problem(path, 'must be a non-negative integer');
      return 0;
    }
    return v;
  }

  /** An array; absent reads as empty. */
  array(path: string): unknown[] {
    const v = this.value(path);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.problem(path, 'must be an array');
      return [];
    }
    return v;
  }

  /** A git commit: 4 to 64 hex digits, as the contract's `gitSha`. */
  sha(path: string): string {
    const v = this.string(path);
    if (v && !/^[0-9a-fA-F]{4,64}$/.test(v)) {
      this.problem(path, 'must be a git commit (hex)');
    }
    return v;
  }

  problem(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  invalid(): SourceMapping {
    return { kind: 'invalid', problems: this.problems };
  }

  /** Only the first problem per path is reported. */
  private has(path: string): boolean {
    return this.problems.some(p => p.path === path);
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const ignored = (reason: string): SourceMapping => ({
  kind: 'ignored',
  reason,
});

/**
 * The build version we give a commit when the source names no version: its
 * first 7 hex digits, as git and the GitHub UI abbreviate it.
 */
export function shortSha(sha: string): string {
  return sha.slice(0, 7).toLowerCase();
}

/**
 * The cluster a source's own name for a target (GitHub environment, Argo CD
 * destination) stands for. When `deploymentQuality.sources.<id>.<key>` lists
 * mappings, only the listed names are reported (`{ <field>: name, clusterId }`)
 * and anything else is ignored, so a repository's other environments (e.g.
 * `github-pages`) stay out. Without a list the source's name is the cluster
 * id as is; one that isn't a valid id is refused by validation, naming it.
 */
export function clusterOf(
  config: Config,
  key: string,
  field: string,
  names: Array<string | undefined>,
): { clusterId: string } | { reason: string } {
  const given = names.filter((n): n is string => Boolean(n));
  const mappings = config.getOptionalConfigArray(key);
  if (!mappings) {
    return given[0]
      ? { clusterId: given[0] }
      : { reason: `no ${field} to take the cluster from` };
  }
  const match = mappings.find(m => given.includes(m.getString(field)));
  return match
    ? { clusterId: match.getString('clusterId') }
    : {
        reason: `${field} ${
          given.join(' / ') || '(none)'
        } is not in the configured ${key} mapping`,
      };
}

/**
 * One backend module per source, so each is installed (or left out) with one
 * `backend.add`; they differ only in the adapter they register.
 */
export function createSourceModule(adapter: SourceAdapter) {
  return createBackendModule({
    pluginId: 'deployment-quality',
    moduleId: `source-${adapter.id}`,
    register(reg) {
      reg.registerInit({
        deps: { sources: deploymentQualitySourcesExtensionPoint },
        async init({ sources }) {
          sources.addSourceAdapter(adapter);
        },
      });
    },
  });
}
