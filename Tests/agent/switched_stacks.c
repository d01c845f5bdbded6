// A program that switches stacks, for RobustnessTests: its main work runs on a makecontext
// coroutine stack (heap memory, outside the thread stack the agent knows) and a SIGALRM handler
// runs on a sigaltstack, interrupting it. The walk must follow both and never fault.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <ucontext.h>
static volatile unsigned long sink;
static ucontext_t main_ctx, coro_ctx;
__attribute__((noinline)) void coro_work(void) { for (unsigned long i = 0; i < 1200000000; i++) sink += i ^ (i >> 3); }
__attribute__((noinline)) void coro_entry(void) {
    coro_work();
    struct itimerval off = { {0, 0}, {0, 0} };
    setitimer(ITIMER_REAL, &off, NULL);   // every alarm interrupts the coroutine, none main's printf
    sink++;
}
__attribute__((noinline)) void alt_work(void) { for (unsigned long i = 0; i < 10000000; i++) sink += i * 3; }
__attribute__((noinline)) void on_alarm(int s) { (void)s; alt_work(); sink++; }
int main(void) {
    stack_t ss = { .ss_sp = malloc(1 << 16), .ss_size = 1 << 16, .ss_flags = 0 };
    sigaltstack(&ss, NULL);
    struct sigaction sa = { 0 };
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_ONSTACK | SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = { {0, 20000}, {0, 20000} };
    setitimer(ITIMER_REAL, &it, NULL);
    getcontext(&coro_ctx);
    coro_ctx.uc_stack.ss_sp = malloc(1 << 20);
    coro_ctx.uc_stack.ss_size = 1 << 20;
    coro_ctx.uc_link = &main_ctx;
    makecontext(&coro_ctx, coro_entry, 0);
    swapcontext(&main_ctx, &coro_ctx);
    printf("ok %lu\n", sink & 1);
    return 0;
}
