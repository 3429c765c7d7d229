/*
 * pause — probelab's stand-in for Chaos Mesh's chaos "pause" (chaos-daemon runs
 * /usr/local/bin/pause CMD [ARG...] for StressChaos).
 *
 * Contract: wait until SIGCONT arrives, then exec CMD with its arguments (looked up in PATH).
 * chaos-daemon starts the process, moves it into the target container's cgroup while it waits,
 * then sends SIGCONT repeatedly until /proc/<pid>/comm is no longer "pause" — so this binary must
 * be named pause, must not exec before SIGCONT, and must exec the command in place (same pid).
 * Exit status 127/126 when CMD cannot be found/run, 2 when no CMD is given.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t continued = 0;

static void note_continue(int signal_number) {
  (void)signal_number;
  continued = 1;
}

int main(int argc, char *argv[]) {
  if (argc < 2) {
    fprintf(stderr, "pause: no command given\nusage: pause CMD [ARG...]  (waits for SIGCONT, then execs CMD)\n");
    return 2;
  }
  sigset_t with_cont_blocked, waiting;
  sigemptyset(&with_cont_blocked);
  sigaddset(&with_cont_blocked, SIGCONT);
  sigprocmask(SIG_BLOCK, &with_cont_blocked, &waiting);
  sigdelset(&waiting, SIGCONT);
  struct sigaction action = {0};
  action.sa_handler = note_continue;
  sigemptyset(&action.sa_mask);
  sigaction(SIGCONT, &action, NULL);
  while (!continued) sigsuspend(&waiting);

  signal(SIGCONT, SIG_DFL);
  sigprocmask(SIG_UNBLOCK, &with_cont_blocked, NULL);
  execvp(argv[1], &argv[1]);
  fprintf(stderr, "pause: exec %s: %s\n", argv[1], strerror(errno));
  return errno == ENOENT ? 127 : 126;
}
