import { parse as parseYaml } from 'yaml';

/** A fenced code block of a Markdown file, with the CI example marker before it. */
export interface CodeBlock {
  /** From `<!-- ci-example: <kind> -->` on the last non-blank line before the fence. */
  kind?: string;
  /** Where the fence opens, e.g. `README.md:646`. */
  where: string;
  lang: string;
  code: string;
}

const MARKER = /^<!-- ci-example: ([\w-]+) -->$/;

/** Every fenced block of a Markdown text, indented ones (in lists) included. */
export function codeBlocks(name: string, markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  let kind: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i].match(/^(\s*)(`{3,})(\S*)\s*$/);
    if (!open) {
      if (lines[i].trim()) kind = lines[i].trim().match(MARKER)?.[1];
      continue;
    }
    const [, indent, fence, lang] = open;
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && lines[i].trim() !== fence) {
      body.push(
        lines[i].startsWith(indent) ? lines[i].slice(indent.length) : lines[i],
      );
    }
    blocks.push({
      kind,
      where: `${name}:${start + 1}`,
      lang,
      code: `${body.join('\n')}\n`,
    });
    kind = undefined;
  }
  return blocks;
}

/**
 * Whether an unmarked block looks like a CI example, so it can't escape the
 * test by losing (or never getting) its marker: a shell block that calls
 * curl or the AWS CLI, a Jenkins pipeline, a GitHub Actions step, or code
 * on the AWS SDK.
 */
export function looksLikeCiExample(block: CodeBlock): boolean {
  switch (block.lang) {
    case 'sh':
    case 'bash':
    case 'shell':
      return /\b(curl|aws)\s/.test(block.code);
    case 'groovy':
      return true;
    case 'yaml':
    case 'yml':
      return /^\s*(- )?run:/m.test(block.code);
    case 'ts':
    case 'js':
      return block.code.includes('@aws-sdk/');
    default:
      return false;
  }
}

/**
 * Replaces each `${{ expression }}` (GitHub) or `${expression}` (a Groovy
 * GString) with the value the test gives that expression; one it has no
 * value for fails, so an example can't use a value the test doesn't set.
 */
function substitute(
  text: string,
  pattern: RegExp,
  values: Record<string, string>,
): string {
  return text.replace(pattern, (_, expression: string) => {
    const value = values[expression.trim()];
    if (value === undefined) {
      throw new Error(`The test gives no value for ${expression.trim()}`);
    }
    return value;
  });
}

/** A shell script and the environment its CI runs it in. */
export interface ShellStep {
  script: string;
  env: Record<string, string>;
}

/**
 * The `run` scripts of a list of GitHub Actions steps, with each step's
 * `env`, and the expressions in either replaced as the runner would.
 */
export function githubActionsSteps(
  yaml: string,
  expressions: Record<string, string>,
): ShellStep[] {
  const steps: Array<{ run?: string; env?: Record<string, unknown> }> =
    parseYaml(yaml);
  if (!Array.isArray(steps)) {
    throw new Error('A GitHub Actions example is a list of steps');
  }
  const expand = (text: string) =>
    substitute(text, /\$\{\{(.*?)\}\}/g, expressions);
  return steps.flatMap(step =>
    step.run === undefined
      ? []
      : [
          {
            script: expand(step.run),
            env: Object.fromEntries(
              Object.entries(step.env ?? {}).map(([name, value]) => [
                name,
                expand(String(value)),
              ]),
            ),
          },
        ],
  );
}

// What Groovy makes of a backslash in a single-quoted string; any other
// escape doesn't compile.
const GROOVY_ESCAPES: Record<string, string> = {
  '\n': '',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  '\\': '\\',
  "'": "'",
  '"': '"',
  $: '$',
};

function groovySingleQuoted(text: string): string {
  return text.replace(/\\([\s\S])/g, (_, c: string) => {
    const value = GROOVY_ESCAPES[c];
    if (value === undefined)
      throw new Error(`Groovy rejects the escape \\${c}`);
    return value;
  });
}

/**
 * The `sh` steps of a Jenkins pipeline as Jenkins runs them: the body of
 * each single-quoted step with Groovy's escapes applied, in the environment
 * of the pipeline's `withEnv` (GString expressions replaced by the test's
 * `groovy` values) and `withCredentials` (each variable: `credential`).
 */
export function jenkinsShSteps(
  pipeline: string,
  groovy: Record<string, string>,
  credential: string,
): ShellStep[] {
  const env: Record<string, string> = {};
  for (const [, list] of pipeline.matchAll(/withEnv\(\[([^\]]*)\]\)/g)) {
    for (const [, quote, name, value] of list.matchAll(
      /(["'])(\w+)=(.*?)\1/g,
    )) {
      env[name] =
        quote === '"' ? substitute(value, /\$\{([^}]*)\}/g, groovy) : value;
    }
  }
  for (const [, name] of pipeline.matchAll(/variable:\s*'(\w+)'/g)) {
    env[name] = credential;
  }
  return [...pipeline.matchAll(/\bsh\s*\(?\s*('''|"""|'|")([\s\S]*?)\1/g)].map(
    ([, quote, body]) => {
      if (quote.startsWith('"')) {
        // Groovy would interpolate it before the shell sees it.
        throw new Error('Write sh steps single-quoted; the shell reads env');
      }
      return { script: groovySingleQuoted(body), env };
    },
  );
}
