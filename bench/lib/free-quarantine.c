// An LD_PRELOAD quarantine for small frees, built and used by bench/free-quarantine. A freed block of at most
// 24 usable bytes (glibc's smallest bin, where the crash of docs/operations.md "Sockets" was) is filled with
// 0xA5 and kept aside instead of freed; when it leaves the quarantine (after 32,768 more such frees, or at
// exit) it must still hold 0xA5 everywhere, else something wrote to it after free(): the block, the bytes
// found and the stack of the free() go to stderr as "UAF-WRITE". At exit: "UAF-CHECK done: N reports".
// Larger blocks are freed as usual. It slows every small free by a backtrace.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#define RING (1 << 15)
#define DEPTH 12
struct slot { void *p; size_t n; int tid; int depth; void *bt[DEPTH]; };
static struct slot ring[RING];
static unsigned long next_slot;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static void (*real_free)(void *);
static __thread int in_hook;
static volatile int reports;

static void check(struct slot *s) {
    unsigned char *b = s->p;
    for (size_t i = 0; i < s->n; i++) {
        if (b[i] != 0xA5) {
            char buf[512];
            int len = snprintf(buf, sizeof buf, "\nUAF-WRITE: block %p (%zu bytes) freed by tid %d changed at +%zu: "
                "%02x %02x %02x %02x %02x %02x %02x %02x | %02x %02x %02x %02x %02x %02x %02x %02x\n",
                s->p, s->n, s->tid, i, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
                b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
            write(2, buf, len);
            backtrace_symbols_fd(s->bt, s->depth, 2);
            reports++;
            return;
        }
    }
}

void free(void *p) {
    if (!real_free) real_free = dlsym(RTLD_NEXT, "free");
    if (!p || in_hook) { if (p) real_free(p); return; }
    size_t n = malloc_usable_size(p);
    if (n > 24) { real_free(p); return; }
    in_hook = 1;
    struct slot s;
    s.p = p; s.n = n; s.tid = (int) syscall(SYS_gettid);
    s.depth = backtrace(s.bt, DEPTH);
    memset(p, 0xA5, n);
    void *evict = NULL;
    pthread_mutex_lock(&lock);
    struct slot *r = &ring[next_slot++ & (RING - 1)];
    if (r->p) { check(r); evict = r->p; }
    *r = s;
    pthread_mutex_unlock(&lock);
    if (evict) real_free(evict);
    in_hook = 0;
}

__attribute__((destructor)) static void at_exit_check(void) {
    pthread_mutex_lock(&lock);
    for (int i = 0; i < RING; i++) if (ring[i].p) check(&ring[i]);
    pthread_mutex_unlock(&lock);
    char buf[64];
    int len = snprintf(buf, sizeof buf, "UAF-CHECK done: %d reports\n", reports);
    write(2, buf, len);
}
