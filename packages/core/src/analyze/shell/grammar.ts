// Loads the bash grammar (web-tree-sitter + tree-sitter-bash WASM) once per process.
import { createRequire } from 'node:module';
import { Language, Parser } from 'web-tree-sitter';

export type { Node as SyntaxNode, Parser, Tree } from 'web-tree-sitter';

let loading: Promise<Parser> | undefined;

/** One shared parser: tree-sitter parsers are synchronous, so sharing within one thread is safe. */
export function loadBashParser(): Promise<Parser> {
  loading ??= (async () => {
    await Parser.init();
    const require = createRequire(import.meta.url);
    const language = await Language.load(require.resolve('tree-sitter-bash/tree-sitter-bash.wasm'));
    const parser = new Parser();
    parser.setLanguage(language);
    return parser;
  })();
  // A failed load must not poison later attempts (e.g. a transient fs error).
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}
