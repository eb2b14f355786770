// `npm run build`: the design system's style sheet with only the parts we use (assets/dkfds.scss)
// and the font files it names, from node_modules into static/build/ (not committed; ADR 0018).
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dkfds = join(root, "node_modules", "dkfds");
const out = join(root, "static", "build");
const fonts = join(dkfds, "dist", "fonts", "IBMPlexSans", "split", "woff2");

const { css } = sass.compile(join(root, "assets", "dkfds.scss"), {
  loadPaths: [join(dkfds, "src", "stylesheets")],
  style: "compressed",
  sourceMap: false,
  quietDeps: true,
  silenceDeprecations: ["import", "global-builtin", "color-functions", "if-function"],
});
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "fonts"), { recursive: true });
writeFileSync(join(out, "dkfds.css"), css + "\n");
const named = new Set([...css.matchAll(/url\("?fonts\/([^")]+)"?\)/g)].map((m) => m[1]));
for (const file of named) {
  if (!readdirSync(fonts).includes(file)) throw new Error(`no font ${file} in ${fonts}`);
  copyFileSync(join(fonts, file), join(out, "fonts", file));
}
console.log(`static/build/dkfds.css: ${css.length} bytes, ${named.size} font files`);
