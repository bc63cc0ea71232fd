// Builds the front-end assets into src/connecting_people/core/static/nhsuk/ (not committed):
// the NHS.UK frontend stylesheet compiled with our settings, its script and its images.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const frontend = join(root, "node_modules", "nhsuk-frontend", "dist", "nhsuk");
const out = join(root, "src", "connecting_people", "core", "static", "nhsuk");

mkdirSync(join(out, "css"), { recursive: true });
mkdirSync(join(out, "js"), { recursive: true });

const css = sass.compile(join(root, "src", "connecting_people", "core", "assets", "scss", "app.scss"), {
  loadPaths: [join(root, "node_modules")],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import", "global-builtin"],
});
writeFileSync(join(out, "css", "app.css"), css.css);
// The source map is not shipped, so the comment pointing at it goes too: every reference in a static file must
// resolve (the deploy check and the production smoke test fetch them all).
const script = readFileSync(join(frontend, "nhsuk-frontend.min.js"), "utf8");
writeFileSync(join(out, "js", "nhsuk-frontend.min.js"), script.replace(/\/\/# sourceMappingURL=\S+\s*$/, ""));
cpSync(join(frontend, "assets"), join(out, "assets"), { recursive: true });
console.log(`assets built in ${out}`);
