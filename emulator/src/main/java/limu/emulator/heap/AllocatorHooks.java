// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.heap;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import limu.bootloader.BootPlan;
import limu.bootloader.RamRegion;
import limu.emulator.GuestMemory;
import limu.emulator.heap.AllocatorEntryPoints.Kind;
import limu.emulator.heap.HeapChecker.Violation;
import limu.emulator.unicorn.CpuHooks;
import limu.emulator.unicorn.Engine;
import limu.emulator.unicorn.Register;

/**
 * The hook side of {@code --heap-check}: exact-address hooks on the allocator's entry points read the
 * arguments (SysV AMD64 ABI: RDI, RSI, RDX, RCX, R8) and the return address at [RSP]; a hook on that
 * return address (installed on first use, kept afterwards, per CPU) reads RAX when the call returns
 * with RSP back above the frame. Each CPU has a stack of calls in progress, so nested calls (a
 * GlobalAlloc impl calling another) and calls on several CPUs at once are told apart. With
 * {@code strict}, memory hooks on the heap's spans send every other access to the ledger.
 */
final class AllocatorHooks {
    /** The most bytes compared for realloc and alloc_zeroed. */
    private static final int SNAPSHOT_LIMIT = 1 << 20;

    private final HeapOptions options;
    private final BootPlan plan;
    private final GuestMemory memory;
    private final List<Engine> engines;
    private final Map<Long, Kind> watched;
    private final TalcWalker walker;
    private final BlockLedger ledger;
    private final StackUnwinder unwinder;
    private final HeapReports reports;
    private final Consumer<String> log;
    private final List<ArrayDeque<PendingCall>> pending = new ArrayList<>();
    private final List<Set<Long>> returnHooks = new ArrayList<>();
    private final List<long[]> toWatch = new ArrayList<>();
    private final Set<Long> reportedRips = new HashSet<>();
    private final SnapshotBuffers buffers = new SnapshotBuffers();
    private boolean metadataReported;
    private long walks;
    private long seq;
    private long callCount;

    /**
     * The hooks' part of a snapshot: the calls in progress on each CPU (innermost first), the spans still to
     * watch and the counters. Which return addresses are hooked is not part of it: those hooks stay in the
     * engines and are harmless where no call waits for them.
     */
    record State(List<List<PendingCall>> pending, List<long[]> toWatch, Set<Long> reportedRips,
                 boolean metadataReported, long walks, long seq, long callCount) {
    }

    /**
     * A call in progress on one CPU, with the arguments normalised to the __rust_* shims' order. A realloc's
     * {@code snapshot} holds the old contents in its first {@code snapshotLength} bytes (a {@link SnapshotBuffers}
     * array, given back at the return: a {@link State} keeps copies).
     */
    private record PendingCall(Kind kind, long entry, long ret, long rsp, long[] args, long call, long entrySeq,
                               long[] frames, byte[] snapshot, int snapshotLength, Block old) {
        PendingCall withOwnSnapshot() {
            return snapshot == null ? this : new PendingCall(kind, entry, ret, rsp, args, call, entrySeq, frames,
                    Arrays.copyOf(snapshot, snapshotLength), snapshotLength, old);
        }
    }

    AllocatorHooks(HeapOptions options, BootPlan plan, GuestMemory memory, List<Engine> engines,
                   Map<Long, Kind> watched, TalcWalker walker, BlockLedger ledger, StackUnwinder unwinder,
                   HeapReports reports, Consumer<String> log) {
        this.options = options;
        this.plan = plan;
        this.memory = memory;
        this.engines = engines;
        this.watched = watched;
        this.walker = walker;
        this.ledger = ledger;
        this.unwinder = unwinder;
        this.reports = reports;
        this.log = log;
        for (int i = 0; i < engines.size(); i++) {
            pending.add(new ArrayDeque<>());
            returnHooks.add(new HashSet<>());
        }
    }

    /** Hooks every entry point on every CPU; false when there is none. */
    boolean install() {
        if (watched.isEmpty()) {
            return false;
        }
        for (Engine e : engines) {
            for (long a : watched.keySet()) {
                if (!e.setAddressHook(a, true)) {
                    throw new IllegalStateException(String.format("cannot hook the allocator at 0x%x", a));
                }
            }
        }
        return true;
    }

    /** --heap-check=strict: memory hooks on the spans claimed so far (between slices: it drops translated code). */
    void installWatches() {
        for (long[] s : toWatch) {
            long phys = s[0] - plan.hhdmOffset();
            for (Engine e : engines) {
                if (!e.addHeapWatch(phys, s[1] - s[0])) {
                    log.accept(String.format("heap check: warning: cannot watch the span 0x%x-0x%x", s[0], s[1]));
                }
            }
        }
        toWatch.clear();
    }

    long walks() {
        return walks;
    }

    /** The number the next allocator call gets. */
    long nextCall() {
        return callCount + 1;
    }

    State save() {
        return new State(pending.stream().map(d -> d.stream().map(PendingCall::withOwnSnapshot).toList()).toList(),
                toWatch.stream().map(long[]::clone).toList(), Set.copyOf(reportedRips), metadataReported, walks, seq,
                callCount);
    }

    void restore(State s) {
        for (int i = 0; i < pending.size(); i++) {
            ArrayDeque<PendingCall> d = pending.get(i);
            d.clear();
            s.pending().get(i).forEach(c -> d.add(c.withOwnSnapshot()));
        }
        toWatch.clear();
        s.toWatch().forEach(w -> toWatch.add(w.clone()));
        reportedRips.clear();
        reportedRips.addAll(s.reportedRips());
        metadataReported = s.metadataReported();
        walks = s.walks();
        seq = s.seq();
        callCount = s.callCount();
    }

    /** An address hook fired on CPU {@code cpu} ({@code regs}: CpuHooks.HOOK_REGISTERS); true stops the machine. */
    boolean hit(int cpu, long address, long[] regs) {
        Engine e = engines.get(cpu);
        Kind kind = watched.get(address);
        if (kind != null) {
            return onEntry(cpu, e, kind, address, regs);
        }
        return onReturn(cpu, e, address, regs);
    }

    private boolean onEntry(int cpu, Engine e, Kind kind, long address, long[] regs) {
        long rsp = regs[CpuHooks.HOOK_RSP];
        ArrayDeque<PendingCall> stack = pending.get(cpu);
        PendingCall top = stack.peek();
        if (top != null && top.entry == address && top.rsp == rsp) {
            return false;   // the same execution seen twice (a stop landed between hook and instruction)
        }
        long[] args = Arrays.copyOfRange(regs, CpuHooks.HOOK_ARGS, CpuHooks.HOOK_ARGS + 5);   // RDI ... R8
        // talc's methods (release builds): (&mut self, [ptr,] Layout as (align, size)[, new size])
        switch (kind) {
            case TALC_MALLOC -> {
                kind = Kind.ALLOC;
                args = new long[] {args[2], args[1], 0, 0, 0};
            }
            case TALC_FREE -> {
                kind = Kind.DEALLOC;
                args = new long[] {args[1], args[3], args[2], 0, 0};
            }
            case TALC_GROW, TALC_SHRINK -> args = new long[] {args[1], args[3], args[2], args[4], 0};
            case GA_ALLOC, GA_ALLOC_ZEROED, GA_DEALLOC, GA_REALLOC -> {
                // a GlobalAlloc impl called from another one (a dispatcher, a default realloc): the outer call counts
                if (stack.stream().anyMatch(f -> f.kind.ordinal() <= Kind.ALLOC_ZEROED.ordinal())) {
                    return false;
                }
                boolean alloc = kind == Kind.GA_ALLOC || kind == Kind.GA_ALLOC_ZEROED;
                // &self is a pointer to a static in the kernel image, unless LLVM dropped it (a unit struct's):
                // then the first argument is the align (alloc) or the pointer, followed by the align
                boolean self = unwinder.inImage(args[0]) && (alloc || Long.bitCount(args[1]) != 1);
                long[] a = self ? Arrays.copyOfRange(args, 1, 5) : args;
                kind = switch (kind) {
                    case GA_ALLOC -> Kind.ALLOC;
                    case GA_ALLOC_ZEROED -> Kind.ALLOC_ZEROED;
                    case GA_DEALLOC -> Kind.DEALLOC;
                    default -> Kind.REALLOC;
                };
                args = alloc ? new long[] {a[1], a[0], 0, 0, 0} : new long[] {a[0], a[2], a[1], a[3], 0};
            }
            default -> {
            }
        }
        long[] frames = unwinder.backtrace(e, rsp, address);
        long ret = frames.length > 0 ? frames[0] : StackUnwinder.readStackWord(e, rsp);
        ledger.countCall(kind);
        long call = ++callCount;
        long entrySeq = ++seq;
        byte[] snapshot = null;
        int snapshotLength = 0;
        Block old = null;
        boolean stopNow = false;
        if (options.deep() && !metadataReported && !ledger.spans().isEmpty()
                && kind.ordinal() <= Kind.ALLOC_ZEROED.ordinal() && noCallInProgress()) {
            walks++;
            String bad = walker.walk(e, ledger.spans(), ledger.tracksLifetimes() ? ledger.liveByAddress() : null);
            if (bad != null) {
                metadataReported = true;
                if (reports.record(Violation.METADATA, cpu, kind, call, frames, describeEntry(kind, args), null,
                        bad + String.format("%n  found at the start of this call; the previous allocator call (#%d)"
                                + " left it consistent, so a write since then corrupted it", call - 1))) {
                    return true;
                }
            }
        }
        switch (kind) {
            case DEALLOC, REALLOC, TALC_GROW, TALC_SHRINK -> {
                if (!ledger.tracksLifetimes()) {
                    break;
                }
                long ptr = args[0], size = args[1], align = args[2];
                Finding bad = ledger.checkRelease(ptr, size, align);
                if (bad != null) {
                    // the call's text is made only for a report: every allocator call passes here
                    String what = kind == Kind.DEALLOC ? String.format("__rust_dealloc(0x%x, size %d, align %d)", ptr,
                            size, align) : String.format("%s(0x%x, old size %d, align %d, new size %d)",
                            kind == Kind.REALLOC ? "__rust_realloc" : kind.label, ptr, size, align, args[3]);
                    stopNow = reports.record(bad, cpu, kind, call, frames, what);
                } else if (kind == Kind.DEALLOC) {
                    ledger.free(ledger.live(ptr), cpu, call, frames);
                } else {
                    old = ledger.live(ptr);
                    snapshotLength = (int) Math.max(0, Math.min(SNAPSHOT_LIMIT, Math.min(size, args[3])));
                    snapshot = buffers.take(snapshotLength);
                    readGuest(e, ptr, snapshot, snapshotLength);
                }
            }
            default -> {
            }
        }
        if (stopNow) {
            return true;
        }
        stack.push(new PendingCall(kind, address, ret, rsp, args, call, entrySeq, frames, snapshot, snapshotLength,
                old));
        if (returnHooks.get(cpu).add(ret) && !e.setAddressHook(ret, true)) {
            throw new IllegalStateException(String.format("cannot hook the return address 0x%x", ret));
        }
        return false;
    }

    private boolean onReturn(int cpu, Engine e, long address, long[] regs) {
        ArrayDeque<PendingCall> stack = pending.get(cpu);
        if (stack.isEmpty()) {
            return false;
        }
        long rsp = regs[CpuHooks.HOOK_RSP];
        PendingCall f = null;
        for (PendingCall candidate : stack) {
            if (candidate.ret == address && candidate.rsp + 8 == rsp) {
                f = candidate;
                break;
            }
        }
        if (f == null) {
            return false;
        }
        stack.remove(f);
        long rax = regs[CpuHooks.HOOK_RAX];
        long returnSeq = ++seq;
        if (f.kind == Kind.TALC_SHRINK) {
            rax = f.args[0];   // returns (): always in place
        }
        long[] a = f.args;
        switch (f.kind) {
            case ALLOC, ALLOC_ZEROED -> {
                return allocated(cpu, e, f, rax, a[0], a[1], returnSeq);
            }
            case REALLOC, TALC_GROW, TALC_SHRINK -> {
                if (rax == 0) {
                    if (f.kind == Kind.REALLOC) {
                        ledger.nullReturn();   // grow_in_place failing is normal
                    }
                    return false;   // the old block stays
                }
                if (f.old != null) {
                    ledger.reallocated(f.old, rax, cpu, f.call, f.frames);
                }
                boolean s = allocated(cpu, e, f, rax, a[3], a[2], returnSeq);
                if (!s && f.snapshot != null) {
                    int i = mismatchGuest(e, rax, f.snapshot, f.snapshotLength);
                    if (i >= 0) {
                        byte[] now = readGuest(e, rax, f.snapshotLength);
                        s = reports.record(Violation.REALLOC_LOST_DATA, cpu, f.kind, f.call, f.frames,
                                describe(f, rax), ledger.live(rax), String.format(
                                        "byte %d was 0x%02x before the call and is 0x%02x in the new block", i,
                                        f.snapshot[i] & 0xff, now[i] & 0xff));
                    }
                }
                if (f.snapshot != null) {
                    buffers.give(f.snapshot);
                }
                return s;
            }
            case CLAIM, EXTEND, TRUNCATE -> {
                int before = ledger.spans().size();
                recordSpan(f);
                if (options.strict() && ledger.spans().size() > before) {
                    toWatch.add(ledger.spans().get(ledger.spans().size() - 1));
                    return true;   // stop: the watch is installed between slices
                }
                return false;
            }
            default -> {
                return false;
            }
        }
    }

    /** The talc span argument (a pointer pair among the argument registers: its ABI passes it by value). */
    private void recordSpan(PendingCall f) {
        long[] a = f.args;
        for (int i = 1; i + 1 < a.length; i++) {
            long lo = a[i], hi = a[i + 1];
            if (lo < 0 && hi < 0 && Long.compareUnsigned(lo, hi) < 0 && hi - lo <= (1L << 40)) {
                if (f.kind != Kind.TRUNCATE) {   // shrinking: the old span still bounds every block
                    ledger.addSpan(lo, hi);
                }
                return;
            }
        }
    }

    private boolean allocated(int cpu, Engine e, PendingCall f, long ptr, long size, long align, long returnSeq) {
        if (ptr == 0) {
            ledger.nullReturn();
            return false;
        }
        Block b = Block.allocated(ptr, size, align, cpu, f.call, f.frames, f.entrySeq, returnSeq);
        Finding bad = ledger.allocate(b);
        if (bad != null) {
            return reports.record(bad, cpu, f.kind, f.call, f.frames, describe(f, ptr));
        }
        if (f.kind == Kind.ALLOC_ZEROED) {
            byte[] now = readGuest(e, ptr, (int) Math.min(size, SNAPSHOT_LIMIT));
            for (int i = 0; i < now.length; i++) {
                if (now[i] != 0) {
                    return reports.record(Violation.NOT_ZEROED, cpu, f.kind, f.call, f.frames, describe(f, ptr), b,
                            String.format("byte %d is 0x%02x", i, now[i] & 0xff));
                }
            }
        }
        return false;
    }

    /**
     * --heap-check=strict: a guest access to a watched span (physical address). Accesses while this CPU is inside
     * an allocator call are the allocator's own; others must fall inside a live block. True stops the machine.
     */
    boolean access(int cpu, long phys, int size, boolean write, long rip) {
        if (!pending.get(cpu).isEmpty() || !ledger.tracksLifetimes()) {
            return false;
        }
        long v = phys + plan.hhdmOffset();
        if (ledger.spans().stream().noneMatch(sp -> Long.compareUnsigned(v, sp[0]) >= 0
                && Long.compareUnsigned(v, sp[1]) < 0)) {
            return false;   // a span watched since a snapshot this machine was restored to: not the heap now
        }
        Finding stray = ledger.strayAccess(v, size);
        if (stray == null) {
            return false;
        }
        if (reports.stop() != null || !reportedRips.add(rip)) {
            return reports.stop() != null;
        }
        Engine e = engines.get(cpu);
        long rsp = e.read(Register.RSP);
        long[] scan = unwinder.backtrace(e, rsp, unwinder.functionStart(rip), true);
        long[] frames = new long[scan.length + 1];
        frames[0] = rip;
        System.arraycopy(scan, 0, frames, 1, scan.length);
        String what = String.format("%d-byte %s of 0x%x by the instruction at 0x%x (%s)", size,
                write ? "write" : "read", v, rip, unwinder.symbol(rip));
        callCount++;
        return reports.record(stray, cpu, null, 0, frames, what);
    }

    /** Guest bytes at the virtual address {@code ptr}: straight from RAM through the HHDM, else the page tables. */
    private byte[] readGuest(Engine e, long ptr, int n) {
        byte[] b = new byte[Math.max(0, n)];
        readGuest(e, ptr, b, b.length);
        return b;
    }

    /** {@link #readGuest(Engine, long, int)} into the first {@code n} bytes of {@code b}. */
    private void readGuest(Engine e, long ptr, byte[] b, int n) {
        long phys = ptr - plan.hhdmOffset();
        if (Long.compareUnsigned(ptr, plan.hhdmOffset()) >= 0 && insideRam(phys, n)) {
            memory.read(phys, b, 0, n);
        } else {
            byte[] exact = new byte[n];   // zeros where the read fails, whatever b held before
            e.readVirtual(ptr, exact);
            System.arraycopy(exact, 0, b, 0, n);
        }
    }

    /** Where the {@code n} guest bytes at the virtual address {@code ptr} first differ from {@code expected}, or -1. */
    private int mismatchGuest(Engine e, long ptr, byte[] expected, int n) {
        long phys = ptr - plan.hhdmOffset();
        if (Long.compareUnsigned(ptr, plan.hhdmOffset()) >= 0 && insideRam(phys, n)) {
            return memory.mismatch(phys, expected, n);   // in place: a realloc's contents are compared, not copied again
        }
        return Arrays.mismatch(readGuest(e, ptr, n), 0, n, expected, 0, n);
    }

    private boolean insideRam(long phys, int n) {
        for (RamRegion r : memory.regions()) {
            if (phys >= r.base() && phys + n <= r.base() + r.length()) {
                return true;
            }
        }
        return false;
    }

    private boolean noCallInProgress() {
        for (ArrayDeque<PendingCall> p : pending) {
            if (!p.isEmpty()) {
                return false;
            }
        }
        return true;
    }

    private static String describeEntry(Kind kind, long[] a) {
        return switch (kind) {
            case ALLOC -> String.format("__rust_alloc(size %d, align %d)", a[0], a[1]);
            case ALLOC_ZEROED -> String.format("__rust_alloc_zeroed(size %d, align %d)", a[0], a[1]);
            case DEALLOC -> String.format("__rust_dealloc(0x%x, size %d, align %d)", a[0], a[1], a[2]);
            case REALLOC -> String.format("__rust_realloc(0x%x, old size %d, align %d, new size %d)", a[0], a[1], a[2],
                    a[3]);
            default -> kind.label;
        };
    }

    private static String describe(PendingCall f, long result) {
        long[] a = f.args;
        return switch (f.kind) {
            case ALLOC -> String.format("__rust_alloc(size %d, align %d) = 0x%x", a[0], a[1], result);
            case ALLOC_ZEROED -> String.format("__rust_alloc_zeroed(size %d, align %d) = 0x%x", a[0], a[1], result);
            case REALLOC -> String.format("__rust_realloc(0x%x, old size %d, align %d, new size %d) = 0x%x", a[0],
                    a[1], a[2], a[3], result);
            default -> f.kind.label;
        };
    }
}
