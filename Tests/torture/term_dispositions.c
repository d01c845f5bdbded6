// SIGINT and SIGTERM as a program sees them under the agent (which puts a handler of its own on
// signals left at their default action, to dump live tasks before the process dies): sigaction
// and signal must report the default action, a handler of the program's must get the signal, an
// ignored SIGINT must stay ignored, and an unhandled SIGTERM must still kill the process.
//   term_dispositions         prints what it sees, exits 3 from its own SIGTERM handler
//   term_dispositions die     raises SIGTERM at the default action: killed by signal 15
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static void on_term(int sig) { got = sig; }

static const char *name(void *h) { return h == (void *)SIG_DFL ? "default" : h == (void *)SIG_IGN ? "ignore" : "handler"; }

int main(int argc, char **argv) {
    struct sigaction old;
    sigaction(SIGINT, NULL, &old);
    printf("SIGINT %s\n", name((void *)old.sa_handler));
    sigaction(SIGTERM, NULL, &old);
    printf("SIGTERM %s\n", name((void *)old.sa_handler));
    fflush(stdout);
    if (argc > 1 && strcmp(argv[1], "die") == 0) {
        raise(SIGTERM);
        printf("still alive\n");
        return 0;
    }
    // Ignored stays ignored.
    void (*prev)(int) = signal(SIGINT, SIG_IGN);
    printf("signal(SIGINT) returned %s\n", name((void *)prev));
    raise(SIGINT);
    printf("survived an ignored SIGINT\n");
    // The program's own handler gets the signal, and sigaction reports it.
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, &old);
    printf("replaced SIGTERM %s\n", name((void *)old.sa_handler));
    sigaction(SIGTERM, NULL, &old);
    printf("SIGTERM now %s\n", name((void *)old.sa_handler));
    raise(SIGTERM);
    printf("handled signal %d\n", (int)got);
    return 3;
}
