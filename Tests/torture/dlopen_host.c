// A C host that loads a Swift library with dlopen (RTLD_LOCAL, as Python's ctypes and most
// plugin hosts do) and runs its tasks: prints "tasks 8" and exits 0.
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    int (*run)(void) = (int (*)(void))dlsym(lib, "torture_run_tasks");
    if (!run) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    printf("tasks %d\n", run());
    return 0;
}
