import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv, { ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

/** A JSON Schema / OpenAPI schema object, loosely typed. */
type Schema = Record<string, any>;

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** What the checker needs of an HTTP answer (a supertest response fits). */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  text?: string;
}

export interface Operation {
  method: string;
  path: string;
  operationId: string;
  schema: Schema;
}

/**
 * Checks HTTP answers against an OpenAPI 3.0 document: finds the operation
 * of a request, then validates status, content type and body against it.
 *
 * Response schemas are checked strictly: every object schema without an
 * explicit `additionalProperties` is closed (`allOf` members are merged
 * first), so a field the server adds without documenting it fails as
 * surely as one it renames or drops. Request bodies and parameters are
 * checked as written, open objects staying open.
 */
export class OpenApiChecker {
  /** `METHOD /path/{template} status` of every answer checked. */
  readonly seen = new Set<string>();

  private readonly ajv: Ajv;
  private readonly responseValidators = new Map<string, ValidateFunction>();
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly strictMemo = new WeakMap<object, Schema>();
  private readonly looseMemo = new WeakMap<object, Schema>();

  private constructor(
    /** The document as written (with `$ref`s). */
    readonly raw: Schema,
    /** The document with every `$ref` resolved. */
    readonly doc: Schema,
    private readonly basePath: string,
  ) {
    this.ajv = new Ajv({
      allErrors: true,
      strict: true,
      // Request schemas use `anyOf` of `required` lists, which strict mode dislikes.
      strictRequired: false,
      strictTypes: false,
    });
    this.ajv.addKeyword('example');
    this.ajv.addFormat(
      'date-time',
      v =>
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(
          v,
        ) && !Number.isNaN(Date.parse(v)),
    );
    this.ajv.addFormat(
      'date',
      v =>
        /^\d{4}-\d{2}-\d{2}$/.test(v) &&
        new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) === v,
    );
    this.ajv.addFormat('uri', v => {
      try {
        return Boolean(new URL(v).protocol);
      } catch {
        return false;
      }
    });
  }

  /**
   * Loads the YAML, validates it as an OpenAPI document (what
   * `backstage-repo-tools package schema openapi validate` does) and
   * resolves its references. Request URLs are under `basePath`, where the
   * plugin is mounted.
   */
  static async load(file: string, basePath: string): Promise<OpenApiChecker> {
    const raw = parseYaml(readFileSync(file, 'utf8'));
    const doc = await SwaggerParser.validate(structuredClone(raw));
    return new OpenApiChecker(raw, doc as Schema, basePath);
  }

  operations(): Operation[] {
    return Object.entries(this.doc.paths as Record<string, Schema>).flatMap(
      ([path, item]) =>
        METHODS.filter(m => item[m]).map(method => ({
          method,
          path,
          operationId: item[method].operationId,
          schema: item[method],
        })),
    );
  }

  /** The operation a request URL (with the server's base path) maps to. */
  operation(method: string, url: string): Operation {
    const pathname = new URL(url, 'http://x').pathname;
    if (!pathname.startsWith(this.basePath)) {
      throw new Error(`${url} is not under ${this.basePath}`);
    }
    const parts = pathname.slice(this.basePath.length).split('/');
    const candidates = this.operations().filter(op => {
      const tpl = op.path.split('/');
      return (
        op.method === method.toLowerCase() &&
        tpl.length === parts.length &&
        tpl.every((t, i) => /^\{.+\}$/.test(t) || t === parts[i])
      );
    });
    // A literal segment beats a template parameter.
    const literals = (op: Operation) =>
      op.path.split('/').filter(t => !t.startsWith('{')).length;
    candidates.sort((a, b) => literals(b) - literals(a));
    if (!candidates[0]) {
      throw new Error(`The spec has no operation for ${method} ${pathname}`);
    }
    return candidates[0];
  }

  /**
   * Problems of an answer to `method url` against the spec; empty when it
   * matches. Records the (operation, status) pair as seen.
   */
  responseProblems(method: string, url: string, answer: Answer): string[] {
    const op = this.operation(method, url);
    const key = `${op.method.toUpperCase()} ${op.path} ${answer.status}`;
    this.seen.add(key);
    const responses = op.schema.responses as Record<string, Schema>;
    const response = responses[String(answer.status)] ?? responses.default;
    if (!response) {
      return [
        `${key}: status ${
          answer.status
        } is not documented (documented: ${Object.keys(responses).join(', ')})`,
      ];
    }
    const contentType = String(answer.headers['content-type'] ?? '')
      .split(';')[0]
      .trim();
    if (!response.content) {
      return answer.text ? [`${key}: a body where the spec has none`] : [];
    }
    const media = response.content[contentType];
    if (!media) {
      return [
        `${key}: content type '${contentType}' is not documented (documented: ${Object.keys(
          response.content,
        ).join(', ')})`,
      ];
    }
    const data = contentType.endsWith('json') ? answer.body : answer.text;
    const validate = this.cached(this.responseValidators, key, () =>
      this.ajv.compile(this.strict(media.schema)),
    );
    return validate(data) ? [] : this.describe(key, validate);
  }

  /** Problems of a value against a named component schema (as written, not closed). */
  schemaProblems(name: string, value: unknown): string[] {
    const schema = this.doc.components.schemas[name];
    if (!schema) throw new Error(`No component schema ${name}`);
    const validate = this.cached(this.validators, `schema ${name}`, () =>
      this.ajv.compile(this.loose(schema)),
    );
    return validate(value) ? [] : this.describe(name, validate);
  }

  /** Problems of a value against a resolved schema of the document (as written). */
  valueProblems(schema: Schema, value: unknown): string[] {
    const validate = this.ajv.compile(this.loose(schema));
    return validate(value) ? [] : this.describe('value', validate);
  }

  /** Problems of a request body against the operation's request schema. */
  requestBodyProblems(method: string, url: string, body: unknown): string[] {
    const op = this.operation(method, url);
    const schema = op.schema.requestBody?.content?.['application/json']?.schema;
    if (!schema) return [`${op.operationId}: no JSON request body documented`];
    const validate = this.cached(
      this.validators,
      `request ${op.operationId}`,
      () => this.ajv.compile(this.loose(schema)),
    );
    return validate(body) ? [] : this.describe(op.operationId, validate);
  }

  /**
   * Problems of a URL's query parameters against the operation's parameter
   * schemas (missing required ones, values outside their schema). Values
   * are read as the server reads them: integers from their decimal text.
   */
  queryProblems(method: string, url: string): string[] {
    const op = this.operation(method, url);
    const query = new URL(url, 'http://x').searchParams;
    const problems: string[] = [];
    for (const p of (op.schema.parameters ?? []) as Schema[]) {
      if (p.in !== 'query') continue;
      const value = query.get(p.name);
      if (value === null) {
        if (p.required) problems.push(`${p.name} is required`);
        continue;
      }
      const typed =
        p.schema.type === 'integer' && /^-?\d+$/.test(value)
          ? Number(value)
          : value;
      const validate = this.cached(
        this.validators,
        `param ${op.operationId} ${p.name}`,
        () => this.ajv.compile(this.loose(p.schema)),
      );
      if (!validate(typed)) problems.push(...this.describe(p.name, validate));
    }
    return problems;
  }

  private cached<T>(map: Map<string, T>, key: string, make: () => T): T {
    let v = map.get(key);
    if (!v) {
      v = make();
      map.set(key, v);
    }
    return v;
  }

  private describe(where: string, validate: ValidateFunction): string[] {
    return (validate.errors ?? []).map(
      e =>
        `${where}: ${e.instancePath || '(root)'} ${e.message}${
          e.params && Object.keys(e.params).length
            ? ` ${JSON.stringify(e.params)}`
            : ''
        }`,
    );
  }

  /**
   * A copy of a resolved schema that ajv can compile: OpenAPI's
   * `discriminator` dropped (the `oneOf` branches are told apart by their
   * `eventType` enums anyway).
   */
  private loose(schema: Schema): Schema {
    return this.transform(schema, this.looseMemo, false);
  }

  /** As `loose`, with `allOf` merged and every object schema closed. */
  private strict(schema: Schema): Schema {
    return this.transform(schema, this.strictMemo, true);
  }

  private transform(
    schema: Schema,
    memo: WeakMap<object, Schema>,
    closed: boolean,
  ): Schema {
    if (!schema || typeof schema !== 'object') return schema;
    const done = memo.get(schema);
    if (done) return done;
    const out: Schema = {};
    memo.set(schema, out);
    const t = (s: Schema) => this.transform(s, memo, closed);
    for (const [k, v] of Object.entries(schema)) {
      if (k === 'discriminator') continue;
      if (k === 'properties') {
        out.properties = Object.fromEntries(
          Object.entries(v as Schema).map(([name, s]) => [name, t(s)]),
        );
      } else if (
        ['items', 'not'].includes(k) ||
        (k === 'additionalProperties' && typeof v === 'object')
      ) {
        out[k] = t(v);
      } else if (['oneOf', 'anyOf', 'allOf'].includes(k)) {
        out[k] = (v as Schema[]).map(t);
      } else {
        out[k] = v;
      }
    }
    if (closed && out.allOf) {
      // Merge object members into one schema, so that closing it sees
      // every member's properties.
      const members = out.allOf as Schema[];
      delete out.allOf;
      for (const m of members) {
        for (const [k, v] of Object.entries(m)) {
          if (k === 'properties') {
            out.properties = { ...out.properties, ...v };
          } else if (k === 'required') {
            out.required = [...new Set([...(out.required ?? []), ...v])];
          } else if (k === 'description' && out.description) {
            continue;
          } else if (k in out && JSON.stringify(out[k]) !== JSON.stringify(v)) {
            throw new Error(`Cannot merge allOf: conflicting '${k}'`);
          } else {
            out[k] = v;
          }
        }
      }
    }
    if (
      closed &&
      (out.type === 'object' || out.properties) &&
      out.additionalProperties === undefined
    ) {
      out.additionalProperties = false;
    }
    return out;
  }
}
