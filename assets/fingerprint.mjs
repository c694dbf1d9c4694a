// Content-hashed copies of the front-end assets, for far-future caching (shared/assets.py serves them).
//
// Each file in SOURCES (paths under shared/static) gets a copy named after its content, app.css becoming
// build/app.<12 hex digits of its SHA-256>.css, with gzip and Brotli copies beside it (.gz, .br) for browsers that
// accept them. A file's references to other assets (CSS url(...), JavaScript import specifiers) are rewritten to
// their hashed names first, so its own hash changes when theirs do. build/manifest.json maps each source to its
// hashed copy; the app reads it once at start-up (asset_url('build/app.css') in a template). Hashed copies of
// earlier builds are removed: a page only ever names the current ones.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { posix } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const STATIC = "shared/static";
const URL_PREFIX = "/static/";
// In order: a file's references are to files above it.
const SOURCES = ["build/govuk-frontend.min.js", "build/app.css", "js/upload-progress.js"];
// A hashed name, with its compressed copies (shared/assets.py's HASHED_NAME is the same pattern).
const HASHED = /\.[0-9a-f]{12}\.(css|js)(\.gz|\.br)?$/;
const CSS_URL = /url\(\s*(["']?)([^"')]+)\1\s*\)/g;
const JS_IMPORT = /(\bfrom\s*|\bimport\s*\(?\s*)(["'])([^"']+)\2/g;

for (const name of readdirSync(`${STATIC}/build`)) {
  if (HASHED.test(name)) {
    unlinkSync(`${STATIC}/build/${name}`);
  }
}

const manifest = {};
const unresolved = [];

// The source path (under shared/static) an asset reference points to, or null for one that is not ours (data:, https:).
function target(reference, source) {
  const path = reference.split(/[?#]/)[0];
  if (path.startsWith(URL_PREFIX)) {
    return path.slice(URL_PREFIX.length);
  }
  if (path.startsWith("./") || path.startsWith("../")) {
    return posix.normalize(posix.join(posix.dirname(source), path));
  }
  return null;
}

function hashed(reference, source) {
  const path = target(reference, source);
  if (path === null) {
    return reference;
  }
  if (!(path in manifest)) {
    unresolved.push(`${reference} (in ${source})`);
    return reference;
  }
  return URL_PREFIX + manifest[path];
}

for (const source of SOURCES) {
  let text = readFileSync(`${STATIC}/${source}`, "utf8");
  if (source.endsWith(".css")) {
    text = text.replace(CSS_URL, (_all, quote, ref) => `url(${quote}${hashed(ref, source)}${quote})`);
  } else {
    text = text.replace(JS_IMPORT, (_all, keyword, quote, ref) => `${keyword}${quote}${hashed(ref, source)}${quote}`);
  }
  const bytes = Buffer.from(text, "utf8");
  const digest = createHash("sha256").update(bytes).digest("hex").slice(0, 12);
  const extension = posix.extname(source);
  const name = `build/${posix.basename(source, extension)}.${digest}${extension}`;
  writeFileSync(`${STATIC}/${name}`, bytes);
  writeFileSync(`${STATIC}/${name}.gz`, gzipSync(bytes, { level: 9 }));
  writeFileSync(
    `${STATIC}/${name}.br`,
    brotliCompressSync(bytes, {
      params: { [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_QUALITY]: 11 },
    }),
  );
  manifest[source] = name;
}

writeFileSync(`${STATIC}/build/manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
// GOV.UK Frontend's CSS names the crest image of the footer's copyright logo, which AP Portal neither uses nor ships.
for (const reference of new Set(unresolved)) {
  console.log(`fingerprint: not an asset of ours, left as it is: ${reference}`);
}
