// Loads syntaxes/prop.tmLanguage.json with the engine VS Code uses (vscode-textmate and
// the oniguruma regex library), for the checks in this folder.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
export const vsctm = require("vscode-textmate");
const onig = require("vscode-oniguruma");

export const grammarPath = path.join(path.dirname(fileURLToPath(import.meta.url)), "../syntaxes/prop.tmLanguage.json");

/** The grammar's text, its JSON, and the loaded grammar (`tokenizeLine`). */
export async function loadGrammar() {
  const text = fs.readFileSync(grammarPath, "utf8");
  const raw = JSON.parse(text);
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await onig.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources) => new onig.OnigScanner(sources),
      createOnigString: (s) => new onig.OnigString(s),
    }),
    loadGrammar: async (scopeName) => (scopeName === raw.scopeName ? vsctm.parseRawGrammar(text, grammarPath) : null),
  });
  return { text, raw, grammar: await registry.loadGrammar(raw.scopeName) };
}
