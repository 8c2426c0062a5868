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
    STOP_BREAKPOINT = 8,  /* a debugger breakpoint, before the instruction at `address` runs */
    STOP_WATCH = 9,       /* a debugger watchpoint: `address` was accessed by the previous instruction */
    STOP_STEPPED = 10,    /* a debugger single step completed */
    STOP_WINDOW = 11,     /* an interrupt is pending and RFLAGS.IF now lets it in */
    STOP_ADDRESS = 12,    /* an address hook's observer asked to stop, before the instruction at `address` */
};

/*
 * Where fields of Unicorn's CPU state sit inside the uc_context_save blob
 * (a memcpy of CPUX86State up to end_reset_fields, uc.c uc_context_save).
 * Java finds them at run time by calibration (limu.emulator.unicorn.ContextLayout)
 * and hands them over with setLayout(); until then every offset is -1 and
 * nothing is patched.
 */
static int off_error_code = -1;    /* int env->error_code */
static int off_is_int = -1;        /* int env->exception_is_int */
static int off_old_exception = -1; /* int env->old_exception: bug #1883 */
static int off_hflags = -1;        /* uint32_t env->hflags */
static int off_segs = -1;          /* SegmentCache env->segs[6] */
static int seg_stride = 0;         /* sizeof(SegmentCache) */

/* QEMU's hflags bits (qemu/target/i386/cpu.h). */
#define HF_CPL_MASK 3u
#define HF_INHIBIT_IRQ_MASK (1u << 3)
#define HF_CS32_MASK (1u << 4)
#define HF_SS32_MASK (1u << 5)
#define HF_ADDSEG_MASK (1u << 6)
#define HF_LMA_MASK (1u << 14)
#define HF_CS64_MASK (1u << 15)
#define DESC_L_MASK (1u << 21)
#define DESC_B_MASK (1u << 22)

/* Indices into the long[] that run() fills. */
enum { OUT_KIND, OUT_VECTOR, OUT_ADDRESS, OUT_ACCESS, OUT_SIZE, OUT_BLOCKS, OUT_INSNS, OUT_LEN };

static uc_err (*p_hook_add)(uc_engine *, uc_hook *, int, void *, void *, uint64_t, uint64_t, ...);
static uc_err (*p_hook_del)(uc_engine *, uc_hook);
static uc_err (*p_emu_start)(uc_engine *, uint64_t, uint64_t, uint64_t, size_t);
static uc_err (*p_emu_stop)(uc_engine *);
static uc_err (*p_reg_read)(uc_engine *, int, void *);
static uc_err (*p_reg_write)(uc_engine *, int, const void *);
static size_t (*p_context_size)(uc_engine *);
static uc_err (*p_context_alloc)(uc_engine *, uc_context **);
static uc_err (*p_context_save)(uc_engine *, uc_context *);
static uc_err (*p_context_restore)(uc_engine *, uc_context *);
static uc_err (*p_context_free)(uc_context *);
static uc_err (*p_mmio_map)(uc_engine *, uint64_t, uint64_t, uc_cb_mmio_read_t, void *, uc_cb_mmio_write_t,
                            void *);

struct mmio_window;
struct debug_state;
struct address_hooks;
static uc_err (*p_ctl)(uc_engine *, uc_control_type, ...);

typedef struct {
    uc_engine *uc;
    JNIEnv *env;           /* valid only while run() is on the stack */
    jobject hooks;         /* global ref to a limu.emulator.unicorn.CpuHooks */
    jmethodID port_in, port_out, exception, syscall, cpuid, rdtsc, msr, mmio_read, mmio_write;
    uc_hook h_in, h_out, h_intr, h_invalid, h_unmapped, h_block, h_code;
    uc_hook h_syscall, h_cpuid, h_rdtsc, h_rdtscp;
    uc_hook *msr_hooks;    /* exact-address code hooks on rdmsr/wrmsr */
    int n_msr_hooks, cap_msr_hooks;
    uc_context *ctx;       /* scratch for save/patch/restore */
    char *ctx_data;        /* the CPU state inside ctx */
    size_t ctx_data_len;
    int64_t budget;
    int64_t blocks;
    int64_t insns;
    volatile int stop_requested;
    int device_stop;       /* an MMIO write asked to stop: done at the next block boundary */
    volatile int irq_pending; /* Java: an interrupt waits for RFLAGS.IF (see on_block) */
    int window_armed;      /* IF was seen set at the previous block start */
    struct mmio_window *windows; /* every window this CPU mapped, freed on detach */
    struct debug_state *dbg;     /* breakpoints, watchpoints, stepping (limu_shim debugger section) */
    struct address_hooks *ah;    /* observers' exact-address hooks (limu_shim address-hook section) */
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

/*
 * A device window mapped with uc_mmio_map. Its callbacks only call the device
 * and never stop the engine themselves: uc_emu_stop inside an MMIO callback
 * makes Unicorn replay the access on resume (UNICORN.md). A device that wants
 * the machine to stop sets device_stop, acted on at the next block.
 */
struct mmio_window {
    shim_cpu *cpu;
    uint64_t base;
    struct mmio_window *next;
};

static uint64_t on_mmio_read(uc_engine *uc, uint64_t offset, unsigned size, void *user) {
    struct mmio_window *w = user;
    shim_cpu *s = w->cpu;
    if (s->env == NULL || s->kind == STOP_JAVA_ERROR) {
        return ~(uint64_t)0;
    }
    jlong v = (*s->env)->CallLongMethod(s->env, s->hooks, s->mmio_read, (jlong)(w->base + offset), (jint)size);
    if ((*s->env)->ExceptionCheck(s->env)) {
        s->kind = STOP_JAVA_ERROR;
        s->device_stop = 1;
        return ~(uint64_t)0;
    }
    return (uint64_t)v;
}

static void on_mmio_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *user) {
    struct mmio_window *w = user;
    shim_cpu *s = w->cpu;
    if (s->env == NULL || s->kind == STOP_JAVA_ERROR) {
        return;
    }
    jboolean stop = (*s->env)->CallBooleanMethod(s->env, s->hooks, s->mmio_write, (jlong)(w->base + offset),
                                                 (jint)size, (jlong)value);
    if ((*s->env)->ExceptionCheck(s->env)) {
        s->kind = STOP_JAVA_ERROR;
        s->device_stop = 1;
        return;
    }
    if (stop) {
        s->device_stop = 1;
    }
}

static int32_t ctx_i32(shim_cpu *s, int off) {
    int32_t v;
    memcpy(&v, s->ctx_data + off, 4);
    return v;
}

static void ctx_set_i32(shim_cpu *s, int off, int32_t v) {
    memcpy(s->ctx_data + off, &v, 4);
}

/*
 * Every exception and `int n` arrives here, never through the guest IDT
 * (cpu-exec.c cpu_handle_exception). Java delivers it through the guest's
 * IDT (limu.emulator.cpu.IdtDelivery): it needs the error code, which
 * Unicorn computed (env->error_code) but hands out only in the context blob,
 * and whether it came from an INT instruction (env->exception_is_int). A
 * false answer means the machine must stop (triple fault): Java kept the report.
 */
static void on_intr(uc_engine *uc, uint32_t intno, void *user) {
    shim_cpu *s = user;
    if (s->kind != STOP_NONE) {
        p_emu_stop(s->uc);
        return;
    }
    jint error = 0;
    jboolean software = JNI_FALSE;
    if (off_error_code >= 0 && p_context_save(uc, s->ctx) == UC_ERR_OK) {
        error = ctx_i32(s, off_error_code);
        software = ctx_i32(s, off_is_int) != 0;
    }
    jboolean delivered = (*s->env)->CallBooleanMethod(s->env, s->hooks, s->exception, (jint)intno, error, software);
    if (java_failed(s)) {
        return;
    }
    if (!delivered) {
        s->vector = intno;
        stop_with(s, STOP_INTERRUPT);
    }
}

/* #UD reaches UC_HOOK_INSN_INVALID instead (x86_stop_interrupt); true = handled, go on at RIP. */
static bool on_invalid(uc_engine *uc, void *user) {
    shim_cpu *s = user;
    if (s->kind != STOP_NONE) {
        return false;
    }
    jboolean delivered = (*s->env)->CallBooleanMethod(s->env, s->hooks, s->exception, (jint)6, (jint)0, JNI_FALSE);
    if (java_failed(s)) {
        return false;
    }
    if (delivered) {
        return true;
    }
    s->vector = 6;
    stop_with(s, STOP_INVALID);
    return false;
}

/* SYSCALL does nothing in Unicorn but call this hook; RIP is the instruction and Unicorn adds 2 after. */
static void on_syscall(uc_engine *uc, void *user) {
    shim_cpu *s = user;
    if (s->kind != STOP_NONE) {
        return;
    }
    jboolean go_on = (*s->env)->CallBooleanMethod(s->env, s->hooks, s->syscall);
    if (java_failed(s)) {
        return;
    }
    if (!go_on) {
        s->vector = -1;
        stop_with(s, STOP_INTERRUPT);
    }
}

/* Returning 1 replaces the instruction: limu's CPU model answers (Java writes EAX..EDX). */
static int on_cpuid(uc_engine *uc, void *user) {
    shim_cpu *s = user;
    if (s->kind != STOP_NONE) {
        return 1;
    }
    jboolean answered = (*s->env)->CallBooleanMethod(s->env, s->hooks, s->cpuid);
    if (java_failed(s)) {
        return 1;
    }
    return answered ? 1 : 0;
}

static int tsc_hook(shim_cpu *s, jboolean rdtscp) {
    if (s->kind != STOP_NONE) {
        return 1;
    }
    jlong tsc = (*s->env)->CallLongMethod(s->env, s->hooks, s->rdtsc, (jlong)s->blocks, rdtscp);
    if (java_failed(s)) {
        return 1;
    }
    uint64_t lo = (uint32_t)tsc, hi = (uint64_t)tsc >> 32;
    p_reg_write(s->uc, UC_X86_REG_RAX, &lo);
    p_reg_write(s->uc, UC_X86_REG_RDX, &hi);
    return 1;
}

/* RDTSC/RDTSCP read limu's virtual clock, never the host's TSC. */
static int on_rdtsc(uc_engine *uc, void *user) {
    return tsc_hook(user, JNI_FALSE);
}

static int on_rdtscp(uc_engine *uc, void *user) {
    return tsc_hook(user, JNI_TRUE);
}

/*
 * An exact-address code hook on an rdmsr/wrmsr (UC_HOOK_INSN refuses them in
 * 2.1.4). Java emulates the instruction and moves RIP past it (or delivers
 * #GP); a RIP write in a code hook ends the block right after the hook
 * (check_exit_request in tcg-op.c), so the native instruction never runs.
 */
static void on_msr(uc_engine *uc, uint64_t address, uint32_t size, void *user) {
    shim_cpu *s = user;
    if (s->kind != STOP_NONE) {
        return;
    }
    jboolean go_on = (*s->env)->CallBooleanMethod(s->env, s->hooks, s->msr);
    if (java_failed(s)) {
        return;
    }
    if (!go_on) {
        s->vector = -1;
        stop_with(s, STOP_INTERRUPT);
    }
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
    if (s->device_stop) {
        s->device_stop = 0;
        if (s->kind == STOP_JAVA_ERROR) {
            p_emu_stop(s->uc);
        } else {
            stop_with(s, STOP_PORT);
        }
    } else if (--s->budget <= 0) {
        stop_with(s, STOP_BUDGET);
    } else if (s->stop_requested) {
        stop_with(s, STOP_REQUESTED);
    } else if (s->irq_pending) {
        /*
         * An interrupt waits for IF. STI ends a translation block and the one
         * instruction in its shadow gets a block of its own (QEMU's
         * HF_INHIBIT_IRQ), so the second block start that sees IF set is past
         * the shadow: stop there and let Java deliver the interrupt.
         */
        uint64_t rflags = 0;
        p_reg_read(s->uc, UC_X86_REG_RFLAGS, &rflags);
        if ((rflags & 0x200) == 0) {
            s->window_armed = 0;
        } else if (s->window_armed) {
            s->window_armed = 0;
            stop_with(s, STOP_WINDOW);
        } else {
            s->window_armed = 1;
        }
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
    p_reg_read = dlsym(h, "uc_reg_read");
    p_reg_write = dlsym(h, "uc_reg_write");
    p_context_size = dlsym(h, "uc_context_size");
    p_context_alloc = dlsym(h, "uc_context_alloc");
    p_context_save = dlsym(h, "uc_context_save");
    p_context_restore = dlsym(h, "uc_context_restore");
    p_context_free = dlsym(h, "uc_context_free");
    p_mmio_map = dlsym(h, "uc_mmio_map");
    p_ctl = dlsym(h, "uc_ctl");
    if (!p_hook_add || !p_hook_del || !p_emu_start || !p_emu_stop || !p_reg_read || !p_reg_write
        || !p_context_size || !p_context_alloc || !p_context_save || !p_context_restore || !p_context_free
        || !p_mmio_map || !p_ctl) {
        return (*env)->NewStringUTF(env, "the library lacks uc_hook_add/uc_emu_start/uc_context_save");
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
    s->exception = (*env)->GetMethodID(env, hc, "exception", "(IIZ)Z");
    s->syscall = (*env)->GetMethodID(env, hc, "syscall", "()Z");
    s->cpuid = (*env)->GetMethodID(env, hc, "cpuid", "()Z");
    s->rdtsc = (*env)->GetMethodID(env, hc, "rdtsc", "(JZ)J");
    s->msr = (*env)->GetMethodID(env, hc, "msr", "()Z");
    s->mmio_read = (*env)->GetMethodID(env, hc, "mmioRead", "(JI)J");
    s->mmio_write = (*env)->GetMethodID(env, hc, "mmioWrite", "(JIJ)Z");
    if (s->port_in == NULL || s->port_out == NULL || s->exception == NULL || s->syscall == NULL
        || s->cpuid == NULL || s->rdtsc == NULL || s->msr == NULL || s->mmio_read == NULL
        || s->mmio_write == NULL) {
        free(s);
        return 0;
    }
    if (p_context_alloc(s->uc, &s->ctx) != UC_ERR_OK) {
        free(s);
        throw_java(env, "limu/emulator/unicorn/UnicornException", "uc_context_alloc failed");
        return 0;
    }
    /* struct uc_context starts with the size of its data (uc_priv.h); the data ends the struct */
    size_t total = p_context_size(s->uc);
    s->ctx_data_len = *(size_t *)s->ctx;
    if (s->ctx_data_len == 0 || s->ctx_data_len >= total || total - s->ctx_data_len > 256) {
        p_context_free(s->ctx);
        free(s);
        throw_java(env, "limu/emulator/unicorn/UnicornException", "unexpected uc_context layout");
        return 0;
    }
    s->ctx_data = (char *)s->ctx + (total - s->ctx_data_len);
    s->hooks = (*env)->NewGlobalRef(env, hooks);
    ADD_HOOK(s->h_in, UC_HOOK_INSN, on_in, 1, 0, UC_X86_INS_IN);
    ADD_HOOK(s->h_out, UC_HOOK_INSN, on_out, 1, 0, UC_X86_INS_OUT);
    ADD_HOOK(s->h_intr, UC_HOOK_INTR, on_intr, 1, 0);
    ADD_HOOK(s->h_invalid, UC_HOOK_INSN_INVALID, on_invalid, 1, 0);
    ADD_HOOK(s->h_unmapped, UC_HOOK_MEM_UNMAPPED, on_unmapped, 1, 0);
    ADD_HOOK(s->h_block, UC_HOOK_BLOCK, on_block, 1, 0);
    ADD_HOOK(s->h_syscall, UC_HOOK_INSN, on_syscall, 1, 0, UC_X86_INS_SYSCALL);
    ADD_HOOK(s->h_cpuid, UC_HOOK_INSN, on_cpuid, 1, 0, UC_X86_INS_CPUID);
    ADD_HOOK(s->h_rdtsc, UC_HOOK_INSN, on_rdtsc, 1, 0, UC_X86_INS_RDTSC);
    ADD_HOOK(s->h_rdtscp, UC_HOOK_INSN, on_rdtscp, 1, 0, UC_X86_INS_RDTSCP);
    if (count) {
        ADD_HOOK(s->h_code, UC_HOOK_CODE, on_code, 1, 0);
    }
    return (jlong)(uintptr_t)s;
fail:
    (*env)->DeleteGlobalRef(env, s->hooks);
    p_context_free(s->ctx);
    free(s);
    throw_java(env, "limu/emulator/unicorn/UnicornException", failed);
    return 0;
}

static void free_address_hooks(shim_cpu *s); /* the address-hook section, at the end */

JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_detach(JNIEnv *env, jclass cls, jlong handle) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    uc_hook hs[] = {s->h_in, s->h_out, s->h_intr, s->h_invalid, s->h_unmapped, s->h_block, s->h_code,
                    s->h_syscall, s->h_cpuid, s->h_rdtsc, s->h_rdtscp};
    for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++) {
        if (hs[i]) {
            p_hook_del(s->uc, hs[i]);
        }
    }
    for (int i = 0; i < s->n_msr_hooks; i++) {
        p_hook_del(s->uc, s->msr_hooks[i]);
    }
    free(s->msr_hooks);
    while (s->windows != NULL) {
        struct mmio_window *next = s->windows->next;
        free(s->windows);
        s->windows = next;
    }
    free(s->dbg);
    free_address_hooks(s);
    (*env)->DeleteGlobalRef(env, s->hooks);
    p_context_free(s->ctx);
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
    s->device_stop = 0;
    s->window_armed = 0;
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

/*
 * void mapMmio(long shim, long base, long size): a device window at guest
 * physical `base`; accesses reach CpuHooks.mmioRead/mmioWrite with the
 * absolute physical address. Each CPU maps its own windows, so a per-CPU
 * device (the local APIC) simply answers for the CPU that owns the hooks.
 */
JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_mapMmio(JNIEnv *env, jclass cls, jlong handle, jlong base,
                                                               jlong size) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    struct mmio_window *w = calloc(1, sizeof *w);
    if (w == NULL) {
        throw_java(env, "java/lang/OutOfMemoryError", "mmio window");
        return;
    }
    w->cpu = s;
    w->base = (uint64_t)base;
    uc_err e = p_mmio_map(s->uc, (uint64_t)base, (uint64_t)size, on_mmio_read, w, on_mmio_write, w);
    if (e != UC_ERR_OK) {
        free(w);
        throw_java(env, "limu/emulator/unicorn/UnicornException", "uc_mmio_map failed");
        return;
    }
    w->next = s->windows;
    s->windows = w;
}

/* Thread-safe: ends the current (or next) slice at the next block boundary. */
JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_requestStop(JNIEnv *env, jclass cls, jlong handle) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    s->stop_requested = 1;
}

/*
 * void setLayout(int errorCode, int isInt, int oldException, int hflags, int segs, int segStride):
 * offsets inside the context blob, found by ContextLayout's calibration.
 */
JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_setLayout(JNIEnv *env, jclass cls, jint error_code,
                                                                 jint is_int, jint old_exception, jint hflags,
                                                                 jint segs, jint stride) {
    off_error_code = error_code;
    off_is_int = is_int;
    off_old_exception = old_exception;
    off_hflags = hflags;
    off_segs = segs;
    seg_stride = stride;
}

/* byte[] context(long shim): a copy of the CPU state blob, for calibration and diagnostics. */
JNIEXPORT jbyteArray JNICALL Java_limu_emulator_unicorn_Shim_context(JNIEnv *env, jclass cls, jlong handle) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    if (p_context_save(s->uc, s->ctx) != UC_ERR_OK) {
        throw_java(env, "limu/emulator/unicorn/UnicornException", "uc_context_save failed");
        return NULL;
    }
    jbyteArray a = (*env)->NewByteArray(env, (jsize)s->ctx_data_len);
    if (a != NULL) {
        (*env)->SetByteArrayRegion(env, a, 0, (jsize)s->ctx_data_len, (const jbyte *)s->ctx_data);
    }
    return a;
}

/*
 * void restoreContext(long shim, byte[] blob): puts back a blob from context() (a snapshot of the
 * CPU, MachineSnapshot), then drops every translated block and the TLB: guest RAM was restored
 * under the engine, so code and cached translations may be stale.
 */
JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_restoreContext(JNIEnv *env, jclass cls, jlong handle,
                                                                      jbyteArray blob) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    if ((size_t)(*env)->GetArrayLength(env, blob) != s->ctx_data_len) {
        throw_java(env, "limu/emulator/unicorn/UnicornException", "context blob of the wrong size");
        return;
    }
    (*env)->GetByteArrayRegion(env, blob, 0, (jsize)s->ctx_data_len, (jbyte *)s->ctx_data);
    if (p_context_restore(s->uc, s->ctx) != UC_ERR_OK) {
        throw_java(env, "limu/emulator/unicorn/UnicornException", "uc_context_restore failed");
        return;
    }
    p_ctl(s->uc, UC_CTL_WRITE(UC_CTL_TB_FLUSH, 0));
    p_ctl(s->uc, UC_CTL_WRITE(UC_CTL_TLB_FLUSH, 0));
    s->irq_pending = 0;
    s->window_armed = 0;
    s->device_stop = 0;
}

/* int hflags(long shim): QEMU's hidden flags (CPL in bits 0-1, the STI/MOV SS shadow in bit 3). */
JNIEXPORT jint JNICALL Java_limu_emulator_unicorn_Shim_hflags(JNIEnv *env, jclass cls, jlong handle) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    if (off_hflags < 0 || p_context_save(s->uc, s->ctx) != UC_ERR_OK) {
        throw_java(env, "limu/emulator/unicorn/UnicornException", "CPU state layout unknown");
        return 0;
    }
    return ctx_i32(s, off_hflags);
}

static void set_seg(shim_cpu *s, int index, jint selector, jlong base, jint limit, jint flags) {
    char *p = s->ctx_data + off_segs + index * seg_stride;
    uint32_t sel = (uint16_t)selector;
    uint64_t b = (uint64_t)base;
    memcpy(p, &sel, 4);
    memcpy(p + 8, &b, 8);
    memcpy(p + 16, &limit, 4);
    memcpy(p + 20, &flags, 4);
}

/*
 * void enterHandler(long shim, int load, CS..., SS...): after
 * the host delivered an exception or a SYSCALL, in one save/patch/restore
 * (~0.1 us): load the CS and SS caches and the CPL the way QEMU's
 * cpu_x86_load_seg_cache does (uc_reg_write of CS/SS only changes the
 * selector in 64-bit mode, so the CPL could not change otherwise), drop the
 * STI/MOV SS shadow, and clear the "exception in flight" state that Unicorn
 * never clears (bug #1883: else the next fault turns into #DF, the one after
 * into a silent stop).
 */
JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_enterHandler(JNIEnv *env, jclass cls, jlong handle,
                                                                    jint load, jint cs, jlong cs_base,
                                                                    jint cs_limit, jint cs_flags, jint ss,
                                                                    jlong ss_base, jint ss_limit, jint ss_flags) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    if (off_old_exception < 0 || p_context_save(s->uc, s->ctx) != UC_ERR_OK) {
        throw_java(env, "limu/emulator/unicorn/UnicornException", "CPU state layout unknown");
        return;
    }
    ctx_set_i32(s, off_old_exception, -1);
    uint32_t h = (uint32_t)ctx_i32(s, off_hflags) & ~HF_INHIBIT_IRQ_MASK;
    /* load: bit 0 = CS, bit 1 = SS (the CPL follows SS's DPL, as in cpu_x86_load_seg_cache) */
    if (load & 2) {
        set_seg(s, 2, ss, ss_base, ss_limit, ss_flags);
        h = (h & ~HF_CPL_MASK) | (((uint32_t)ss_flags >> 13) & 3);
    }
    if (load & 1) {
        set_seg(s, 1, cs, cs_base, cs_limit, cs_flags);
        if ((h & HF_LMA_MASK) && ((uint32_t)cs_flags & DESC_L_MASK)) {
            h = (h | HF_CS32_MASK | HF_SS32_MASK | HF_CS64_MASK) & ~HF_ADDSEG_MASK;
        } else {
            h = (h & ~(HF_CS32_MASK | HF_CS64_MASK)) | ((((uint32_t)cs_flags & DESC_B_MASK) != 0) ? HF_CS32_MASK : 0);
        }
    }
    ctx_set_i32(s, off_hflags, (int32_t)h);
    if (p_context_restore(s->uc, s->ctx) != UC_ERR_OK) {
        throw_java(env, "limu/emulator/unicorn/UnicornException", "uc_context_restore failed");
    }
}

/*
 * void setSegment(long shim, int index, int selector, long base, int limit, int flags): loads one
 * segment cache (0 ES, 1 CS, 2 SS, 3 DS, 4 FS, 5 GS) without touching the hidden flags, for a
 * state uc_reg_write cannot reach in UC_MODE_64 (real mode after INIT/SIPI: DS/ES base 0,
 * limit 0xFFFF). Callers set CS/SS through enterHandler, which keeps the hidden flags right.
 */
JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_setSegment(JNIEnv *env, jclass cls, jlong handle,
                                                                  jint index, jint selector, jlong base,
                                                                  jint limit, jint flags) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    if (off_segs < 0 || index < 0 || index > 5 || p_context_save(s->uc, s->ctx) != UC_ERR_OK) {
        throw_java(env, "limu/emulator/unicorn/UnicornException", "CPU state layout unknown");
        return;
    }
    set_seg(s, index, selector, base, limit, flags);
    if (p_context_restore(s->uc, s->ctx) != UC_ERR_OK) {
        throw_java(env, "limu/emulator/unicorn/UnicornException", "uc_context_restore failed");
    }
}

/* void addMsrHook(long shim, long address): must run before the code at `address` is translated (#2200). */
JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_addMsrHook(JNIEnv *env, jclass cls, jlong handle,
                                                                  jlong address) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    if (s->n_msr_hooks == s->cap_msr_hooks) {
        int cap = s->cap_msr_hooks ? s->cap_msr_hooks * 2 : 16;
        uc_hook *n = realloc(s->msr_hooks, (size_t)cap * sizeof *n);
        if (n == NULL) {
            throw_java(env, "java/lang/OutOfMemoryError", "msr hooks");
            return;
        }
        s->msr_hooks = n;
        s->cap_msr_hooks = cap;
    }
    uc_hook h;
    if (p_hook_add(s->uc, &h, UC_HOOK_CODE, (void *)on_msr, s, (uint64_t)address, (uint64_t)address) != UC_ERR_OK) {
        throw_java(env, "limu/emulator/unicorn/UnicornException", "cannot hook rdmsr/wrmsr");
        return;
    }
    s->msr_hooks[s->n_msr_hooks++] = h;
}

/* ---------------------------------------------------------------------------
 * Debugger support (the GDB stub, limu.emulator.gdb): breakpoints, watchpoints
 * and single steps, none of which touches guest memory and none of which
 * costs anything while not in use.
 *
 * - A breakpoint is an exact-address code hook (begin = end). Unicorn only
 *   calls hooks that existed when a block was translated (#2200), so adding
 *   one also drops the translated code at that address
 *   (uc_ctl_remove_cache). The hook stops before the instruction runs: a
 *   uc_emu_stop in a code hook takes effect at the exit check emitted right
 *   after the hook call, with RIP at the instruction.
 * - Resuming from a breakpoint address must not hit it again at once: the
 *   first hit at the address a run starts from is skipped.
 * - A single step and a pending watchpoint use one full-range code hook (the
 *   "trace" hook), installed only while stepping or while a watchpoint
 *   exists, with the whole translation cache flushed when it comes and goes
 *   (uc_ctl_flush_tb). In step mode it lets the first instruction run and
 *   stops before the second one, wherever that is (the next instruction, a
 *   branch target, or the first instruction of an exception handler the
 *   host delivered).
 * - A watchpoint is a UC_HOOK_MEM_READ/WRITE hook on the physical range
 *   (Unicorn reports physical addresses to memory hooks). It only records
 *   the hit; the trace hook stops before the next instruction, so the
 *   writing instruction has completed (a trap, as hardware watchpoints are)
 *   and nothing is replayed.
 * ------------------------------------------------------------------------- */

#define MAX_BREAKPOINTS 256
#define MAX_WATCHPOINTS 16

struct debug_state {
    uint64_t bp_addr[MAX_BREAKPOINTS];
    uc_hook bp_hook[MAX_BREAKPOINTS];
    int n_bp;
    uint64_t wp_begin[MAX_WATCHPOINTS], wp_end[MAX_WATCHPOINTS];
    int wp_kind[MAX_WATCHPOINTS];      /* 1 = write, 2 = read, 3 = access */
    uc_hook wp_read[MAX_WATCHPOINTS], wp_write[MAX_WATCHPOINTS];
    int n_wp;
    uc_hook trace;
    uint64_t resume_at;
    int resume_armed;
    int step_mode, trace_seen;
    int watch_pending;
    int64_t watch_addr, watch_kind;
};

static struct debug_state *dbg(JNIEnv *env, shim_cpu *s) {
    if (s->dbg == NULL) {
        s->dbg = calloc(1, sizeof *s->dbg);
        if (s->dbg == NULL) {
            throw_java(env, "java/lang/OutOfMemoryError", "debug state");
        }
    }
    return s->dbg;
}

static void on_break(uc_engine *uc, uint64_t address, uint32_t size, void *user) {
    shim_cpu *s = user;
    struct debug_state *d = s->dbg;
    if (d->resume_armed && address == d->resume_at) {
        d->resume_armed = 0;
        return;
    }
    if (s->kind == STOP_NONE) {
        s->address = (int64_t)address;
    }
    stop_with(s, STOP_BREAKPOINT);
}

static void on_trace(uc_engine *uc, uint64_t address, uint32_t size, void *user) {
    shim_cpu *s = user;
    struct debug_state *d = s->dbg;
    d->resume_armed = 0;
    if (d->watch_pending) {
        d->watch_pending = 0;
        if (s->kind == STOP_NONE) {
            s->address = d->watch_addr;
            s->access = d->watch_kind;
        }
        stop_with(s, STOP_WATCH);
    } else if (d->step_mode) {
        if (d->trace_seen) {
            stop_with(s, STOP_STEPPED);
        }
        d->trace_seen = 1;
    }
}

static void on_watch(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value, void *user) {
    shim_cpu *s = user;
    struct debug_state *d = s->dbg;
    int write = type == UC_MEM_WRITE;
    for (int i = 0; i < d->n_wp; i++) {
        if (address <= d->wp_end[i] && address + (uint64_t)size > d->wp_begin[i]
            && (d->wp_kind[i] & (write ? 1 : 2)) && !d->watch_pending) {
            d->watch_pending = 1;
            d->watch_addr = i;             /* Java maps the index back to the address gdb asked for */
            d->watch_kind = write ? 1 : 2;
        }
    }
}

static void flush_all(shim_cpu *s) {
    p_ctl(s->uc, UC_CTL_WRITE(UC_CTL_TB_FLUSH, 0));
}

static int set_trace(shim_cpu *s, int on) {
    struct debug_state *d = s->dbg;
    if (on && !d->trace) {
        if (p_hook_add(s->uc, &d->trace, UC_HOOK_CODE, (void *)on_trace, s, (uint64_t)1, (uint64_t)0) != UC_ERR_OK) {
            d->trace = 0;
            return 0;
        }
        flush_all(s);
    } else if (!on && d->trace) {
        p_hook_del(s->uc, d->trace);
        d->trace = 0;
        flush_all(s);
    }
    return 1;
}

/* void invalidateCode(long shim, long linear, long length): mapped = the address translates on this CPU. */
JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_invalidateCode(JNIEnv *env, jclass cls, jlong handle,
                                                                      jlong linear, jlong length, jboolean mapped) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    if (mapped) {
        /* uc_invalidate_tb walks the page tables for `linear`: only ever with an address that translates */
        p_ctl(s->uc, UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2), (uint64_t)linear, (uint64_t)(linear + length));
    } else {
        flush_all(s);
    }
}

/* boolean setBreakpoint(long shim, long linear, boolean on) */
JNIEXPORT jboolean JNICALL Java_limu_emulator_unicorn_Shim_setBreakpoint(JNIEnv *env, jclass cls, jlong handle,
                                                                         jlong linear, jboolean on) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    struct debug_state *d = dbg(env, s);
    if (d == NULL) {
        return JNI_FALSE;
    }
    for (int i = 0; i < d->n_bp; i++) {
        if (d->bp_addr[i] == (uint64_t)linear) {
            if (!on) {
                p_hook_del(s->uc, d->bp_hook[i]);
                d->n_bp--;
                d->bp_addr[i] = d->bp_addr[d->n_bp];
                d->bp_hook[i] = d->bp_hook[d->n_bp];
            }
            return JNI_TRUE;
        }
    }
    if (!on) {
        return JNI_TRUE;
    }
    if (d->n_bp == MAX_BREAKPOINTS) {
        return JNI_FALSE;
    }
    uc_hook h;
    if (p_hook_add(s->uc, &h, UC_HOOK_CODE, (void *)on_break, s, (uint64_t)linear, (uint64_t)linear) != UC_ERR_OK) {
        return JNI_FALSE;
    }
    d->bp_addr[d->n_bp] = (uint64_t)linear;
    d->bp_hook[d->n_bp++] = h;
    return JNI_TRUE;
}

/* int addWatchpoint(long shim, long physBegin, long physEnd, int kind): its index, or -1 */
JNIEXPORT jint JNICALL Java_limu_emulator_unicorn_Shim_addWatchpoint(JNIEnv *env, jclass cls, jlong handle,
                                                                     jlong begin, jlong end, jint kind) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    struct debug_state *d = dbg(env, s);
    if (d == NULL || d->n_wp == MAX_WATCHPOINTS) {
        return -1;
    }
    int i = d->n_wp;
    d->wp_begin[i] = (uint64_t)begin;
    d->wp_end[i] = (uint64_t)end;
    d->wp_kind[i] = kind;
    d->wp_read[i] = d->wp_write[i] = 0;
    if ((kind & 2) && p_hook_add(s->uc, &d->wp_read[i], UC_HOOK_MEM_READ, (void *)on_watch, s,
                                 (uint64_t)begin, (uint64_t)end) != UC_ERR_OK) {
        return -1;
    }
    if ((kind & 1) && p_hook_add(s->uc, &d->wp_write[i], UC_HOOK_MEM_WRITE, (void *)on_watch, s,
                                 (uint64_t)begin, (uint64_t)end) != UC_ERR_OK) {
        if (d->wp_read[i]) {
            p_hook_del(s->uc, d->wp_read[i]);
        }
        return -1;
    }
    d->n_wp++;
    set_trace(s, 1);
    flush_all(s); /* memory hooks, too, are compiled into the translated code */
    return i;
}

/* void clearWatchpoints(long shim): removes every watchpoint (Java re-adds those that stay). */
JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_clearWatchpoints(JNIEnv *env, jclass cls, jlong handle) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    struct debug_state *d = dbg(env, s);
    if (d == NULL || d->n_wp == 0) {
        return;
    }
    for (int i = 0; i < d->n_wp; i++) {
        if (d->wp_read[i]) {
            p_hook_del(s->uc, d->wp_read[i]);
        }
        if (d->wp_write[i]) {
            p_hook_del(s->uc, d->wp_write[i]);
        }
    }
    d->n_wp = 0;
    d->watch_pending = 0;
    flush_all(s);
}

/*
 * int runDebug(long shim, long begin, long blockBudget, boolean step, long[] out): run() with the
 * debugger's state armed; with `step`, exactly one instruction (or none, when it is a HLT).
 */
JNIEXPORT jint JNICALL Java_limu_emulator_unicorn_Shim_runDebug(JNIEnv *env, jclass cls, jlong handle, jlong begin,
                                                                jlong budget, jboolean step, jlongArray out) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    struct debug_state *d = dbg(env, s);
    if (d == NULL) {
        return UC_ERR_NOMEM;
    }
    d->resume_at = (uint64_t)begin;
    d->resume_armed = 1;
    d->step_mode = step;
    d->trace_seen = 0;
    d->watch_pending = 0;
    /* the trace hook stays between consecutive steps (no flush per stepi); a plain run drops it */
    if (!set_trace(s, step || d->n_wp > 0)) {
        throw_java(env, "limu/emulator/unicorn/UnicornException", "cannot add the single-step hook");
        return UC_ERR_HOOK;
    }
    jint r = Java_limu_emulator_unicorn_Shim_run(env, cls, handle, begin, budget, out);
    d->step_mode = 0;
    d->resume_armed = 0;
    return r;
}

/*
 * void readFpu(long shim, byte[] out): the x87 and SSE state in the order of gdb's
 * i386 register description: st0-st7 (10 bytes each), fctrl fstat ftag fiseg fioff
 * foseg fooff fop (4 bytes each), xmm0-xmm15 (16 bytes each), mxcsr (4): 372 bytes.
 */
JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_readFpu(JNIEnv *env, jclass cls, jlong handle,
                                                               jbyteArray out) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    uint8_t buf[372];
    memset(buf, 0, sizeof buf);
    int off = 0;
    for (int i = 0; i < 8; i++, off += 10) {
        uint8_t st[16] = {0};
        p_reg_read(s->uc, UC_X86_REG_ST0 + i, st);
        memcpy(buf + off, st, 10);
    }
    int ctl[] = {UC_X86_REG_FPCW, UC_X86_REG_FPSW, UC_X86_REG_FPTAG, UC_X86_REG_FCS,
                 UC_X86_REG_FIP, UC_X86_REG_FDS, UC_X86_REG_FDP, UC_X86_REG_FOP};
    for (int i = 0; i < 8; i++, off += 4) {
        uint64_t v = 0;
        p_reg_read(s->uc, ctl[i], &v);
        uint32_t w = (uint32_t)v;
        memcpy(buf + off, &w, 4);
    }
    for (int i = 0; i < 16; i++, off += 16) {
        p_reg_read(s->uc, UC_X86_REG_XMM0 + i, buf + off);
    }
    uint64_t mxcsr = 0;
    p_reg_read(s->uc, UC_X86_REG_MXCSR, &mxcsr);
    uint32_t m = (uint32_t)mxcsr;
    memcpy(buf + off, &m, 4);
    (*env)->SetByteArrayRegion(env, out, 0, sizeof buf, (const jbyte *)buf);
}

/* void clearStop(long shim): forgets a stop request this CPU has not acted on (it was for another CPU). */
JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_clearStop(JNIEnv *env, jclass cls, jlong handle) {
    ((shim_cpu *)(uintptr_t)handle)->stop_requested = 0;
}

/* long sliceBlocks(long shim): blocks the running slice has executed so far (virtual time inside a slice). */
JNIEXPORT jlong JNICALL Java_limu_emulator_unicorn_Shim_sliceBlocks(JNIEnv *env, jclass cls, jlong handle) {
    return (jlong)((shim_cpu *)(uintptr_t)handle)->blocks;
}

/* void setInterruptPending(long shim, boolean pending): see the irq_pending test in on_block. Safe inside hooks. */
JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_setInterruptPending(JNIEnv *env, jclass cls, jlong handle,
                                                                           jboolean pending) {
    ((shim_cpu *)(uintptr_t)handle)->irq_pending = pending ? 1 : 0;
}

/* ---------------------------------------------------------------------------
 * Address hooks: observers (the heap checker, limu.emulator.heap) watching
 * the execution of single instructions without changing guest memory.
 *
 * - Each is an exact-address code hook (begin = end) whose callback upcalls
 *   CpuHooks.addressHit(address); a true answer stops the CPU before the
 *   instruction runs (STOP_ADDRESS, the address in `address`).
 * - Unicorn only calls hooks that existed when a block was translated
 *   (#2200): adding one drops the translated code at the address
 *   (uc_ctl_remove_cache when the address translates on this CPU, else the
 *   whole cache). This also works from inside a hook, for another block.
 * - Removing one deletes the hook; Unicorn frees it when uc_emu_start
 *   returns, and the (still translated) helper call finds nothing. Callers
 *   that hook and unhook often should rather keep a hook and ignore hits.
 * - The upcall also runs when a stop is already pending (the observer must
 *   see every call it counts) and may see the same instruction twice when a
 *   stop lands between the hook and the instruction: observers dedupe.
 * ------------------------------------------------------------------------- */

struct address_hooks {
    jmethodID hit;
    uint64_t *addr;
    uc_hook *hook;
    int n, cap;
};

static void free_address_hooks(shim_cpu *s) {
    if (s->ah == NULL) {
        return;
    }
    for (int i = 0; i < s->ah->n; i++) {
        p_hook_del(s->uc, s->ah->hook[i]);
    }
    free(s->ah->addr);
    free(s->ah->hook);
    free(s->ah);
    s->ah = NULL;
}

static void on_address(uc_engine *uc, uint64_t address, uint32_t size, void *user) {
    shim_cpu *s = user;
    if (s->kind == STOP_JAVA_ERROR || s->kind == STOP_ADDRESS || s->env == NULL) {
        return;
    }
    jboolean stop = (*s->env)->CallBooleanMethod(s->env, s->hooks, s->ah->hit, (jlong)address);
    if (java_failed(s)) {
        return;
    }
    if (stop) {
        if (s->kind == STOP_NONE || s->kind == STOP_BUDGET || s->kind == STOP_WINDOW) {
            s->kind = STOP_ADDRESS;
            s->address = (int64_t)address;
        }
        p_emu_stop(s->uc);
    }
}

/*
 * boolean setAddressHook(long shim, long linear, boolean on, boolean mapped): false when the hook
 * cannot be added. `mapped`: the address translates on this CPU (for the cache invalidation).
 */
JNIEXPORT jboolean JNICALL Java_limu_emulator_unicorn_Shim_setAddressHook(JNIEnv *env, jclass cls, jlong handle,
                                                                          jlong linear, jboolean on,
                                                                          jboolean mapped) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    if (s->ah == NULL) {
        if (!on) {
            return JNI_TRUE;
        }
        s->ah = calloc(1, sizeof *s->ah);
        if (s->ah == NULL) {
            throw_java(env, "java/lang/OutOfMemoryError", "address hooks");
            return JNI_FALSE;
        }
        jclass hc = (*env)->FindClass(env, "limu/emulator/unicorn/CpuHooks");
        s->ah->hit = hc == NULL ? NULL : (*env)->GetMethodID(env, hc, "addressHit", "(J)Z");
        if (s->ah->hit == NULL) {
            free(s->ah);
            s->ah = NULL;
            return JNI_FALSE;
        }
    }
    struct address_hooks *a = s->ah;
    for (int i = 0; i < a->n; i++) {
        if (a->addr[i] == (uint64_t)linear) {
            if (!on) {
                p_hook_del(s->uc, a->hook[i]);
                a->n--;
                a->addr[i] = a->addr[a->n];
                a->hook[i] = a->hook[a->n];
            }
            return JNI_TRUE;
        }
    }
    if (!on) {
        return JNI_TRUE;
    }
    if (a->n == a->cap) {
        int cap = a->cap ? a->cap * 2 : 64;
        uint64_t *na = realloc(a->addr, (size_t)cap * sizeof *na);
        if (na == NULL) {
            return JNI_FALSE;
        }
        a->addr = na;
        uc_hook *nh = realloc(a->hook, (size_t)cap * sizeof *nh);
        if (nh == NULL) {
            return JNI_FALSE;
        }
        a->hook = nh;
        a->cap = cap;
    }
    uc_hook h;
    if (p_hook_add(s->uc, &h, UC_HOOK_CODE, (void *)on_address, s, (uint64_t)linear, (uint64_t)linear) != UC_ERR_OK) {
        return JNI_FALSE;
    }
    a->addr[a->n] = (uint64_t)linear;
    a->hook[a->n++] = h;
    if (mapped) {
        p_ctl(s->uc, UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2), (uint64_t)linear, (uint64_t)linear + 1);
    } else {
        flush_all(s);
    }
    return JNI_TRUE;
}

/* ---------------------------------------------------------------------------
 * Heap watch (the heap checker's --heap-check=strict, limu.emulator.heap):
 * UC_HOOK_MEM_READ/WRITE hooks on guest-physical ranges (the heap spans the
 * kernel gave its allocator). Each access upcalls
 * CpuHooks.heapAccess(physical, size, write, rip); a true answer stops the
 * CPU (STOP_ADDRESS with `address` = the accessing instruction's RIP).
 *
 * - RIP read inside the hook is the accessing instruction (Unicorn 2.1.4
 *   syncs it before a hooked access: checked with heap-bugs, the reported
 *   RIP is the `mov %cl,(%rax)` of the one-byte overflow itself).
 * - uc_emu_stop from a memory hook takes effect at the end of the
 *   translation block, not at the next instruction: the accessing
 *   instruction completes (a trap, like the debugger's watchpoints, which
 *   get the exact boundary from a full-range code hook this avoids), and
 *   the rest of its block may run too. Java reports the RIP it was given.
 * - Added hooks only reach code translated afterwards (#2200): adding
 *   flushes the whole translation cache, so call it between slices.
 * - The state hangs off a small table keyed by the shim_cpu, so the
 *   shim_cpu struct is left alone.
 * ------------------------------------------------------------------------- */

#define MAX_HEAP_WATCH 32
#define MAX_HEAP_WATCH_CPUS 1024

struct heap_watch {
    shim_cpu *s;
    jmethodID access;
    uc_hook hr[MAX_HEAP_WATCH], hw[MAX_HEAP_WATCH];
    int n;
};

static struct heap_watch *heap_watches[MAX_HEAP_WATCH_CPUS];

static struct heap_watch *heap_watch_of(JNIEnv *env, shim_cpu *s, int create) {
    int free_slot = -1;
    for (int i = 0; i < MAX_HEAP_WATCH_CPUS; i++) {
        if (heap_watches[i] != NULL && heap_watches[i]->s == s) {
            return heap_watches[i];
        }
        if (heap_watches[i] == NULL && free_slot < 0) {
            free_slot = i;
        }
    }
    if (!create || free_slot < 0) {
        return NULL;
    }
    struct heap_watch *w = calloc(1, sizeof *w);
    if (w == NULL) {
        return NULL;
    }
    jclass hc = (*env)->FindClass(env, "limu/emulator/unicorn/CpuHooks");
    w->access = hc == NULL ? NULL : (*env)->GetMethodID(env, hc, "heapAccess", "(JIZJ)Z");
    if (w->access == NULL) {
        free(w);
        return NULL;
    }
    w->s = s;
    heap_watches[free_slot] = w;
    return w;
}

static void on_heap_access(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value,
                           void *user) {
    struct heap_watch *w = user;
    shim_cpu *s = w->s;
    if (s->env == NULL || s->kind == STOP_JAVA_ERROR || s->kind == STOP_ADDRESS) {
        return;
    }
    uint64_t rip = 0;
    p_reg_read(uc, UC_X86_REG_RIP, &rip);
    jboolean stop = (*s->env)->CallBooleanMethod(s->env, s->hooks, w->access, (jlong)address, (jint)size,
                                                 (jboolean)(type == UC_MEM_WRITE), (jlong)rip);
    if (java_failed(s)) {
        return;
    }
    if (stop) {
        if (s->kind == STOP_NONE || s->kind == STOP_BUDGET || s->kind == STOP_WINDOW) {
            s->kind = STOP_ADDRESS;
            s->address = (int64_t)rip;
        }
        p_emu_stop(s->uc);
    }
}

/* boolean addHeapWatch(long shim, long physBegin, long physEnd): inclusive end; false when it cannot. */
JNIEXPORT jboolean JNICALL Java_limu_emulator_unicorn_Shim_addHeapWatch(JNIEnv *env, jclass cls, jlong handle,
                                                                        jlong begin, jlong end) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    struct heap_watch *w = heap_watch_of(env, s, 1);
    if (w == NULL || w->n == MAX_HEAP_WATCH) {
        return JNI_FALSE;
    }
    int i = w->n;
    w->hr[i] = w->hw[i] = 0;
    if (p_hook_add(s->uc, &w->hr[i], UC_HOOK_MEM_READ, (void *)on_heap_access, w, (uint64_t)begin,
                   (uint64_t)end) != UC_ERR_OK) {
        return JNI_FALSE;
    }
    if (p_hook_add(s->uc, &w->hw[i], UC_HOOK_MEM_WRITE, (void *)on_heap_access, w, (uint64_t)begin,
                   (uint64_t)end) != UC_ERR_OK) {
        p_hook_del(s->uc, w->hr[i]);
        return JNI_FALSE;
    }
    w->n++;
    flush_all(s);
    return JNI_TRUE;
}

/* void yieldSlice(long shim): end the running slice at the next block boundary, as a device write does. */
JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_yieldSlice(JNIEnv *env, jclass cls, jlong handle) {
    ((shim_cpu *)(uintptr_t)handle)->device_stop = 1;
}
