// Keyword coverage: every token the lexer (grammar/src/lexer.rs) defines with
// `#[token("...")]` is highlighted by the TextMate grammar, and every builtin of
// compiler/src/elab/builtins.rs is too; the grammar highlights no word as a keyword,
// type or builtin that the compiler does not know.
//
//   node test/keywords.mjs            (run by `npm test`)
//
// Checks, each word tokenized with the real grammar (vscode-textmate + oniguruma):
//   - keywords (`import`, `forall`, ..., `true`) get a `keyword.*` or
//     `constant.language.*` scope, type names (`Real`, ...) a `support.type.*` scope;
//   - each of them also appears literally in the grammar file;
//   - operators and punctuation (`<=>`, `..`, `(`, ...) are one token with a
//     `keyword.operator.*` or `punctuation.*` scope;
//   - builtins called as `name(x)` get `support.function.builtin.*`;
//   - the words listed in the grammar's keyword, type and builtin rules are exactly those.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadGrammar, grammarPath, vsctm } from "./textmate.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../../..");
const lexerPath = process.env.PROPC_LEXER ?? path.join(root, "grammar/src/lexer.rs");
const builtinsPath = process.env.PROPC_BUILTINS ?? path.join(root, "compiler/src/elab/builtins.rs");

const failures = [];
const fail = (msg) => failures.push(msg);

// ---- the lexer's tokens: `#[token("text")]` followed (after other attributes) by its variant
const lexer = fs.readFileSync(lexerPath, "utf8");
const tokens = []; // { text, variant }
for (const m of lexer.matchAll(/#\[token\("((?:[^"\\]|\\.)*)"[^\]]*\)\]\s*(?:#\[[^\]]*\]\s*)*(\w+)/g)) {
  tokens.push({ text: m[1].replace(/\\(.)/g, "$1"), variant: m[2] });
}
const isWord = (t) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(t);
const keywords = tokens.filter((t) => isWord(t.text) && !t.variant.startsWith("Ty"));
const typeNames = tokens.filter((t) => isWord(t.text) && t.variant.startsWith("Ty"));
// `/*` opens a block comment: not an operator.
const symbols = tokens.filter((t) => !isWord(t.text) && t.text !== "/*");

// Guard against a parse that silently finds nothing: `is_keyword` and `is_type_name`
// list the variants that must all have been found.
function variantsOf(fnName) {
  const body = lexer.match(new RegExp(`fn ${fnName}\\([^)]*\\)[^{]*\\{([\\s\\S]*?)\\n    \\}`));
  if (!body) {
    fail(`lexer.rs: no \`fn ${fnName}\` found (has the lexer changed shape?)`);
    return [];
  }
  const list = body[1].match(/matches!\(\s*self,([\s\S]*?)\)/);
  return list ? list[1].split("|").map((s) => s.trim()).filter(Boolean) : [];
}
for (const [fnName, found] of [["is_keyword", keywords], ["is_type_name", typeNames]]) {
  const expected = variantsOf(fnName);
  if (expected.length === 0) fail(`lexer.rs: \`${fnName}\` lists no variants`);
  for (const v of expected) {
    if (!found.some((t) => t.variant === v)) fail(`lexer.rs: variant ${v} (in ${fnName}) has no #[token("...")] parsed`);
  }
}
if (symbols.length < 20) fail(`lexer.rs: only ${symbols.length} operator/punctuation tokens parsed`);

// ---- the compiler's builtins: `pub const NAMES: &[&str] = &[ "abs", ... ];`
let builtins = [];
if (fs.existsSync(builtinsPath)) {
  const m = fs.readFileSync(builtinsPath, "utf8").match(/pub const NAMES: &\[&str\] = &\[([^\]]*)\]/);
  if (m) builtins = [...m[1].matchAll(/"(\w+)"/g)].map((x) => x[1]);
  else fail(`${builtinsPath}: no \`pub const NAMES\` list found`);
} else {
  fail(`${builtinsPath} not found`);
}

// ---- the grammar
const { text: grammarText, raw: rawGrammar, grammar } = await loadGrammar();

/** The scopes of the token exactly covering `text` at `col` in `line`, or an error. */
function scopesAt(line, col, text) {
  const { tokens: toks } = grammar.tokenizeLine(line, vsctm.INITIAL);
  const tok = toks.find((t) => t.startIndex === col && t.endIndex === col + text.length);
  if (tok) return tok.scopes;
  const got = toks.map((t) => JSON.stringify(line.slice(t.startIndex, t.endIndex))).join(" ");
  return `is not one token in ${JSON.stringify(line)} (tokens: ${got})`;
}

function expectScope(line, text, prefixes, what) {
  const col = line.indexOf(text);
  const scopes = scopesAt(line, col, text);
  if (typeof scopes === "string") return fail(`${what} \`${text}\` ${scopes}`);
  const inner = scopes[scopes.length - 1];
  if (!prefixes.some((p) => inner.startsWith(p))) {
    fail(`${what} \`${text}\` in ${JSON.stringify(line)} is scoped ${inner}, expected ${prefixes.join(" or ")}*`);
  }
}

let checked = 0;
for (const { text } of keywords) {
  // Alone on a line, and inside an expression.
  expectScope(text, text, ["keyword.", "constant.language."], "keyword");
  expectScope(`let a = b ${text} c`, text, ["keyword.", "constant.language."], "keyword");
  if (!new RegExp(`[(|]${text}[|)]`).test(grammarText)) fail(`keyword \`${text}\` is not listed in ${path.basename(grammarPath)}`);
  checked++;
}
for (const { text } of typeNames) {
  expectScope(text, text, ["support.type."], "type name");
  expectScope(`param p : ${text}[3] = x`, text, ["support.type."], "type name");
  if (!new RegExp(`[(|]${text}[|)]`).test(grammarText)) fail(`type name \`${text}\` is not listed in ${path.basename(grammarPath)}`);
  checked++;
}
for (const { text } of symbols) {
  expectScope(`let a = b ${text} c`, text, ["keyword.operator.", "punctuation."], "operator");
  checked++;
}
for (const name of builtins) {
  expectScope(`let a = ${name}(x)`, name, ["support.function.builtin."], "builtin");
  checked++;
}

// ---- reverse: the words of the grammar's keyword, type and builtin rules are known
const known = new Set([...keywords, ...typeNames].map((t) => t.text).concat(builtins));
const wordRules = ["keywords", "types", "calls"].flatMap((r) => rawGrammar.repository[r]?.patterns ?? []);
for (const rule of wordRules) {
  const alternation = rule.match?.match(/^\\b\(([\w|]+)\)\\b/);
  if (!alternation) continue;
  for (const word of alternation[1].split("|")) {
    if (!known.has(word)) fail(`the grammar highlights \`${word}\` (${rule.name}), which is no keyword, type or builtin`);
  }
}

console.log(
  `keywords.mjs: ${keywords.length} keywords, ${typeNames.length} type names, ` +
    `${symbols.length} operators/punctuation, ${builtins.length} builtins: ` +
    `${checked} checked, ${failures.length} failure(s)`,
);
for (const f of failures) console.error(`  FAIL ${f}`);
process.exit(failures.length === 0 ? 0 : 1);
