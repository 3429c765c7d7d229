#!/usr/bin/env node
// The installed `probelab` command. probelab runs its TypeScript sources directly, which needs a Node
// that strips types natively (24.11+); the project pins one in node_modules (see README, "Runtime").
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 24 || (major === 24 && minor < 11)) {
  process.stderr.write(
    `error: probelab needs Node.js 24.11 or newer, this is ${process.version}.\n` +
      'Run it through npm so the pinned Node in node_modules/.bin is used: npm run probelab -- <command>\n',
  );
  process.exit(2);
}
await import('../harness/cli/main.ts');
