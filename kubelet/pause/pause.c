/*
 * skiff's pause: the first process of every pod.
 *
 * It holds the pod's namespaces (network, IPC, PID when shared) while the app containers
 * come and go, so it must do nothing, forever, and cost nothing. Two duties come with being
 * PID 1 of a shared PID namespace: reap the orphans that get reparented to it (or they stay
 * zombies), and exit promptly on SIGTERM/SIGINT (the kernel ignores signals that PID 1 has
 * no handler for, so without one `docker stop` would wait for its kill timeout).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define VERSION "3.9-skiff"

static void sigdown(int signo) {
    (void)signo;
    /* Only async-signal-safe calls in a handler. */
    static const char msg[] = "pause: shutting down\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    _exit(0);
}

static void sigreap(int signo) {
    (void)signo;
    int saved = errno;
    /* One SIGCHLD may stand for several children: reap all that are ready. */
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    errno = saved;
}

static int on(int signo, void (*handler)(int), int flags) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    action.sa_flags = flags;
    sigemptyset(&action.sa_mask);
    return sigaction(signo, &action, NULL);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--version") == 0) {
            printf("pause %s\n", VERSION);
            return 0;
        }
        fprintf(stderr, "usage: %s [-v]\n"
                        "  waits forever as a pod's first process; reaps orphans;\n"
                        "  exits 0 on SIGTERM or SIGINT. -v prints the version.\n", argv[0]);
        return 2;
    }
    if (getpid() != 1) {
        fprintf(stderr, "pause: warning: not PID 1, orphans will not be reparented here\n");
    }
    if (on(SIGINT, sigdown, 0) < 0 || on(SIGTERM, sigdown, 0) < 0 ||
        on(SIGCHLD, sigreap, SA_NOCLDSTOP | SA_RESTART) < 0) {
        perror("pause: sigaction");
        return 1;
    }
    for (;;) {
        pause();
    }
    fprintf(stderr, "pause: the wait loop ended\n");
    return 42;
}
