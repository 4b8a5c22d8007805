#!/usr/bin/env node
// The CLI runs from the transpiled sources in dist/ (built by `npm install` / `npm run build`).
import "../dist/src/cli/main.js";
