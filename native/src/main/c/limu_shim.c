// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * limu's JNI shim: every Unicorn hook lives here and reaches Java through a
 * JNI upcall (~50 ns) instead of a JNA callback (~600 ns, measured on Unicorn 2.1.4).
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
    STOP_YIELD = 13,      /* a spin loop's PAUSEs gave the slice away (section "Code scan") */
    STOP_RESCAN = 14,     /* internal: hooks were added for fetched code; run() drops stale code and goes on */
    STOP_TARGET = 15,     /* re-execution reached its exact stop (section "Re-execution") */
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
static int off_old_exception = -1; /* int env->old_exception, which Unicorn never resets (docs/unicorn-notes.md) */
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
struct guest_paging;
struct code_scan;
static uc_err (*p_ctl)(uc_engine *, uc_control_type, ...);

typedef struct {
    uc_engine *uc;
    JNIEnv *env;           /* valid only while run() is on the stack */
    jobject hooks;         /* global ref to a limu.emulator.unicorn.CpuHooks */
    jmethodID port_in, port_out, exception, syscall, cpuid, rdtsc, msr, mmio_read, mmio_write;
    uc_hook h_in, h_out, h_intr, h_invalid, h_unmapped, h_block, h_code;
    uc_hook h_syscall, h_cpuid, h_rdtsc, h_rdtscp, h_tlb;
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
    struct guest_paging *pg;     /* the virtual TLB's page walk (section "Guest paging"); NULL: Unicorn's MMU */
    struct code_scan *scan;      /* RDMSR/WRMSR/PAUSE sites of fetched pages (section "Code scan"); NULL: off */
    struct block_counts *coverage; /* executed blocks (section "Coverage"); NULL: not recording */
    uint64_t stops;                /* stop_with calls so far: on_block counts a block only if it was not stopped */
    int kind;
    int64_t vector, address, access, size;
} shim_cpu;

static void stop_with(shim_cpu *s, int kind) {
    s->stops++;
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
 * makes Unicorn replay the access on resume. A device that wants
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
static int replay_stop_here(shim_cpu *s, uint64_t address); /* section "Re-execution" */

static void on_msr(uc_engine *uc, uint64_t address, uint32_t size, void *user) {
    shim_cpu *s = user;
    if (replay_stop_here(s, address)) {
        return;
    }
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

static void count_block(struct block_counts *c, uint64_t address, uint32_t size); /* section "Coverage" */

static void on_block(uc_engine *uc, uint64_t address, uint32_t size, void *user) {
    shim_cpu *s = user;
    s->blocks++;
    uint64_t stops_before = s->stops;
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
    /* a block the hook stops before runs again on resume: count it then, not twice */
    if (s->coverage != NULL && s->stops == stops_before) {
        count_block(s->coverage, address, size);
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

/* ---------------------------------------------------------------------------
 * Guest paging in the shim: Unicorn's virtual TLB (UC_TLB_VIRTUAL) filled by
 * a page walk of limu's own (on_tlb_fill).
 *
 * Why: with Unicorn's own x86 MMU, a TLB entry for a page whose PTEs allow
 * execution keeps every store on the slow path (notdirty_write in
 * cputlb.c invalidates translated code on each store), and Limine maps the
 * HHDM, where stacks and heaps live, read-write-execute. Here a data access
 * gets an entry without EXEC, so its stores take the fast path after the
 * first one; an instruction fetch gets EXEC. Intel SDM vol. 3A ch. 4:
 *
 * - 4- and 5-level paging (CR4.LA57) with 4 KiB, 2 MiB and 1 GiB pages,
 *   PAE and 32-bit paging for code that has not reached long mode, and
 *   CR0.PG = 0 as an identity map (real-mode APs after INIT/SIPI).
 * - Rights (4.6): U/S of every level against the CPL (CS.RPL; CPL 3 makes
 *   user accesses, except the implicit supervisor accesses to the GDT, LDT,
 *   IDT and TSS), R/W with CR0.WP, XD with EFER.NXE, SMEP and SMAP
 *   (RFLAGS.AC) when CR4 enables them. Reserved bits (MAXPHYADDR 40, XD
 *   without NXE, PS in PML4/PML5 entries, low bits of large-page frames)
 *   fault with RSVD.
 * - Accessed and dirty flags (4.8): A on each entry used, D on the leaf of a
 *   write, set with a locked OR as the processor does. A read gets no WRITE
 *   right while D is clear, so the first write comes back here to set it.
 * - A fault ends uc_emu_start with UC_ERR_EXCEPTION (unicorn_vtlb.c,
 *   raise_mmu_exception, RIP at the faulting instruction); run() then writes
 *   CR2 and hands the #PF (error code P, W/R, U/S, RSVD, I/D as in 4.7) or
 *   the #GP(0) of a non-canonical address to CpuHooks.exception, exactly
 *   like an exception from UC_HOOK_INTR, and goes on in the same slice.
 * - Self-modifying code: a store drops translated code it overwrites only
 *   through a TLB entry Unicorn has not marked clean, and notdirty_write
 *   marks an entry clean after its first store unless the entry has EXEC or
 *   a memory hook covers the address; a new translation re-arms the check
 *   only for the virtual page it was fetched through (tb_gen_code), not for
 *   other mappings of the frame. So the shim remembers the physical frames
 *   it ever granted EXEC for ("code frames", kept for good: code can be
 *   translated again without a fill) and those it granted WRITE for since
 *   its last TLB flush. A data entry for a code frame gets EXEC too when
 *   the mapping allows execution; through a mapping without execute rights
 *   the frame gets a "guard", a UC_HOOK_MEM_READ_PROT hook on it that never
 *   fires (RAM is mapped with every right) but keeps its entries from being
 *   marked clean. A frame that becomes code while a WRITE entry for it may
 *   exist flushes the TLB.
 * - Unicorn fills entries of one 4 KiB page: an INVLPG inside a 2 MiB or
 *   1 GiB page drops only that piece (QEMU's own MMU would drop all).
 * - Page-table reads go straight to guest RAM (addRam); an entry outside
 *   RAM reads as not present.
 * - The TLB is flushed by Unicorn's CR0/CR3/CR4 and INVLPG helpers as with
 *   its own MMU; limu flushes it after restoring a snapshot.
 * ------------------------------------------------------------------------- */

#define PG_P (1ull << 0)
#define PG_RW (1ull << 1)
#define PG_US (1ull << 2)
#define PG_A (1ull << 5)
#define PG_D (1ull << 6)
#define PG_PS (1ull << 7)
#define PG_XD (1ull << 63)
#define PHYS_BITS 40
#define PHYS_MASK ((1ull << PHYS_BITS) - 1)
#define PF_P 1u
#define PF_W 2u
#define PF_U 4u
#define PF_RSVD 8u
#define PF_ID 16u

enum { ACC_READ, ACC_WRITE, ACC_FETCH };

#define MAX_RAM_BANKS 8
#define FRAMES_PER_LEAF (1u << 15) /* one leaf bitmap covers 128 MiB */

/* A set of physical frames: a bitmap per 128 MiB, allocated on first use. */
struct frame_set {
    uint64_t **leaf;
    size_t n;
};

struct guest_paging {
    struct { uint64_t base, len; uint8_t *host; } ram[MAX_RAM_BANKS];
    int n_ram;
    struct frame_set code, written, guarded;
    uc_hook *guards;     /* the guards' hooks */
    int n_guards, cap_guards;
    uc_hook unmapped[MAX_RAM_BANKS + 1]; /* UC_HOOK_MEM_UNMAPPED around RAM, never over it (unmapped_hooks) */
    int n_unmapped;
    int host_probe;      /* the shim itself looks up a page (TB removal): no side effects, no fault */
    int fault;           /* a fill failed: the exception below ends uc_emu_start */
    int fault_vector;
    uint32_t fault_error;
    uint64_t fault_address;
    uint64_t fills;      /* TLB fills, for measurements */
};

/* What one page walk found. */
typedef struct {
    uint64_t frame;      /* physical address of the 4 KiB frame */
    int read, write, exec; /* rights of this privilege level */
    int dirty;           /* the leaf's D flag was already set */
    int vector;          /* 0, or 14 (#PF) / 13 (#GP) */
    uint32_t error;
} walk_result;

typedef struct {
    uint64_t cr0, cr3, cr4, efer, rflags;
    int user;            /* CPL 3 */
} paging_regs;

static void read_paging_regs(shim_cpu *s, paging_regs *r) {
    uint64_t cs = 0;
    r->cr0 = r->cr3 = r->cr4 = r->efer = r->rflags = 0;
    p_reg_read(s->uc, UC_X86_REG_CR0, &r->cr0);
    p_reg_read(s->uc, UC_X86_REG_CR3, &r->cr3);
    p_reg_read(s->uc, UC_X86_REG_CR4, &r->cr4);
    uc_x86_msr efer = {0xC0000080u, 0};
    p_reg_read(s->uc, UC_X86_REG_MSR, &efer);
    r->efer = efer.value;
    p_reg_read(s->uc, UC_X86_REG_RFLAGS, &r->rflags);
    p_reg_read(s->uc, UC_X86_REG_CS, &cs);
    r->user = (r->cr0 & 1) && (cs & 3) == 3;
}

static int frame_test(struct frame_set *f, uint64_t frame) {
    uint64_t n = frame >> 12;
    size_t li = n / FRAMES_PER_LEAF;
    if (li >= f->n || f->leaf[li] == NULL) {
        return 0;
    }
    uint64_t bit = n % FRAMES_PER_LEAF;
    return (f->leaf[li][bit / 64] >> (bit % 64)) & 1;
}

static void frame_add(struct frame_set *f, uint64_t frame) {
    uint64_t n = frame >> 12;
    size_t li = n / FRAMES_PER_LEAF;
    if (li >= f->n) {
        size_t want = li + 1;
        uint64_t **nl = realloc(f->leaf, want * sizeof *nl);
        if (nl == NULL) {
            return;
        }
        memset(nl + f->n, 0, (want - f->n) * sizeof *nl);
        f->leaf = nl;
        f->n = want;
    }
    if (f->leaf[li] == NULL && (f->leaf[li] = calloc(FRAMES_PER_LEAF / 64, 8)) == NULL) {
        return;
    }
    uint64_t bit = n % FRAMES_PER_LEAF;
    f->leaf[li][bit / 64] |= 1ull << (bit % 64);
}

static void frame_clear(struct frame_set *f) {
    for (size_t i = 0; i < f->n; i++) {
        if (f->leaf[i] != NULL) {
            memset(f->leaf[i], 0, FRAMES_PER_LEAF / 8);
        }
    }
}

static void frame_free(struct frame_set *f) {
    for (size_t i = 0; i < f->n; i++) {
        free(f->leaf[i]);
    }
    free(f->leaf);
    f->leaf = NULL;
    f->n = 0;
}

/* The host address of `len` bytes of guest RAM at `phys`, or NULL. */
static uint8_t *ram_at(struct guest_paging *g, uint64_t phys, uint64_t len) {
    for (int i = 0; i < g->n_ram; i++) {
        if (phys >= g->ram[i].base && phys - g->ram[i].base + len <= g->ram[i].len) {
            return g->ram[i].host + (phys - g->ram[i].base);
        }
    }
    return NULL;
}

/* Reads a paging-structure entry (8 or 4 bytes); sets `set` bits in it with a locked OR when asked. */
static uint64_t entry_at(struct guest_paging *g, uint64_t phys, int wide, uint64_t set) {
    uint8_t *p = ram_at(g, phys, wide ? 8 : 4);
    if (p == NULL) {
        return 0;
    }
    if (wide) {
        uint64_t *e = (uint64_t *)p;
        uint64_t v = __atomic_load_n(e, __ATOMIC_RELAXED);
        if (set && (v & PG_P) && (v & set) != set) {
            v = __atomic_or_fetch(e, set, __ATOMIC_SEQ_CST);
        }
        return v;
    }
    uint32_t *e = (uint32_t *)p;
    uint32_t v = __atomic_load_n(e, __ATOMIC_RELAXED);
    if (set && (v & PG_P) && (v & set) != set) {
        v = __atomic_or_fetch(e, (uint32_t)set, __ATOMIC_SEQ_CST);
    }
    return v;
}

static int in_table(uint64_t page, uint64_t base, uint64_t limit) {
    return page <= base + limit && base <= page + 0xfff;
}

/* True when the page holds part of the GDT, LDT, IDT or TSS: the CPU reaches them as supervisor (SDM 4.6). */
static int system_table_page(shim_cpu *s, uint64_t page) {
    int regs[] = {UC_X86_REG_GDTR, UC_X86_REG_IDTR, UC_X86_REG_LDTR, UC_X86_REG_TR};
    for (size_t i = 0; i < sizeof regs / sizeof regs[0]; i++) {
        uc_x86_mmr m = {0};
        p_reg_read(s->uc, regs[i], &m);
        if ((m.limit != 0 || m.base != 0) && in_table(page, m.base, m.limit)) {
            return 1;
        }
    }
    return 0;
}

/*
 * Walks the guest's page tables for `la`. `access`/`user` decide the fault; `update` sets A/D
 * flags (never for the host's own lookups). `implicit`: a supervisor access whatever the CPL.
 */
static void walk(shim_cpu *s, const paging_regs *r, uint64_t la, int access, int user, int update,
                 walk_result *w) {
    struct guest_paging *g = s->pg;
    memset(w, 0, sizeof *w);
    if (!(r->cr0 & (1ull << 31))) {
        w->frame = (r->efer & (1 << 10) ? la : la & 0xffffffffull) & ~0xfffull;
        w->read = w->write = w->exec = w->dirty = 1;
        return;
    }
    int nxe = (r->efer & (1 << 11)) != 0;
    int long_mode = (r->efer & (1 << 10)) != 0;
    int pae = (r->cr4 & (1 << 5)) != 0;
    int la57 = long_mode && (r->cr4 & (1 << 12)) != 0;
    if (long_mode) {
        int bits = la57 ? 57 : 48;
        int64_t top = (int64_t)la >> (bits - 1);
        if (top != 0 && top != -1) {
            w->vector = 13;           /* a non-canonical address: #GP(0) (QEMU does not tell #SS apart) */
            return;
        }
    } else {
        la &= 0xffffffffull;
    }
    int wide = long_mode || pae;
    int levels = long_mode ? (la57 ? 5 : 4) : pae ? 3 : 2;
    uint64_t table = long_mode ? r->cr3 & PHYS_MASK & ~0xfffull
                   : pae ? r->cr3 & 0xffffffe0ull : r->cr3 & 0xfffff000ull;
    uint64_t rsvd_high = wide ? (((1ull << 52) - 1) & ~PHYS_MASK) | (nxe ? 0 : PG_XD) : 0;
    int rw = 1, us = 1, xd = 0;
    uint64_t entry = 0, leaf_at = 0;
    uint64_t page_mask = 0xfff;
    uint32_t err = 0;
    for (int level = levels; level >= 1; level--) {
        int shift = wide ? 12 + 9 * (level - 1) : 12 + 10 * (level - 1);
        uint64_t index = wide ? (la >> shift) & 0x1ff : (la >> shift) & 0x3ff;
        if (!long_mode && pae && level == 3) {
            index = (la >> 30) & 3;
        }
        uint64_t at = table + index * (wide ? 8 : 4);
        entry = entry_at(g, at, wide, 0);
        if (!(entry & PG_P)) {
            goto fault;
        }
        int leaf = level == 1 || ((entry & PG_PS) && (level == 2 || (level == 3 && long_mode)));
        if (!long_mode && pae && level == 3) {
            leaf = 0;
        }
        if (!wide && level == 2 && !(r->cr4 & (1 << 4))) {
            leaf = 0;                 /* PS without CR4.PSE is ignored in 32-bit paging */
        }
        uint64_t rsvd = rsvd_high;
        if (!long_mode && pae && level == 3) {
            rsvd = (((1ull << 52) - 1) & ~PHYS_MASK) | 0x1e6ull | PG_XD;  /* PDPTE: bits 1, 2, 5-8, 63 */
        } else if (wide && (entry & PG_PS) && level >= 4) {
            rsvd |= PG_PS;
        }
        if (wide && leaf && level > 1) {
            rsvd |= ((1ull << (shift - 1)) - 1) & ~0x1fffull;   /* bits 13..shift-1 of a large frame */
        }
        if (entry & rsvd) {
            err = PF_P | PF_RSVD;
            goto fault;
        }
        if (!(!long_mode && pae && level == 3)) {
            rw &= (entry & PG_RW) != 0;
            us &= (entry & PG_US) != 0;
            xd |= nxe && (entry & PG_XD);
        }
        if (leaf) {
            page_mask = (1ull << shift) - 1;
            leaf_at = at;
            break;
        }
        if (update && !(!long_mode && pae && level == 3)) {
            entry_at(g, at, wide, PG_A);
        }
        table = entry & (wide ? PHYS_MASK : 0xffffffffull) & ~0xfffull;
    }
    {
        int smap = (r->cr4 & (1 << 21)) != 0, smep = (r->cr4 & (1 << 20)) != 0;
        int wp = (r->cr0 & (1 << 16)) != 0;
        int ac = (r->rflags & (1 << 18)) != 0;
        w->read = user ? us : !(smap && us && !ac);
        w->write = w->read && (user ? rw : (rw || !wp));
        w->exec = !xd && (user ? us : !(smep && us));
        int ok = access == ACC_FETCH ? w->exec : access == ACC_WRITE ? w->write : w->read;
        if (!ok) {
            err = PF_P;
            goto fault;
        }
        uint64_t frame_bits = wide ? entry & PHYS_MASK : entry & 0xffffffffull;
        w->frame = ((frame_bits & ~page_mask) | (la & page_mask)) & ~0xfffull;
        if (!wide && page_mask != 0xfff) {
            w->frame = ((entry & 0xffc00000ull) | (la & 0x3fffffull)) & ~0xfffull;
        }
        w->dirty = (entry & PG_D) != 0;
        if (update) {
            uint64_t set = PG_A | (access == ACC_WRITE ? PG_D : 0);
            if ((entry & set) != set) {
                entry_at(g, leaf_at, wide, set);
                w->dirty |= access == ACC_WRITE;
            }
        }
        return;
    }
fault:
    w->vector = 14;
    w->error = err | (access == ACC_WRITE ? PF_W : 0) | (user ? PF_U : 0)
             | (access == ACC_FETCH && ((nxe && wide) || (r->cr4 & (1 << 20))) ? PF_ID : 0);
}

static bool on_guard(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value, void *user) {
    return false;
}

/* See "Self-modifying code" above: keeps every TLB entry for this frame on the checked path. */
static void guard_frame(shim_cpu *s, uint64_t frame) {
    struct guest_paging *g = s->pg;
    if (frame_test(&g->guarded, frame)) {
        return;
    }
    if (g->n_guards == g->cap_guards) {
        int cap = g->cap_guards ? g->cap_guards * 2 : 16;
        uc_hook *n = realloc(g->guards, (size_t)cap * sizeof *n);
        if (n == NULL) {
            return;
        }
        g->guards = n;
        g->cap_guards = cap;
    }
    if (p_hook_add(s->uc, &g->guards[g->n_guards], UC_HOOK_MEM_READ_PROT, (void *)on_guard, s, frame,
                   frame + 0xfff) == UC_ERR_OK) {
        g->n_guards++;
        frame_add(&g->guarded, frame);
    }
}

static void flush_tlb(shim_cpu *s) {
    p_ctl(s->uc, UC_CTL_WRITE(UC_CTL_TLB_FLUSH, 0));
    if (s->pg != NULL) {
        frame_clear(&s->pg->written);
    }
}

static void scan_fetched_page(shim_cpu *s, const paging_regs *r, uint64_t page, uint64_t frame); /* "Code scan" */

static bool on_tlb_fill(uc_engine *uc, uint64_t vaddr, uc_mem_type type, uc_tlb_entry *result, void *user) {
    shim_cpu *s = user;
    struct guest_paging *g = s->pg;
    paging_regs r;
    read_paging_regs(s, &r);
    int access = type == UC_MEM_FETCH ? ACC_FETCH : type == UC_MEM_WRITE ? ACC_WRITE : ACC_READ;
    walk_result w;
    if (g->host_probe) {
        /* the shim finds a page to drop its code: present is enough; the TLB is flushed afterwards */
        walk(s, &r, vaddr, ACC_READ, 0, 0, &w);
        if (w.vector != 0 && w.error == PF_P) {
            r.cr4 &= ~((1ull << 20) | (1ull << 21));
            r.cr0 &= ~(1ull << 16);
            walk(s, &r, vaddr, ACC_READ, 0, 0, &w);
        }
        result->paddr = w.frame;
        result->perms = UC_PROT_READ | UC_PROT_EXEC;
        return w.vector == 0;
    }
    g->fills++;
    walk(s, &r, vaddr, access, r.user, 1, &w);
    if (w.vector == 14 && r.user && access != ACC_FETCH && system_table_page(s, vaddr)) {
        walk(s, &r, vaddr, access, 0, 1, &w);
    }
    if (w.vector != 0) {
        g->fault = 1;
        g->fault_vector = w.vector;
        g->fault_error = w.error;
        g->fault_address = vaddr;
        return false;
    }
    int perms = w.read ? UC_PROT_READ : 0;
    if (access == ACC_FETCH) {
        perms |= UC_PROT_EXEC;
        if (s->scan != NULL) {
            scan_fetched_page(s, &r, vaddr & ~0xfffull, w.frame);
        }
        if (!frame_test(&g->code, w.frame)) {
            frame_add(&g->code, w.frame);
            if (frame_test(&g->written, w.frame)) {
                flush_tlb(s);     /* a clean WRITE entry for this frame may exist: it must see the code */
            }
        }
    } else {
        if (w.write && (w.dirty || access == ACC_WRITE)) {
            perms |= UC_PROT_WRITE;
            frame_add(&g->written, w.frame);
            if (frame_test(&g->code, w.frame)) {
                if (w.exec) {
                    perms |= UC_PROT_EXEC;   /* stores stay on the checked path */
                } else {
                    guard_frame(s, w.frame);
                }
            }
        }
    }
    result->paddr = w.frame;
    result->perms = perms;
    return true;
}

/* Drops translated code at [begin, end) of a linear range (Unicorn looks the page up through the TLB). */
static void remove_cache(shim_cpu *s, uint64_t begin, uint64_t end) {
    if (s->pg != NULL) {
        s->pg->host_probe = 1;
    }
    p_ctl(s->uc, UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2), begin, end);
    if (s->pg != NULL) {
        s->pg->host_probe = 0;
        flush_tlb(s);     /* the lookup's entry ignored the guest's rights */
    }
}

/*
 * Where uc_struct keeps invalid_addr, the exact address of the access whose fill failed
 * (raise_mmu_exception): the fill hook itself is only given the page. Found at run time by
 * limu.emulator.unicorn.FaultAddressLayout; -1 until then (CR2 is then the page's address).
 */
static int off_invalid_addr = -1;

/* A fill that failed stopped the engine: deliver its exception as UC_HOOK_INTR would have. 1 = go on. */
static int deliver_fill_fault(shim_cpu *s) {
    struct guest_paging *g = s->pg;
    g->fault = 0;
    if (off_invalid_addr >= 0) {
        uint64_t exact;
        memcpy(&exact, (char *)s->uc + off_invalid_addr, 8);
        if ((exact & ~0xfffull) == g->fault_address) {
            g->fault_address = exact;
        }
    }
    if (g->fault_vector == 14) {
        p_reg_write(s->uc, UC_X86_REG_CR2, &g->fault_address);
    }
    jboolean delivered = (*s->env)->CallBooleanMethod(s->env, s->hooks, s->exception, (jint)g->fault_vector,
                                                      (jint)g->fault_error, JNI_FALSE);
    if (java_failed(s)) {
        return 0;
    }
    if (!delivered) {
        s->vector = g->fault_vector;
        s->kind = STOP_INTERRUPT;
        return 0;
    }
    return 1;
}

static struct guest_paging *paging_new(shim_cpu *s) {
    struct guest_paging *g = calloc(1, sizeof *g);
    if (g == NULL) {
        return NULL;
    }
    if (p_ctl(s->uc, UC_CTL_WRITE(UC_CTL_TLB_TYPE, 1), UC_TLB_VIRTUAL) != UC_ERR_OK) {
        free(g);
        return NULL;
    }
    return g;
}

/*
 * Unicorn keeps stores on its slow path, without ever marking the TLB entry clean, while any
 * memory hook covers the address (notdirty_write, uc_mem_hook_installed), UC_HOOK_MEM_UNMAPPED
 * included. So the hook that reports accesses where nothing is mapped covers only the physical
 * ranges around RAM; installed at the first run, once every RAM bank is known.
 */
static int unmapped_hooks(shim_cpu *s) {
    struct guest_paging *g = s->pg;
    uint64_t from = 0;
    for (;;) {
        int next = -1;
        for (int i = 0; i < g->n_ram; i++) {
            if (g->ram[i].base >= from && (next < 0 || g->ram[i].base < g->ram[next].base)) {
                next = i;
            }
        }
        uint64_t to = next < 0 ? UINT64_MAX : g->ram[next].base - 1;
        if ((next < 0 || g->ram[next].base > from)
            && p_hook_add(s->uc, &g->unmapped[g->n_unmapped++], UC_HOOK_MEM_UNMAPPED, (void *)on_unmapped, s,
                          from, to) != UC_ERR_OK) {
            return 0;
        }
        if (next < 0 || g->ram[next].base + g->ram[next].len == 0) {
            return 1;
        }
        from = g->ram[next].base + g->ram[next].len;
    }
}

static void paging_free(shim_cpu *s) {
    struct guest_paging *g = s->pg;
    if (g != NULL) {
        for (int i = 0; i < g->n_unmapped; i++) {
            p_hook_del(s->uc, g->unmapped[i]);
        }
        for (int i = 0; i < g->n_guards; i++) {
            p_hook_del(s->uc, g->guards[i]);
        }
        free(g->guards);
        frame_free(&g->guarded);
        frame_free(&g->code);
        frame_free(&g->written);
        free(g);
    }
}

/* void addRam(long shim, long guestPhysical, long length, long hostAddress): RAM the page walk reads. */
JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_addRam(JNIEnv *env, jclass cls, jlong handle, jlong base,
                                                              jlong length, jlong host) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    if (s->pg == NULL) {
        return;
    }
    if (s->pg->n_ram == MAX_RAM_BANKS) {
        throw_java(env, "limu/emulator/unicorn/UnicornException", "too many RAM banks for the page walk");
        return;
    }
    int i = s->pg->n_ram++;
    s->pg->ram[i].base = (uint64_t)base;
    s->pg->ram[i].len = (uint64_t)length;
    s->pg->ram[i].host = (uint8_t *)(uintptr_t)host;
}

/*
 * long translate(long shim, long linear, int access, int privilege): the physical address of `linear`
 * through this CPU's page tables without touching A/D flags. access: 0 read, 1 write, 2 fetch;
 * privilege: 0 supervisor, 3 user, -1 the CPU's CPL, -2 any (present is enough, for debuggers).
 * A fault gives -1 - (vector << 16 | error code); -2 when this CPU runs on Unicorn's own MMU.
 */
JNIEXPORT jlong JNICALL Java_limu_emulator_unicorn_Shim_translate(JNIEnv *env, jclass cls, jlong handle,
                                                                  jlong linear, jint access, jint privilege) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    if (s->pg == NULL) {
        return -2;        /* Unicorn's own MMU runs this CPU: the caller asks Unicorn */
    }
    paging_regs r;
    read_paging_regs(s, &r);
    int user = privilege == -1 ? r.user : privilege == 3;
    if (privilege == -2) {
        r.cr4 &= ~((1ull << 20) | (1ull << 21));
        r.cr0 &= ~(1ull << 16);
        access = ACC_READ;
        user = 0;
    }
    walk_result w;
    walk(s, &r, (uint64_t)linear, access, user, 0, &w);
    if (w.vector != 0) {
        return -1 - (((jlong)w.vector << 16) | w.error);
    }
    return (jlong)(w.frame | ((uint64_t)linear & 0xfff));
}

/*
 * Copies `length` bytes of guest memory at `linear` to `out` through this CPU's page tables the way
 * translate(..., -2) sees them (present is enough, no A/D flags); returns how many it copied: fewer
 * where a page does not translate or is not RAM. Calls no JNI function.
 */
static jint read_linear(shim_cpu *s, uint64_t linear, uint8_t *out, jint length) {
    paging_regs r;
    read_paging_regs(s, &r);
    r.cr4 &= ~((1ull << 20) | (1ull << 21));
    r.cr0 &= ~(1ull << 16);
    jint done = 0;
    while (done < length) {
        uint64_t at = linear + (uint64_t)done;
        jint n = (jint)(0x1000 - (at & 0xfff));
        if (n > length - done) {
            n = length - done;
        }
        walk_result w;
        walk(s, &r, at, ACC_READ, 0, 0, &w);
        if (w.vector != 0) {
            break;
        }
        uint8_t *host = ram_at(s->pg, w.frame | (at & 0xfff), (uint64_t)n);
        if (host == NULL) {
            break;
        }
        memcpy(out + done, host, (size_t)n);
        done += n;
    }
    return done;
}

/*
 * int readVirtual(long shim, long linear, Object dst, int length): copies `length` bytes of guest
 * memory at `linear` into dst (a byte[] or, for 8-byte words, a long[]) with read_linear, in one
 * call, and returns how many bytes it copied: fewer where a page does not translate or is not RAM
 * (the caller takes the slow way from there); -2 on Unicorn's own MMU. The page walk calls no JNI
 * function, so it runs with the array held (GetPrimitiveArrayCritical).
 */
JNIEXPORT jint JNICALL Java_limu_emulator_unicorn_Shim_readVirtual(JNIEnv *env, jclass cls, jlong handle,
                                                                   jlong linear, jarray dst, jint length) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    if (s->pg == NULL) {
        return -2;
    }
    uint8_t *out = (*env)->GetPrimitiveArrayCritical(env, dst, NULL);
    if (out == NULL) {
        return 0;
    }
    jint done = read_linear(s, (uint64_t)linear, out, length);
    (*env)->ReleasePrimitiveArrayCritical(env, dst, out, 0);
    return done;
}

#define MAX_SCAN_WORDS 1024

/*
 * int scanWords(long shim, long linear, int count, long lo, long hi, long[] words, int[] index): reads
 * `count` 8-byte words at `linear` (as readVirtual) and keeps the first one and those in [lo, hi]
 * (unsigned) at the front of `words`, with their positions in `index`; returns how many it kept, -1
 * when the words are not all readable RAM, -2 on Unicorn's own MMU. A stack scan for return
 * addresses thus hands Java the few words that point into code, not the whole stack.
 */
JNIEXPORT jint JNICALL Java_limu_emulator_unicorn_Shim_scanWords(JNIEnv *env, jclass cls, jlong handle,
                                                                 jlong linear, jint count, jlong lo, jlong hi,
                                                                 jlongArray words, jintArray index) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    if (s->pg == NULL) {
        return -2;
    }
    if (count <= 0 || count > MAX_SCAN_WORDS) {
        return -1;
    }
    uint64_t buf[MAX_SCAN_WORDS];
    if (read_linear(s, (uint64_t)linear, (uint8_t *)buf, count * 8) != count * 8) {
        return -1;
    }
    jlong kept[MAX_SCAN_WORDS];
    jint at[MAX_SCAN_WORDS];
    jint n = 0;
    for (jint i = 0; i < count; i++) {
        if (i == 0 || (buf[i] >= (uint64_t)lo && buf[i] <= (uint64_t)hi)) {
            kept[n] = (jlong)buf[i];
            at[n++] = i;
        }
    }
    (*env)->SetLongArrayRegion(env, words, 0, n, kept);
    (*env)->SetIntArrayRegion(env, index, 0, n, at);
    return n;
}

/* void setFaultAddressOffset(int offset): see off_invalid_addr. */
JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_setFaultAddressOffset(JNIEnv *env, jclass cls, jint offset) {
    off_invalid_addr = offset;
}

/* byte[] engineBytes(long shim, int length): the first bytes of the engine's uc_struct, for FaultAddressLayout. */
JNIEXPORT jbyteArray JNICALL Java_limu_emulator_unicorn_Shim_engineBytes(JNIEnv *env, jclass cls, jlong handle,
                                                                         jint length) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    jbyteArray a = (*env)->NewByteArray(env, length);
    if (a != NULL) {
        (*env)->SetByteArrayRegion(env, a, 0, length, (const jbyte *)s->uc);
    }
    return a;
}

/* long tlbFills(long shim): fills of the virtual TLB so far (0 with Unicorn's own MMU). */
JNIEXPORT jlong JNICALL Java_limu_emulator_unicorn_Shim_tlbFills(JNIEnv *env, jclass cls, jlong handle) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    return s->pg == NULL ? 0 : (jlong)s->pg->fills;
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

/*
 * boolean residentPages(long addr, long bytes, byte[] out): bit 0 of out[i] set when page i of ramAlloc memory at
 * `addr` is resident (mincore), so the reverse-debugging history never reads (and so never maps) pages the guest
 * did not touch. False when mincore failed.
 */
JNIEXPORT jboolean JNICALL Java_limu_emulator_unicorn_Shim_residentPages(JNIEnv *env, jclass cls, jlong addr,
                                                                          jlong bytes, jbyteArray out) {
    size_t pages = (size_t)(bytes + 4095) / 4096;
    unsigned char *vec = malloc(pages ? pages : 1);
    if (vec == NULL) {
        return JNI_FALSE;
    }
    int r = mincore((void *)(uintptr_t)addr, (size_t)bytes, vec);
    if (r == 0) {
        (*env)->SetByteArrayRegion(env, out, 0, (jsize)pages, (const jbyte *)vec);
    }
    free(vec);
    return r == 0 ? JNI_TRUE : JNI_FALSE;
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
 * long attach(long uc, CpuHooks hooks, boolean countInstructions, boolean guestPaging): installs
 * every hook before any code is translated (docs/unicorn-notes.md: hooks added later
 * never fire on already translated code). guestPaging: the shim's page walk fills
 * Unicorn's virtual TLB (section "Guest paging"); else Unicorn's own x86 MMU does.
 */
JNIEXPORT jlong JNICALL Java_limu_emulator_unicorn_Shim_attach(JNIEnv *env, jclass cls, jlong uc,
                                                               jobject hooks, jboolean count,
                                                               jboolean guest_paging) {
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
    if (!guest_paging) {
        ADD_HOOK(s->h_unmapped, UC_HOOK_MEM_UNMAPPED, on_unmapped, 1, 0);
    }
    ADD_HOOK(s->h_block, UC_HOOK_BLOCK, on_block, 1, 0);
    ADD_HOOK(s->h_syscall, UC_HOOK_INSN, on_syscall, 1, 0, UC_X86_INS_SYSCALL);
    ADD_HOOK(s->h_cpuid, UC_HOOK_INSN, on_cpuid, 1, 0, UC_X86_INS_CPUID);
    ADD_HOOK(s->h_rdtsc, UC_HOOK_INSN, on_rdtsc, 1, 0, UC_X86_INS_RDTSC);
    ADD_HOOK(s->h_rdtscp, UC_HOOK_INSN, on_rdtscp, 1, 0, UC_X86_INS_RDTSCP);
    if (count) {
        ADD_HOOK(s->h_code, UC_HOOK_CODE, on_code, 1, 0);
    }
    if (guest_paging) {
        if ((s->pg = paging_new(s)) == NULL) {
            failed = "UC_CTL_TLB_TYPE";
            goto fail;
        }
        ADD_HOOK(s->h_tlb, UC_HOOK_TLB_FILL, on_tlb_fill, 1, 0);
    }
    return (jlong)(uintptr_t)s;
fail:
    paging_free(s);
    (*env)->DeleteGlobalRef(env, s->hooks);
    p_context_free(s->ctx);
    free(s);
    throw_java(env, "limu/emulator/unicorn/UnicornException", failed);
    return 0;
}

static void free_address_hooks(JNIEnv *env, shim_cpu *s); /* the address-hook section, at the end */
static void free_block_counts(shim_cpu *s);  /* section "Coverage", at the end */
static void free_code_scan(shim_cpu *s);     /* section "Code scan", at the end */
static void scan_slice_start(shim_cpu *s);
static int scan_restart(shim_cpu *s);
static int scan_claim(shim_cpu *s, uint64_t address);

JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_detach(JNIEnv *env, jclass cls, jlong handle) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    uc_hook hs[] = {s->h_in, s->h_out, s->h_intr, s->h_invalid, s->h_unmapped, s->h_block, s->h_code,
                    s->h_syscall, s->h_cpuid, s->h_rdtsc, s->h_rdtscp, s->h_tlb};
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
    free_address_hooks(env, s);
    free_code_scan(s);
    paging_free(s);
    free_block_counts(s);
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
        uint64_t pc = (uint64_t)begin;
        if (s->pg != NULL && s->pg->n_unmapped == 0 && !unmapped_hooks(s)) {
            s->env = NULL;
            throw_java(env, "limu/emulator/unicorn/UnicornException", "cannot hook accesses outside RAM");
            return UC_ERR_HOOK;
        }
        scan_slice_start(s);
        for (;;) {
            if (s->pg != NULL) {
                s->pg->fault = 0;
            }
            err = p_emu_start(s->uc, pc, 0, 0, 0);
            if (scan_restart(s)) {
                p_reg_read(s->uc, UC_X86_REG_RIP, &pc);
                continue;
            }
            if (err != UC_ERR_EXCEPTION || s->pg == NULL || !s->pg->fault) {
                break;
            }
            /* a page walk faulted (section "Guest paging"); with a stop already on its way the
               instruction faults again in the next slice, as an exception does in on_intr */
            err = UC_ERR_OK;
            if (s->kind != STOP_NONE || !deliver_fill_fault(s)) {
                break;
            }
            p_reg_read(s->uc, UC_X86_REG_RIP, &pc);
        }
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
    flush_tlb(s);
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
 * never clears (docs/unicorn-notes.md: else the next fault turns into #DF, the one after
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

/* void addMsrHook(long shim, long address): must run before the code at `address` is translated (docs/unicorn-notes.md). */
JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_addMsrHook(JNIEnv *env, jclass cls, jlong handle,
                                                                  jlong address) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    if (!scan_claim(s, (uint64_t)address)) {
        return;     /* already hooked: a second hook would emulate the instruction twice */
    }
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
 *   calls hooks that existed when a block was translated (docs/unicorn-notes.md), so adding
 *   one also drops the translated code at that address
 *   (uc_ctl_remove_cache). The hook stops before the instruction runs: a
 *   uc_emu_stop in a code hook takes effect at the exit check emitted right
 *   after the hook call, with RIP at the instruction.
 * - Resuming from a breakpoint address must not hit it again at once: the
 *   first hit at the address a run starts from is skipped, when Java says
 *   the CPU resumes where it stopped (not at an interrupt handler the host
 *   just delivered, whose first instruction may hold a breakpoint).
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
    /* section "Re-execution" */
    int replay;                       /* re-executing: breakpoints and watchpoints are noted, never stop */
    int every_insn;                   /* every instruction counts as a hit (reverse-stepi) */
    int stop_armed, stop_final;
    uc_hook stop_hook;                /* an exact-address hook at stop_rip while armed */
    int seen_valid;                   /* the last instruction on_replay saw (several hooks may call it) */
    int64_t seen_blocks;
    uint64_t seen_rip;
    int64_t stop_blocks;
    uint64_t stop_rip;
    int prev_valid;
    int64_t prev_blocks;
    uint64_t prev_rip;
    int64_t hit_kind, hit_blocks, hit_rip, hit_watch;
    int64_t hit2_kind, hit2_blocks, hit2_rip, hit2_watch;   /* the hit before the last one */
};

static void on_replay(shim_cpu *s, struct debug_state *d, uint64_t address); /* section "Re-execution" */

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
    if (d->replay) {
        on_replay(s, d, address);   /* notes the breakpoint, never stops at it */
        return;
    }
    if (d->resume_armed && address == d->resume_at) {
        d->resume_armed = 0;
        return;
    }
    if (s->kind == STOP_NONE) {
        s->address = (int64_t)address;
    }
    stop_with(s, STOP_BREAKPOINT);
}

static void note_hit(struct debug_state *d, int kind, int64_t blocks, uint64_t rip, int64_t watch);

static void on_trace(uc_engine *uc, uint64_t address, uint32_t size, void *user) {
    shim_cpu *s = user;
    struct debug_state *d = s->dbg;
    if (d->replay) {
        if (d->step_mode && d->trace_seen) {
            if (d->watch_pending && d->prev_valid) {
                note_hit(d, 2, d->prev_blocks, d->prev_rip, d->watch_addr);
            }
            d->watch_pending = 0;
            stop_with(s, STOP_STEPPED);
            return;
        }
        d->trace_seen = 1;
        on_replay(s, d, address);
        return;
    }
    /* the start address keeps its pass over a breakpoint whichever of the two hooks runs first */
    if (address != d->resume_at) {
        d->resume_armed = 0;
    }
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
        remove_cache(s, (uint64_t)linear, (uint64_t)(linear + length));
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
 * int runDebug(long shim, long begin, long blockBudget, boolean step, boolean pass, long[] out): run() with
 * the debugger's state armed; with `step`, exactly one instruction (or none, when it is a HLT); with `pass`,
 * a breakpoint at `begin` is passed over once (the CPU is resuming from it).
 */
JNIEXPORT jint JNICALL Java_limu_emulator_unicorn_Shim_runDebug(JNIEnv *env, jclass cls, jlong handle, jlong begin,
                                                                jlong budget, jboolean step, jboolean pass,
                                                                jlongArray out) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    struct debug_state *d = dbg(env, s);
    if (d == NULL) {
        return UC_ERR_NOMEM;
    }
    d->resume_at = (uint64_t)begin;
    d->resume_armed = pass;
    d->step_mode = step;
    d->trace_seen = 0;
    d->watch_pending = 0;
    /* the trace hook stays between consecutive steps (no flush per stepi); a plain run drops it */
    /* re-executing, the trace hook (every instruction, slow) only where an instruction's position matters: for
       reverse-stepi, and for the accessing instruction of a watchpoint */
    if (!set_trace(s, step || d->n_wp > 0 || (d->replay && d->every_insn))) {
        throw_java(env, "limu/emulator/unicorn/UnicornException", "cannot add the single-step hook");
        return UC_ERR_HOOK;
    }
    d->prev_valid = 0;
    d->seen_valid = 0;
    d->hit_kind = 0;
    d->hit2_kind = 0;
    jint r = Java_limu_emulator_unicorn_Shim_run(env, cls, handle, begin, budget, out);
    if (d->replay && d->watch_pending && d->prev_valid) {
        /* the slice's last instruction accessed a watchpoint: no later instruction saw it */
        note_hit(d, 2, d->prev_blocks, d->prev_rip, d->watch_addr);
    }
    d->watch_pending = 0;
    d->step_mode = 0;
    d->resume_armed = 0;
    return r;
}

/* ---------------------------------------------------------------------------
 * Re-execution (reverse debugging, limu.emulator.History): a slice run again
 * from a snapshot must do exactly what it did the first time, and stop
 * exactly where it stopped, whatever breakpoints exist now.
 *
 * - A re-executed slice runs with the trace hook, which the live run may not
 *   have had: code hooks add calls inside translated blocks but do not move
 *   block boundaries, so the block counts agree (the run loop checks every
 *   re-executed slice's count against the journal and says so if not).
 * - A position inside a slice is (blocks counted so far, RIP) at the start of
 *   an instruction: the block hook counts a block before the code hooks of
 *   its first instruction run, and one block never holds the same address
 *   twice (a loop, even a REP, starts a new block each time round).
 * - The exact stop ends the slice before the instruction at such a position
 *   (STOP_TARGET), from an exact-address hook at its RIP. The trace hook
 *   (every instruction, slow) is on only for reverse-stepi and watchpoints;
 *   breakpoints are seen by their own hooks. Whichever hooks run at one
 *   instruction, on_replay handles it once. Breakpoints and watchpoints never stop a re-executed
 *   slice; the last one met (before the final target) is noted, with its
 *   position: a breakpoint's is its own instruction, a watchpoint's is the
 *   instruction that made the access. With `every_insn` every instruction
 *   counts (the previous instruction, for reverse-stepi).
 * ------------------------------------------------------------------------- */

static int is_breakpoint(struct debug_state *d, uint64_t address) {
    for (int i = 0; i < d->n_bp; i++) {
        if (d->bp_addr[i] == address) {
            return 1;
        }
    }
    return 0;
}

static void note_hit(struct debug_state *d, int kind, int64_t blocks, uint64_t rip, int64_t watch) {
    d->hit2_kind = d->hit_kind;
    d->hit2_blocks = d->hit_blocks;
    d->hit2_rip = d->hit_rip;
    d->hit2_watch = d->hit_watch;
    d->hit_kind = kind;
    d->hit_blocks = blocks;
    d->hit_rip = (int64_t)rip;
    d->hit_watch = watch;
}

static void on_replay(shim_cpu *s, struct debug_state *d, uint64_t address) {
    if (d->seen_valid && s->blocks == d->seen_blocks && address == d->seen_rip) {
        return;   /* another of the hooks at this instruction saw it already */
    }
    d->seen_valid = 1;
    d->seen_blocks = s->blocks;
    d->seen_rip = address;
    int first = d->resume_armed && address == d->resume_at;
    d->resume_armed = 0;
    if (d->watch_pending) {
        d->watch_pending = 0;
        if (d->prev_valid) {
            note_hit(d, 2, d->prev_blocks, d->prev_rip, d->watch_addr);
        }
    }
    int at_stop = d->stop_armed && s->blocks == d->stop_blocks && address == d->stop_rip;
    if (at_stop && d->stop_final) {
        stop_with(s, STOP_TARGET);
        return;
    }
    if (d->every_insn || (!first && is_breakpoint(d, address))) {
        note_hit(d, d->every_insn ? 3 : 1, s->blocks, address, 0);
    }
    if (at_stop) {
        stop_with(s, STOP_TARGET);
        return;
    }
    d->prev_valid = 1;
    d->prev_blocks = s->blocks;
    d->prev_rip = address;
}

/*
 * Hooks that act on an instruction (RDMSR/WRMSR emulation, PAUSE) call this first: when a re-executed slice must
 * stop before this instruction, on_replay stops it and the hook does nothing (its hook may run before the stop's).
 */
static int replay_stop_here(shim_cpu *s, uint64_t address) {
    struct debug_state *d = s->dbg;
    if (d == NULL || !d->replay || !d->stop_armed || s->blocks != d->stop_blocks || address != d->stop_rip) {
        return 0;
    }
    on_replay(s, d, address);
    return 1;
}

static void on_stop_hook(uc_engine *uc, uint64_t address, uint32_t size, void *user) {
    shim_cpu *s = user;
    on_replay(s, s->dbg, address);
}

/*
 * void setReplay(long shim, boolean on, boolean everyInsn, boolean stopArmed, long stopBlocks, long stopRip,
 * boolean stopFinal): the next debugger slices are re-executions (on), with an exact stop when stopArmed.
 */
JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_setReplay(JNIEnv *env, jclass cls, jlong handle,
                                                                 jboolean on, jboolean everyInsn, jboolean armed,
                                                                 jlong blocks, jlong rip, jboolean final) {
    struct debug_state *d = dbg(env, (shim_cpu *)(uintptr_t)handle);
    if (d == NULL) {
        return;
    }
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    if (d->stop_hook) {
        p_hook_del(s->uc, d->stop_hook);
        d->stop_hook = 0;
    }
    d->replay = on;
    d->every_insn = everyInsn;
    d->stop_armed = armed;
    d->stop_blocks = blocks;
    d->stop_rip = (uint64_t)rip;
    d->stop_final = final;
    /* Java drops the translated code at the address, so the new hook is called there */
    if (on && armed && p_hook_add(s->uc, &d->stop_hook, UC_HOOK_CODE, (void *)on_stop_hook, s, (uint64_t)rip,
                                  (uint64_t)rip) != UC_ERR_OK) {
        d->stop_hook = 0;
        throw_java(env, "limu/emulator/unicorn/UnicornException", "cannot add the exact-stop hook");
    }
}

/* void replayHit(long shim, long[] out): the last slice's last hit: kind (0 none, 1 breakpoint, 2 watchpoint,
   3 instruction), blocks, rip, watchpoint index; then the same for the hit before it. */
JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_replayHit(JNIEnv *env, jclass cls, jlong handle,
                                                                 jlongArray out) {
    struct debug_state *d = dbg(env, (shim_cpu *)(uintptr_t)handle);
    if (d == NULL) {
        return;
    }
    jlong r[8] = {d->hit_kind, d->hit_blocks, d->hit_rip, d->hit_watch,
                  d->hit2_kind, d->hit2_blocks, d->hit2_rip, d->hit2_watch};
    (*env)->SetLongArrayRegion(env, out, 0, 8, r);
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
 *   CpuHooks.addressHit(address, registers); a true answer stops the CPU
 *   before the instruction runs (STOP_ADDRESS, the address in `address`).
 * - `registers` is one long[] per CPU, refilled before each upcall with the
 *   registers a watcher of calls needs (HOOK_REGS below, the order of
 *   CpuHooks.HOOK_REGISTERS): RSP, RAX and the SysV argument registers. One
 *   JNI array copy instead of an engine read per register from Java.
 * - Unicorn only calls hooks that existed when a block was translated
 *   (docs/unicorn-notes.md): adding one drops the translated code at the address
 *   (uc_ctl_remove_cache when the address translates on this CPU, else the
 *   whole cache). This also works from inside a hook, for another block.
 * - Removing one deletes the hook; Unicorn frees it when uc_emu_start
 *   returns, and the (still translated) helper call finds nothing. Callers
 *   that hook and unhook often should rather keep a hook and ignore hits.
 * - The upcall also runs when a stop is already pending (the observer must
 *   see every call it counts) and may see the same instruction twice when a
 *   stop lands between the hook and the instruction: observers dedupe.
 * ------------------------------------------------------------------------- */

/* The registers each upcall carries, in the order of CpuHooks.HOOK_REGISTERS. */
static const int HOOK_REGS[] = {UC_X86_REG_RSP, UC_X86_REG_RAX, UC_X86_REG_RDI, UC_X86_REG_RSI,
                                UC_X86_REG_RDX, UC_X86_REG_RCX, UC_X86_REG_R8};
#define N_HOOK_REGS ((int)(sizeof HOOK_REGS / sizeof HOOK_REGS[0]))

struct address_hooks {
    jmethodID hit;
    jlongArray regs;     /* global ref: the long[] handed to every upcall */
    uint64_t *addr;
    uc_hook *hook;
    int n, cap;
};

static void free_address_hooks(JNIEnv *env, shim_cpu *s) {
    if (s->ah == NULL) {
        return;
    }
    if (s->ah->regs != NULL) {
        (*env)->DeleteGlobalRef(env, s->ah->regs);
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
    jlong regs[N_HOOK_REGS];
    for (int i = 0; i < N_HOOK_REGS; i++) {
        uint64_t v = 0;
        p_reg_read(uc, HOOK_REGS[i], &v);
        regs[i] = (jlong)v;
    }
    (*s->env)->SetLongArrayRegion(s->env, s->ah->regs, 0, N_HOOK_REGS, regs);
    jboolean stop = (*s->env)->CallBooleanMethod(s->env, s->hooks, s->ah->hit, (jlong)address, s->ah->regs);
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
        s->ah->hit = hc == NULL ? NULL : (*env)->GetMethodID(env, hc, "addressHit", "(J[J)Z");
        jlongArray regs = s->ah->hit == NULL ? NULL : (*env)->NewLongArray(env, N_HOOK_REGS);
        s->ah->regs = regs == NULL ? NULL : (*env)->NewGlobalRef(env, regs);
        if (s->ah->regs == NULL) {
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
        remove_cache(s, (uint64_t)linear, (uint64_t)linear + 1);
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
 * - Added hooks only reach code translated afterwards (docs/unicorn-notes.md): adding
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

/* ---------------------------------------------------------------------------
 * Code scan: RDMSR, WRMSR and PAUSE wherever the guest executes them.
 *
 * - Unicorn 2.1.4 refuses UC_HOOK_INSN for RDMSR/WRMSR and has no hook for
 *   PAUSE (F3 90), so each one gets an exact-address code hook (begin = end)
 *   at its linear address: RDMSR/WRMSR go to CpuHooks.msr (limu's MSRs, #GP
 *   for unknown ones), PAUSE to on_pause, in C.
 * - Unicorn only calls a code hook from code translated after it was added
 *   (docs/unicorn-notes.md), and code is translated right after the
 *   instruction fetch that fills its TLB entry. So every fetch fill of the
 *   virtual TLB (on_tlb_fill, section "Guest paging") scans the 4 KiB page for
 *   the byte pairs 0F 32, 0F 30 (and a REX prefix before them) and F3 90, and
 *   hooks each address not hooked yet. A pair inside another instruction costs
 *   nothing: a hook fires only where an instruction starts. A pair that
 *   crosses into the next page is found with a side-effect-free walk of it.
 * - A hook added during a fill may be too late for code of that page already
 *   translated (code rewritten in place while its TLB entry stayed): the fill
 *   stops the engine, which ends before the next translation block runs, and
 *   run() drops the page's translated code and goes on at the same RIP
 *   (STOP_RESCAN, invisible to Java).
 * - PAUSE: a CPU spinning on a lock that another CPU holds burns its slice.
 *   When Java allows it (pause_limit > 0: other CPUs are runnable), the
 *   pause_limit-th PAUSE of a slice ends the slice before it runs
 *   (STOP_YIELD). Counting PAUSEs, not time, keeps runs deterministic.
 * - Cost for code without these instructions: one scan of 4 KiB per fetch
 *   fill, which happens on TLB misses only; no hook runs.
 * ------------------------------------------------------------------------- */

enum { SITE_MSR = 1, SITE_PAUSE = 2 };
#define MAX_RESCAN_PAGES 32

struct code_scan {
    int enabled;         /* fetch fills scan their page */
    uint64_t *keys;      /* open addressing set of hooked addresses, stored + 1 (0 = empty) */
    size_t cap, n;
    uc_hook *hooks;
    size_t n_hooks, cap_hooks;
    uint64_t rescan[MAX_RESCAN_PAGES]; /* pages whose translated code must go before going on */
    int n_rescan, rescan_all;
    int pause_limit;     /* PAUSEs in a slice before it yields; 0: never */
    int pauses;          /* PAUSEs in this slice */
    uint64_t pages, msr_sites, pause_sites, yields;   /* counters, for measurements */
};

static struct code_scan *code_scan_of(shim_cpu *s) {
    if (s->scan == NULL) {
        s->scan = calloc(1, sizeof *s->scan);
    }
    return s->scan;
}

static size_t site_slot(struct code_scan *c, uint64_t key) {
    size_t i = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20) & (c->cap - 1);
    while (c->keys[i] != 0 && c->keys[i] != key) {
        i = (i + 1) & (c->cap - 1);
    }
    return i;
}

/* 1 when `address` was not hooked yet and is now recorded as hooked; 0 when it was (or no memory). */
static int scan_claim(shim_cpu *s, uint64_t address) {
    struct code_scan *c = code_scan_of(s);
    if (c == NULL) {
        return 1;
    }
    if ((c->n + 1) * 2 > c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        uint64_t *old = c->keys;
        size_t old_cap = c->cap;
        uint64_t *keys = calloc(cap, sizeof *keys);
        if (keys == NULL) {
            return 0;
        }
        c->keys = keys;
        c->cap = cap;
        for (size_t i = 0; i < old_cap; i++) {
            if (old[i] != 0) {
                c->keys[site_slot(c, old[i])] = old[i];
            }
        }
        free(old);
    }
    size_t i = site_slot(c, address + 1);
    if (c->keys[i] != 0) {
        return 0;
    }
    c->keys[i] = address + 1;
    c->n++;
    return 1;
}

static void on_pause(uc_engine *uc, uint64_t address, uint32_t size, void *user) {
    shim_cpu *s = user;
    if (replay_stop_here(s, address)) {
        return;
    }
    struct code_scan *c = s->scan;
    if (c->pause_limit > 0 && ++c->pauses >= c->pause_limit && s->kind == STOP_NONE) {
        c->yields++;
        stop_with(s, STOP_YIELD);
    }
}

static void hook_site(shim_cpu *s, uint64_t address, int kind, uint64_t page) {
    struct code_scan *c = s->scan;
    if (!scan_claim(s, address)) {
        return;
    }
    if (c->n_hooks == c->cap_hooks) {
        size_t cap = c->cap_hooks ? c->cap_hooks * 2 : 64;
        uc_hook *n = realloc(c->hooks, cap * sizeof *n);
        if (n == NULL) {
            return;
        }
        c->hooks = n;
        c->cap_hooks = cap;
    }
    void *cb = kind == SITE_MSR ? (void *)on_msr : (void *)on_pause;
    if (p_hook_add(s->uc, &c->hooks[c->n_hooks], UC_HOOK_CODE, cb, s, address, address) != UC_ERR_OK) {
        return;
    }
    c->n_hooks++;
    if (kind == SITE_MSR) {
        c->msr_sites++;
    } else {
        c->pause_sites++;
    }
    int known = 0;
    for (int i = 0; i < c->n_rescan; i++) {
        known |= c->rescan[i] == page;
    }
    if (!known) {
        if (c->n_rescan < MAX_RESCAN_PAGES) {
            c->rescan[c->n_rescan++] = page;
        } else {
            c->rescan_all = 1;
        }
    }
    stop_with(s, STOP_RESCAN);
}

/* The byte at linear `la` through the guest's tables without side effects, or -1. */
static int byte_after_page(shim_cpu *s, const paging_regs *r, uint64_t la) {
    walk_result w;
    walk(s, r, la, ACC_READ, 0, 0, &w);
    if (w.vector != 0) {
        return -1;
    }
    uint8_t *p = ram_at(s->pg, w.frame, 1);
    return p == NULL ? -1 : *p;
}

static void scan_fetched_page(shim_cpu *s, const paging_regs *r, uint64_t page, uint64_t frame) {
    struct code_scan *c = s->scan;
    if (!c->enabled) {
        return;
    }
    const uint8_t *p = ram_at(s->pg, frame, 0x1000);
    if (p == NULL) {
        return;
    }
    c->pages++;
    const uint8_t *at = p, *end = p + 0x1000;
    for (;;) {
        /* only 0F and F3 can start a site: skip to the next of either */
        const uint8_t *f = memchr(at, 0x0f, (size_t)(end - at));
        const uint8_t *g = memchr(at, 0xf3, (size_t)(end - at));
        const uint8_t *q = f == NULL ? g : g == NULL ? f : f < g ? f : g;
        if (q == NULL) {
            return;
        }
        size_t i = (size_t)(q - p);
        int next = i + 1 < 0x1000 ? p[i + 1] : byte_after_page(s, r, page + 0x1000);
        if (*q == 0x0f && (next == 0x30 || next == 0x32)) {
            hook_site(s, page + i, SITE_MSR, page);
            if (i > 0 && (p[i - 1] & 0xf0) == 0x40) {
                hook_site(s, page + i - 1, SITE_MSR, page);   /* REX.W rdmsr/wrmsr, as compilers emit them */
            }
        } else if (*q == 0xf3 && next == 0x90) {
            hook_site(s, page + i, SITE_PAUSE, page);
        }
        at = q + 1;
    }
}

static void scan_slice_start(shim_cpu *s) {
    if (s->scan != NULL) {
        s->scan->pauses = 0;
    }
}

/* After uc_emu_start returned: drops code translated before its hooks; 1 = go on at RIP (STOP_RESCAN). */
static int scan_restart(shim_cpu *s) {
    struct code_scan *c = s->scan;
    if (c == NULL || (c->n_rescan == 0 && !c->rescan_all)) {
        return 0;
    }
    if (c->rescan_all) {
        flush_all(s);
    } else {
        for (int i = 0; i < c->n_rescan; i++) {
            remove_cache(s, c->rescan[i], c->rescan[i] + 0x1000);
        }
    }
    c->n_rescan = 0;
    c->rescan_all = 0;
    if (s->kind == STOP_RESCAN) {
        s->kind = STOP_NONE;
        return 1;
    }
    return 0;
}

static void free_code_scan(shim_cpu *s) {
    struct code_scan *c = s->scan;
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < c->n_hooks; i++) {
        p_hook_del(s->uc, c->hooks[i]);
    }
    free(c->hooks);
    free(c->keys);
    free(c);
    s->scan = NULL;
}

/* boolean scanFetchedCode(long shim): turns the scan on; false without the shim's page walk (no fill hook). */
JNIEXPORT jboolean JNICALL Java_limu_emulator_unicorn_Shim_scanFetchedCode(JNIEnv *env, jclass cls, jlong handle) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    if (s->pg == NULL || code_scan_of(s) == NULL) {
        return JNI_FALSE;
    }
    s->scan->enabled = 1;
    return JNI_TRUE;
}

/* void setPauseYield(long shim, int pauses): the next slices yield at their pauses-th PAUSE (0: never). */
JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_setPauseYield(JNIEnv *env, jclass cls, jlong handle,
                                                                     jint pauses) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    if (code_scan_of(s) != NULL) {
        s->scan->pause_limit = pauses;
    }
}

/* long[] codeScanCounts(long shim): pages scanned, RDMSR/WRMSR sites hooked, PAUSE sites hooked, yields. */
JNIEXPORT jlongArray JNICALL Java_limu_emulator_unicorn_Shim_codeScanCounts(JNIEnv *env, jclass cls,
                                                                           jlong handle) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    struct code_scan *c = s->scan;
    jlong v[4] = {0, 0, 0, 0};
    if (c != NULL) {
        v[0] = (jlong)c->pages;
        v[1] = (jlong)c->msr_sites;
        v[2] = (jlong)c->pause_sites;
        v[3] = (jlong)c->yields;
    }
    jlongArray a = (*env)->NewLongArray(env, 4);
    if (a != NULL) {
        (*env)->SetLongArrayRegion(env, a, 0, 4, v);
    }
    return a;
}

/*
 * void limitSliceBudget(long shim, long blocks): the running slice ends after at most `blocks` more
 * blocks (a timer armed inside the slice has an earlier deadline). Only called from inside hooks.
 */
JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_limitSliceBudget(JNIEnv *env, jclass cls, jlong handle,
                                                                        jlong blocks) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    if (blocks < s->budget) {
        s->budget = blocks < 1 ? 1 : blocks;
    }
}

/* ------------------------------------------------------------------------------------------------
 * Coverage: every executed translation block, counted.
 *
 * The block hook already runs once per executed block (it counts the slice's budget), so line
 * coverage costs one hash-table update there: the key is the block's start address and size, the
 * value how often it ran. Java maps each block's bytes [start, start + size) to the kernel's
 * line table after the run; no per-instruction hook is ever installed.
 * ------------------------------------------------------------------------------------------------ */

struct block_count {
    uint64_t address; /* 0: empty slot (a kernel's code never starts at linear 0) */
    uint64_t size;
    uint64_t count;
};

struct block_counts {
    struct block_count *slots;
    size_t capacity; /* a power of two */
    size_t used;
};

static size_t block_slot(const struct block_counts *c, uint64_t address, uint64_t size) {
    uint64_t h = (address ^ (size << 48)) * 0x9E3779B97F4A7C15ull; /* Fibonacci hashing */
    size_t i = (size_t)(h >> 20) & (c->capacity - 1);
    while (c->slots[i].address != 0 && (c->slots[i].address != address || c->slots[i].size != size)) {
        i = (i + 1) & (c->capacity - 1);
    }
    return i;
}

static int grow_block_counts(struct block_counts *c) {
    struct block_counts bigger = {calloc(c->capacity * 2, sizeof(struct block_count)), c->capacity * 2, c->used};
    if (bigger.slots == NULL) {
        return 0;
    }
    for (size_t i = 0; i < c->capacity; i++) {
        if (c->slots[i].address != 0) {
            bigger.slots[block_slot(&bigger, c->slots[i].address, c->slots[i].size)] = c->slots[i];
        }
    }
    free(c->slots);
    *c = bigger;
    return 1;
}

static void count_block(struct block_counts *c, uint64_t address, uint32_t size) {
    if (address == 0) {
        return;
    }
    size_t i = block_slot(c, address, size);
    if (c->slots[i].address == 0) {
        /* kept at most half full so probes stay short; a failed grow drops the new block */
        if (2 * (c->used + 1) > c->capacity && !grow_block_counts(c)) {
            return;
        }
        i = block_slot(c, address, size);
        c->slots[i].address = address;
        c->slots[i].size = size;
        c->used++;
    }
    c->slots[i].count++;
}

static void free_block_counts(shim_cpu *s) {
    if (s->coverage != NULL) {
        free(s->coverage->slots);
        free(s->coverage);
        s->coverage = NULL;
    }
}

/* void recordBlocks(long shim, boolean on): start (empty) or stop counting executed blocks. */
JNIEXPORT void JNICALL Java_limu_emulator_unicorn_Shim_recordBlocks(JNIEnv *env, jclass cls, jlong handle,
                                                                    jboolean on) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    free_block_counts(s);
    if (!on) {
        return;
    }
    struct block_counts *c = calloc(1, sizeof *c);
    if (c != NULL && (c->slots = calloc(4096, sizeof(struct block_count))) != NULL) {
        c->capacity = 4096;
        s->coverage = c;
    } else {
        free(c);
        throw_java(env, "java/lang/OutOfMemoryError", "no memory for the coverage table");
    }
}

/* long[] recordedBlocks(long shim): {address, size, count} for each executed block, in table order. */
JNIEXPORT jlongArray JNICALL Java_limu_emulator_unicorn_Shim_recordedBlocks(JNIEnv *env, jclass cls,
                                                                            jlong handle) {
    shim_cpu *s = (shim_cpu *)(uintptr_t)handle;
    struct block_counts *c = s->coverage;
    jsize n = c == NULL ? 0 : (jsize)c->used;
    jlongArray out = (*env)->NewLongArray(env, n * 3);
    if (out == NULL || n == 0) {
        return out;
    }
    jlong *v = malloc(sizeof(jlong) * 3 * (size_t)n);
    if (v == NULL) {
        throw_java(env, "java/lang/OutOfMemoryError", "no memory for the coverage table");
        return NULL;
    }
    jsize k = 0;
    for (size_t i = 0; i < c->capacity; i++) {
        if (c->slots[i].address != 0) {
            v[k++] = (jlong)c->slots[i].address;
            v[k++] = (jlong)c->slots[i].size;
            v[k++] = (jlong)c->slots[i].count;
        }
    }
    (*env)->SetLongArrayRegion(env, out, 0, k, v);
    free(v);
    return out;
}
