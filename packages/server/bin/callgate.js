#!/usr/bin/env node
// The `callgate` command. The CLI runs in this very process (no child), so a signal sent to its
// PID reaches the server: SIGTERM/SIGINT drain the calls and exit.
//
// `npx callgate …` and `npm start` run this file under npm, through `sh -c`: npm passes SIGTERM
// and SIGINT on to that shell, which dies of them without passing them on. So, under npm, when
// the process that started this one is gone and no signal came, take it as SIGTERM: killing the
// PID of `npx callgate serve … &` then stops the server too.
if (process.env.npm_command !== undefined) stopWithParent();

await import('../dist/cli.js');

function stopWithParent() {
  const parent = process.ppid;
  let signalled = false;
  for (const signal of ['SIGINT', 'SIGTERM']) {
    const noted = () => {
      signalled = true;
      // Nobody else handles it (a command that does not serve, or not yet): do what Node would.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, noted);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, noted);
  }
  setInterval(() => {
    if (!signalled && process.ppid !== parent) {
      signalled = true;
      process.kill(process.pid, 'SIGTERM');
    }
  }, 250).unref();
}
