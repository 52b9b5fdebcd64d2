#!/usr/bin/env node
// The README's run command: install, build, then serve the whole product on one port. With no
// DATABASE_URL the server uses the embedded database in ./data, migrates it and runs the
// sandbox providers, so nothing else needs to be installed or configured.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { build, install, log, main, root } from "./lib.mjs";

main(() => {
  install();
  // The build's own output (vite's chunk tables) only when it fails.
  build({ quiet: true });
  log("starting Switchboard");
  const child = spawn(process.execPath, ["--enable-source-maps", join(root, "api/dist/main.js")], { cwd: root, stdio: "inherit" });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
});
