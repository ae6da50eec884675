import { createRequire } from "node:module";
import { Language, type Node, Parser, type Tree } from "web-tree-sitter";

/**
 * PowerShell's grammar for tests: the WebAssembly build that the
 * tree-sitter-powershell package ships, loaded by web-tree-sitter (no native
 * build, no download). It reads a script as a parser does, so an unclosed
 * `@{`, `{` or `(`, a string left open or a statement cut short shows as an
 * ERROR or MISSING node.
 *
 * It does not know what PowerShell's tokenizer does with typographic quotes
 * (‘ ’ ‚ ‛ end a single-quoted string in PowerShell, not in this grammar), so
 * quoting is still tested with a reader of PowerShell's literals as well.
 */
const WASM = createRequire(import.meta.url).resolve("tree-sitter-powershell/tree-sitter-powershell.wasm");

let parser: Promise<Parser> | undefined;

function powershellParser(): Promise<Parser> {
  parser ??= (async () => {
    await Parser.init();
    const p = new Parser();
    p.setLanguage(await Language.load(WASM));
    return p;
  })();
  return parser;
}

/** A place where the grammar could not read the script. Lines and columns count from 1. */
export interface SyntaxProblem {
  kind: "ERROR" | "MISSING";
  line: number;
  column: number;
  /** The text of the ERROR node (cut to 80 characters), or the token that is MISSING. */
  text: string;
}

/** The script's syntax tree. A leading byte order mark is dropped: PowerShell reads it as the encoding, not as text. */
export async function parsePowerShell(script: string): Promise<Tree> {
  const tree = (await powershellParser()).parse(script.charCodeAt(0) === 0xfeff ? script.slice(1) : script);
  if (tree === null) throw new Error("tree-sitter-powershell returned no tree");
  return tree;
}

/** Every ERROR and MISSING node of the script, in text order; none for a script PowerShell's grammar reads. */
export async function powershellSyntaxProblems(script: string): Promise<SyntaxProblem[]> {
  const tree = await parsePowerShell(script);
  try {
    const problems: SyntaxProblem[] = [];
    const visit = (node: Node) => {
      if (node.isError || node.isMissing) {
        problems.push({
          kind: node.isMissing ? "MISSING" : "ERROR",
          line: node.startPosition.row + 1,
          column: node.startPosition.column + 1,
          text: node.isMissing ? node.type : node.text.slice(0, 80),
        });
      }
      for (const child of node.children) visit(child);
    };
    visit(tree.rootNode);
    return problems;
  } finally {
    tree.delete();
  }
}

/** Every node of `type` under `node`, in text order. */
export function nodesOfType(node: Node, type: string): Node[] {
  return node.descendantsOfType(type).filter((n): n is Node => n !== null);
}
