// Copies the GOV.UK Frontend JavaScript next to the compiled CSS (no crown images, no fonts).
import { copyFileSync, mkdirSync } from "node:fs";

mkdirSync("shared/static/build", { recursive: true });
copyFileSync("node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js", "shared/static/build/govuk-frontend.min.js");
