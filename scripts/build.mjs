#!/usr/bin/env node
import { build, install, main } from "./lib.mjs";
main(() => {
  if (!process.argv.includes("--no-install")) install();
  build();
});
