/*
 * nsexec — probelab's stand-in for Chaos Mesh's nsexec (chaos-daemon runs /usr/local/bin/nsexec).
 *
 * Contract (the subset chaos-daemon's process builder, pkg/bpm, emits):
 *   nsexec [-c PATH] [-i PATH] [-u PATH] [-n PATH] [-p PATH] [-m PATH] -- CMD [ARG...]
 * Each PATH is a namespace file such as /proc/<pid>/ns/net. All files are opened first (in our
 * own mount namespace), then entered in the order cgroup, ipc, uts, net, pid, mnt — mnt last,
 * because after it our view of /proc may be the target's. CMD is then forked and exec'd, so it
 * runs inside every entered namespace (a pid namespace only applies to children) and CMD is
 * looked up in the target's filesystem when -m was given.
 *
 * The parent forwards SIGINT and SIGTERM to the child as SIGTERM (chaos-daemon stops background
 * chaos processes with SIGTERM sent to this process), the child gets SIGTERM if this process
 * dies, and the exit status is the child's (128+N when the child was killed by signal N).
 *
 * Not supported, rejected with exit status 2: -l (run a local binary inside the target's mount
 * namespace through an LD_PRELOAD library). Only IOChaos, HTTPChaos, JVMChaos and BlockChaos
 * use it, and their helper programs (toda, tproxy, byteman, cdh) are not in probelab's image.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct namespace_option {
  char flag;
  const char *name;
  int clone_flag;
  const char *path;
  int fd;
};

/* Entry order matters: see the contract above. */
static struct namespace_option namespaces[] = {
    {'c', "cgroup", CLONE_NEWCGROUP, NULL, -1}, {'i', "ipc", CLONE_NEWIPC, NULL, -1},
    {'u', "uts", CLONE_NEWUTS, NULL, -1},       {'n', "net", CLONE_NEWNET, NULL, -1},
    {'p', "pid", CLONE_NEWPID, NULL, -1},       {'m', "mnt", CLONE_NEWNS, NULL, -1},
};
#define NAMESPACE_COUNT (sizeof(namespaces) / sizeof(namespaces[0]))

static volatile sig_atomic_t child_pid = 0;

static void usage_error(const char *detail) {
  fprintf(stderr,
          "nsexec: %s\nusage: nsexec [-c PATH] [-i PATH] [-u PATH] [-n PATH] [-p PATH] [-m PATH] -- CMD [ARG...]\n",
          detail);
  exit(2);
}

static void forward_as_sigterm(int signal_number) {
  (void)signal_number;
  if (child_pid > 0) kill(child_pid, SIGTERM);
}

static struct namespace_option *namespace_for_flag(char flag) {
  for (size_t i = 0; i < NAMESPACE_COUNT; i++)
    if (namespaces[i].flag == flag) return &namespaces[i];
  return NULL;
}

int main(int argc, char *argv[]) {
  int arg = 1;
  for (; arg < argc; arg++) {
    const char *option = argv[arg];
    if (strcmp(option, "--") == 0) {
      arg++;
      break;
    }
    if (strcmp(option, "-l") == 0)
      usage_error("-l (local mount namespace through libnsenter) is not supported by probelab's nsexec; "
                  "IOChaos, HTTPChaos, JVMChaos and BlockChaos are not available in this chaos-daemon image");
    struct namespace_option *ns = NULL;
    if (option[0] == '-' && option[1] != '\0' && option[2] == '\0') ns = namespace_for_flag(option[1]);
    if (ns == NULL) {
      char detail[256];
      snprintf(detail, sizeof detail, "unknown option '%s'; namespace flags are -c -i -u -n -p -m, then -- CMD", option);
      usage_error(detail);
    }
    if (arg + 1 >= argc) {
      char detail[128];
      snprintf(detail, sizeof detail, "option %s needs a namespace file path such as /proc/PID/ns/%s", option, ns->name);
      usage_error(detail);
    }
    ns->path = argv[++arg];
  }
  if (arg >= argc) usage_error("no command given after --");

  for (size_t i = 0; i < NAMESPACE_COUNT; i++) {
    if (namespaces[i].path == NULL) continue;
    namespaces[i].fd = open(namespaces[i].path, O_RDONLY | O_CLOEXEC);
    if (namespaces[i].fd < 0) {
      fprintf(stderr, "nsexec: open %s namespace file %s: %s\n", namespaces[i].name, namespaces[i].path, strerror(errno));
      return 1;
    }
  }
  for (size_t i = 0; i < NAMESPACE_COUNT; i++) {
    if (namespaces[i].fd < 0) continue;
    if (setns(namespaces[i].fd, namespaces[i].clone_flag) != 0) {
      fprintf(stderr, "nsexec: enter %s namespace %s: %s\n", namespaces[i].name, namespaces[i].path, strerror(errno));
      return 1;
    }
    close(namespaces[i].fd);
  }

  /* Block the forwarded signals until child_pid is set, so none is lost in between. */
  sigset_t forwarded, previous;
  sigemptyset(&forwarded);
  sigaddset(&forwarded, SIGINT);
  sigaddset(&forwarded, SIGTERM);
  sigprocmask(SIG_BLOCK, &forwarded, &previous);
  struct sigaction action = {0};
  action.sa_handler = forward_as_sigterm;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, NULL);
  sigaction(SIGTERM, &action, NULL);

  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "nsexec: fork: %s\n", strerror(errno));
    return 1;
  }
  if (pid == 0) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    /* After a pid-namespace switch getppid() reads 0; only a changed, nonzero parent means it died. */
    pid_t now = getppid();
    if (now != 0 && now != parent) _exit(1);
    sigprocmask(SIG_SETMASK, &previous, NULL);
    execvp(argv[arg], &argv[arg]);
    fprintf(stderr, "nsexec: exec %s: %s\n", argv[arg], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
  }
  child_pid = pid;
  sigprocmask(SIG_SETMASK, &previous, NULL);

  int status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      fprintf(stderr, "nsexec: wait for %s: %s\n", argv[arg], strerror(errno));
      return 1;
    }
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
