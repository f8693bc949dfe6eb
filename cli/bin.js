#!/usr/bin/env node
// The `pg-backup-stack` command (package.json "bin"): runs the TypeScript CLI through ts-node,
// which `npm ci` installs, so that `npx pg-backup-stack` works in a clone without a build step.
const path = require("node:path");
require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "..", "tsconfig.json") });
require("./main.ts");
