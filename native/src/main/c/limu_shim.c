/*
 * limu's JNI shim: every Unicorn hook lives here and reaches Java through a
 * JNI upcall (~50 ns) instead of a JNA callback (~600 ns, see UNICORN.md).
 *
 * The shim does not link against libunicorn: Java loads the library it chose
 * (and checked the version of) with JNA, then hands the same path to
 * limu_bind(), which dlopen()s it again (same handle) and resolves the few
 * entry points used here. Only Unicorn's headers are needed at build time.
 *
 * Hooks never stop the engine with a half-done access: they record why they
 * want to stop in the per-CPU struct and call uc_emu_stop(), which takes
 * effect at the end of the translation block; Java reads the record after
 * uc_emu_start() returns.
 */
#include <jni.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unicorn/unicorn.h>

/* Why a run ended; mirrored in limu.emulator.unicorn.RunExit. */
enum {
    STOP_NONE = 0,        /* uc_emu_start returned by itself (HLT, or a silent stop) */
    STOP_BUDGET = 1,      /* the block budget of this slice ran out */
    STOP_PORT = 2,        /* a port write asked to stop (e.g. isa-debug-exit) */
    STOP_INTERRUPT = 3,   /* an exception or `int n` reached UC_HOOK_INTR */
    STOP_INVALID = 4,     /* an invalid instruction (#UD) */
    STOP_UNMAPPED = 5,    /* an access to guest-physical memory that nothing backs */
    STOP_REQUESTED = 6,   /* another thread called limu_request_stop */
    STOP_JAVA_ERROR = 7,  /* a Java upcall threw; the exception is rethrown */
};

/* Indices into the long[] that run() fills. */
enum { OUT_KIND, OUT_VECTOR, OUT_ADDRESS, OUT_ACCESS, OUT_SIZE, OUT_BLOCKS, OUT_INSNS, OUT_LEN };

static uc_err (*p_hook_add)(uc_engine *, uc_hook *, int, void *, void *, uint64_t, uint64_t, ...);
static uc_err (*p_hook_del)(uc_engine *, uc_hook);
static uc_err (*p_emu_start)(uc_engine *, uint64_t, uint64_t, uint64_t, size_t);
static uc_err (*p_emu_stop)(uc_engine *);

typedef struct {
    uc_engine *uc;
    JNIEnv *env;           /* valid only while run() is on the stack */
    jobject hooks;         /* global ref to a limu.emulator.unicorn.CpuHooks */
    jmethodID port_in, port_out;
    uc_hook h_in, h_out, h_intr, h_invalid, h_unmapped, h_block, h_code;
    int64_t budget;
    int64_t blocks;
    int64_t insns;
    volatile int stop_requested;
    int kind;
    int64_t vector, address, access, size;
} shim_cpu;

static void stop_with(shim_cpu *s, int kind) {
    if (s->kind == STOP_NONE) {
        s->kind = kind;
    }
    p_emu_stop(s->uc);
}

static int java_failed(shim_cpu *s) {
    if ((*s->env)->ExceptionCheck(s->env)) {
        s->kind = STOP_JAVA_ERROR;
        p_emu_stop(s->uc);
        return 1;
    }
    return 0;
}

static uint32_t on_in(uc_engine *uc, uint32_t port, int size, void *user) {
    shim_cpu *s = user;
    if (s->kind == STOP_JAVA_ERROR) {
        return 0xffffffffu;
    }
    jint v = (*s->env)->CallIntMethod(s->env, s->hooks, s->port_in, (jint)port, (jint)size);
    if (java_failed(s)) {
        return 0xffffffffu;
    }
    return (uint32_t)v;
}

static void on_out(uc_engine *uc, uint32_t port, int size, uint32_t value, void *user) {
    shim_cpu *s = user;
    if (s->kind == STOP_JAVA_ERROR || s->kind == STOP_PORT) {
        return; /* the machine is already stopping: the rest of this block must not act */
    }
    jboolean stop = (*s->env)->CallBooleanMethod(s->env, s->hooks, s->port_out,
                                                 (jint)port, (jint)size, (jint)value);
    if (java_failed(s)) {
        return;
    }
    if (stop) {
        stop_with(s, STOP_PORT);
    }
}

static void on_intr(uc_engine *uc, uint32_t intno, void *user) {
    shim_cpu *s = user;
    if (s->kind == STOP_NONE) {
        s->vector = intno;
    }
    stop_with(s, STOP_INTERRUPT);
}

static bool on_invalid(uc_engine *uc, void *user) {
    shim_cpu *s = user;
    if (s->kind == STOP_NONE) {
        s->vector = 6;
    }
    stop_with(s, STOP_INVALID);
    return false;
}

static bool on_unmapped(uc_engine *uc, uc_mem_type type, uint64_t address, int size,
                        int64_t value, void *user) {
    shim_cpu *s = user;
    if (s->kind == STOP_NONE) {
        s->address = (int64_t)address;
        s->access = type;
        s->size = size;
    }
    stop_with(s, STOP_UNMAPPED);
    return false;
}

static void on_block(uc_engine *uc, uint64_t address, uint32_t size, void *user) {
    shim_cpu *s = user;
    s->blocks++;
    if (--s->budget <= 0) {
        stop_with(s, STOP_BUDGET);
    } else if (s->stop_requested) {
        stop_with(s, STOP_REQUESTED);
    }
}

static void on_code(uc_engine *uc, uint64_t address, uint32_t size, void *user) {
    ((shim_cpu *)user)->insns++;
}

static void throw_java(JNIEnv *env, const char *cls, const char *msg) {
    jclass c = (*env)->FindClass(env, cls);
    if (c != NULL) {
        (*env)->ThrowNew(env, c, msg);
    }
}

/* String bind(String libPath): null on success, else why not. */
JNIEXPORT jstring JNICALL Java_limu_emulator_unicorn_Shim_bind(JNIEnv *env, jclass cls, jstring path) {
    const char *p = (*env)->GetStringUTFChars(env, path, NULL);
    void *h = dlopen(p, RTLD_NOW | RTLD_GLOBAL);
    (*env)->ReleaseStringUTFChars(env, path, p);
    if (h == NULL) {
        return (*env)->NewStringUTF(env, dlerror());
    }
    p_hook_add = dlsym(h, "uc_hook_add");
    p_hook_del = dlsym(h, "uc_hook_del");
    p_emu_start = dlsym(h, "uc_emu_start");
    p_emu_stop = dlsym(h, "uc_emu_stop");
    if (!p_hook_add || !p_hook_del || !p_emu_start || !p_emu_stop) {
        return (*env)->NewStringUTF(env, "the library lacks uc_hook_add/uc_emu_start");
    }
    return NULL;
}

/* long ramAlloc(long bytes): anonymous, zero-filled, lazily backed host memory. */
JNIEXPORT jlong JNICALL Java_limu_emulator_unicorn_Shim_ramAlloc(JNIEnv *env, jclass cls, jlong bytes) {
    void *p = mmap(NULL, (size_t)bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        throw_java(env, "java/lang/OutOfMemoryError", "cannot reserve host memory for guest RAM");
        return 0;
    }
    return (jlong)(uintptr_t)p;
}

JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_ramFree(JNIEnv *env, jclass cls, jlong addr, jlong bytes) {
    munmap((void *)(uintptr_t)addr, (size_t)bytes);
}

#define ADD_HOOK(handle, type, cb, ...)                                              \
    do {                                                                             \
        uc_err e = p_hook_add(s->uc, &(handle), (type), (void *)(cb), s, __VA_ARGS__); \
        if (e != UC_ERR_OK) {                                                        \
            failed = #type;                                                          \
            goto fail;                                                               \
        }                                                                            \
    } while (0)

/*
 * long attach(long uc, CpuHooks hooks, boolean countInstructions): installs
 * every hook before any code is translated (Unicorn #2200: hooks added later
 * never fire on already translated code).
 */
JNIEXPORT jlong JNICALL Java_limu_emulator_unicorn_Shim_attach(JNIEnv *env, jclass cls, jlong uc,
                                                               jobject hooks, jboolean count) {
    const char *failed = NULL;
    shim_cpu *s = calloc(1, sizeof *s);
    if (s == NULL) {
        throw_java(env, "java/lang/OutOfMemoryError", "shim");
        return 0;
    }
    s->uc = (uc_engine *)(uintptr_t)uc;
    jclass hc = (*env)->FindClass(env, "limu/emulator/unicorn/CpuHooks");
    if (hc == NULL) {
        free(s);
        return 0;
    }
    s->port_in = (*env)->GetMethodID(env, hc, "portIn", "(II)I");
    s->port_out = (*env)->GetMethodID(env, hc, "portOut", "(III)Z");
    if (s->port_in == NULL || s->port_out == NULL) {
        free(s);
        return 0;
    }
    s->hooks = (*env)->NewGlobalRef(env, hooks);
    ADD_HOOK(s->h_in, UC_HOOK_INSN, on_in, 1, 0, UC_X86_INS_IN);
    ADD_HOOK(s->h_out, UC_HOOK_INSN, on_out, 1, 0, UC_X86_INS_OUT);
    ADD_HOOK(s->h_intr, UC_HOOK_INTR, on_intr, 1, 0);
    ADD_HOOK(s->h_invalid, UC_HOOK_INSN_INVALID, on_invalid, 1, 0);
    ADD_HOOK(s->h_unmapped, UC_HOOK_MEM_UNMAPPED, on_unmapped, 1, 0);
    ADD_HOOK(s->h_block, UC_HOOK_BLOCK, on_block, 1, 0);
    if (count) {
        ADD_HOOK(s->h_code, UC_HOOK_CODE, on_code, 1, 0);
    }
    return (jlong)(uintptr_t)s;
fail:
    (*env)->DeleteGlobalRef(env, s->hooks);
    free(s);
    throw_java(env, "limu/emulator/unicorn/UnicornException", failed);
    return 0;
}

JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_detach(JNIEnv *env, jclass cls, jlong handle) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    uc_hook hs[] = {s->h_in, s->h_out, s->h_intr, s->h_invalid, s->h_unmapped, s->h_block, s->h_code};
    for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++) {
        if (hs[i]) {
            p_hook_del(s->uc, hs[i]);
        }
    }
    (*env)->DeleteGlobalRef(env, s->hooks);
    free(s);
}

/*
 * int run(long shim, long begin, long blockBudget, long[] out): one slice of
 * execution from `begin`. Returns uc_emu_start's uc_err; `out` says why it
 * ended (see the OUT_* indices) and how much work was done.
 */
JNIEXPORT jint JNICALL Java_limu_emulator_unicorn_Shim_run(JNIEnv *env, jclass cls, jlong handle,
                                                           jlong begin, jlong budget, jlongArray out) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    s->env = env;
    s->budget = budget;
    s->blocks = 0;
    s->insns = 0;
    s->kind = STOP_NONE;
    s->vector = s->address = s->access = s->size = 0;
    uc_err err = UC_ERR_OK;
    if (s->stop_requested) {
        s->kind = STOP_REQUESTED;
    } else {
        err = p_emu_start(s->uc, (uint64_t)begin, 0, 0, 0);
    }
    s->stop_requested = 0;
    s->env = NULL;
    jlong r[OUT_LEN] = {s->kind, s->vector, s->address, s->access, s->size, s->blocks, s->insns};
    /* SetLongArrayRegion is safe with an exception pending; the caller rethrows it. */
    (*env)->SetLongArrayRegion(env, out, 0, OUT_LEN, r);
    return (jint)err;
}

/* Thread-safe: ends the current (or next) slice at the next block boundary. */
JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_requestStop(JNIEnv *env, jclass cls, jlong handle) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    s->stop_requested = 1;
}
