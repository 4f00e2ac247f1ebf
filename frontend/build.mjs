// Refresh server/static/vendor from the versions package-lock.json pins: npm ci && npm run build.
// Bundles the editor (CodeMirror 6) and copies cytoscape.js, with the licences of both.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, writeFileSync, readFileSync } from "node:fs";

const out = new URL("../server/static/vendor/", import.meta.url);
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [new URL("editor.js", import.meta.url).pathname],
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  legalComments: "none",
  outfile: new URL("editor.min.js", out).pathname,
});
copyFileSync(new URL("node_modules/cytoscape/dist/cytoscape.min.js", import.meta.url), new URL("cytoscape.min.js", out));
const licences = ["cytoscape", "@codemirror/view", "@codemirror/state", "@codemirror/language", "@codemirror/legacy-modes",
  "@codemirror/autocomplete", "@codemirror/commands", "@codemirror/lint", "@codemirror/search", "@lezer/common",
  "@lezer/highlight", "@lezer/lr", "@marijn/find-cluster-break", "style-mod", "w3c-keyname", "crelt"];
const text = licences.map((name) => {
  const folder = new URL(`node_modules/${name}/`, import.meta.url);
  const { version } = JSON.parse(readFileSync(new URL("package.json", folder)));
  return `${name} ${version}\n\n${readFileSync(new URL("LICENSE", folder), "utf8").trim()}\n`;
});
writeFileSync(new URL("LICENSES.txt", out), `Third-party code bundled in this folder (frontend/build.mjs).\n\n${text.join("\n----\n\n")}`);
