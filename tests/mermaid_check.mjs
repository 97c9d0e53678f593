// Parse every ```mermaid block of the given Markdown files with Mermaid's own parser
// (in a jsdom window: Mermaid expects a browser). Prints "ok <file> #<n>" or
// "FAIL <file> #<n>: <error>"; exits 1 if any block fails. Run from a folder whose
// node_modules hold mermaid and jsdom (tests/test_docs_mermaid.py copies it there).
import fs from "node:fs";
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

let failed = 0;
for (const file of process.argv.slice(2)) {
  const text = fs.readFileSync(file, "utf8");
  const blocks = [...text.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((match) => match[1]);
  for (const [index, block] of blocks.entries()) {
    try {
      await mermaid.parse(block);
      console.log(`ok ${file} #${index + 1}`);
    } catch (error) {
      failed += 1;
      console.log(`FAIL ${file} #${index + 1}: ${String(error?.message ?? error)}`);
    }
  }
}
process.exit(failed ? 1 : 0);
