package limu.emulator.heap;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import limu.bootloader.BootPlan;
import limu.bootloader.ElfFile;
import limu.bootloader.MemoryMapEntry;
import limu.bootloader.MemoryType;
import limu.emulator.GuestMemory;
import limu.emulator.StopReason;
import limu.emulator.heap.AllocatorEntryPoints.Kind;
import limu.emulator.unicorn.Engine;
import limu.emulator.unicorn.Register;

/**
 * {@code --heap-check}: watches the kernel's global allocator from outside. Exact-address hooks on
 * the allocator shims' entries read the arguments (SysV: RDI, RSI, RDX, RCX) and the return
 * address at [RSP]; a hook on that return address (installed on first use, kept afterwards, per
 * CPU) reads RAX when the call returns with RSP back above the frame. A shadow map of live blocks
 * checks every call: alignment, where the block lies (the HHDM view of memory the memory map calls
 * usable, inside the spans talc was given), overlap with live blocks (two calls that overlapped in
 * time returning overlapping blocks are reported as a race), double and invalid frees, a layout on
 * dealloc/realloc different from the allocation's, {@code alloc_zeroed} memory being zero and
 * realloc keeping the contents.
 *
 * <p>Backtraces come from a stack scan: the words above RSP that point into the kernel's
 * executable segments just after a CALL instruction (the kernels limu targets keep no frame
 * pointers, and limu does not unwind DWARF CFI yet), so a stale return address can show up.
 *
 * <p>Only the run-loop thread calls in.
 */
public final class HeapChecker {
    /** What went wrong. */
    public enum Violation {
        DOUBLE_FREE("double free"), INVALID_FREE("invalid free"), WRONG_LAYOUT("wrong layout"),
        MISALIGNED("misaligned block"), OVERLAP("overlapping blocks"),
        RACE("race: two CPUs in the allocator at once got overlapping blocks"),
        OUTSIDE_USABLE("block outside usable memory"), OUTSIDE_HEAP("block outside the heap's spans"),
        NOT_ZEROED("alloc_zeroed memory not zero"), REALLOC_LOST_DATA("realloc lost contents"),
        METADATA("talc metadata corrupt"), USE_AFTER_FREE("use after free"),
        OVERFLOW("heap overflow: access past the end of a block"),
        WILD_ACCESS("access to heap memory outside any live block");

        public final String label;

        Violation(String label) {
            this.label = label;
        }
    }

    private static final int SCAN_BYTES = 2048;
    private static final int MAX_FRAMES = 12;
    private static final int SNAPSHOT_LIMIT = 1 << 20;
    private static final int FREED_HISTORY = 100_000;

    private final HeapOptions options;
    private final BootPlan plan;
    private final GuestMemory memory;
    private final List<Engine> engines;
    private final ElfFile kernel;
    private final AllocatorEntryPoints entries;
    private final Consumer<String> log;
    private final List<long[]> text = new ArrayList<>();          // [vaddr, end] of executable segments
    private final List<byte[]> textBytes = new ArrayList<>();
    private final long kernelStart, kernelEnd;
    private final List<ArrayDeque<Frame>> pending = new ArrayList<>();
    private final List<java.util.Set<Long>> returnHooks = new ArrayList<>();
    private final TreeMap<Long, Block> live = new TreeMap<>();
    private final LinkedHashMap<Long, Block> freed = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Block> e) {
            return size() > FREED_HISTORY;
        }
    };
    private final List<long[]> spans = new ArrayList<>();
    private final Map<String, Integer> symbolCache = new HashMap<>();
    private final List<Report> violations = new ArrayList<>();
    private StopReason stop;
    private final TalcWalker walker;
    private final Map<Long, Kind> watched;
    private boolean metadataReported;
    private long walks;
    private final List<long[]> toWatch = new ArrayList<>();
    private final java.util.Set<Long> reportedRips = new java.util.HashSet<>();
    private final TreeMap<Long, Block> freedByAddress = new TreeMap<>();
    private long seq;
    private long callCount;
    /** Every shim is watched: frees are seen, so the shadow map knows which blocks are live. */
    private final boolean tracksLifetimes;
    private final long[] calls = new long[Kind.values().length];
    private long nullReturns, liveBytes, peakLiveBytes, totalAllocatedBytes;

    /** One allocation, live or freed. */
    record Block(long ptr, long size, long align, int cpu, long call, long[] frames, long entrySeq, long returnSeq,
                 int freeCpu, long freeCall, long[] freeFrames) {
        long end() {
            return ptr + Math.max(1, size);
        }

        Block freedBy(int cpu, long call, long[] frames) {
            return new Block(ptr, size, align, this.cpu, this.call, this.frames, entrySeq, returnSeq, cpu, call,
                    frames);
        }
    }

    /** A call in progress on one CPU. */
    private record Frame(Kind kind, long entry, long ret, long rsp, long[] args, long call, long entrySeq,
                         long[] frames, byte[] snapshot, Block old) {
    }

    /** A violation as reported. */
    public record Report(Violation kind, int cpu, long call, String summary, String text) {
    }

    public HeapChecker(HeapOptions options, BootPlan plan, GuestMemory memory, List<Engine> engines,
                       Consumer<String> log) {
        this.options = options;
        this.plan = plan;
        this.memory = memory;
        this.engines = engines;
        this.kernel = plan.kernel();
        this.log = log;
        this.entries = AllocatorEntryPoints.find(kernel);
        this.tracksLifetimes = entries.missing().isEmpty() || entries.talcLevel() || entries.globalAllocLevel();
        this.watched = entries.watched();
        this.walker = new TalcWalker(memory, plan.hhdmOffset(), plan.kernel());
        long lo = -1, hi = 0;   // unsigned
        for (ElfFile.Segment s : kernel.segments()) {
            if (!s.isLoad()) {
                continue;
            }
            lo = Long.compareUnsigned(s.vaddr(), lo) < 0 ? s.vaddr() : lo;
            hi = Long.compareUnsigned(s.vend(), hi) > 0 ? s.vend() : hi;
            if (s.executable() && s.fileSize() > 0 && s.fileSize() < Integer.MAX_VALUE) {
                byte[] code = new byte[(int) s.fileSize()];
                if (engines.get(0).readVirtual(s.vaddr(), code)) {
                    text.add(new long[] {s.vaddr(), s.vaddr() + s.fileSize()});
                    textBytes.add(code);
                }
            }
        }
        kernelStart = lo;
        kernelEnd = hi;
        for (int i = 0; i < engines.size(); i++) {
            pending.add(new ArrayDeque<>());
            returnHooks.add(new java.util.HashSet<>());
        }
    }

    public AllocatorEntryPoints entryPoints() {
        return entries;
    }

    /** Hooks every entry point on every CPU; false when the kernel has no allocator shim to watch. */
    public boolean install() {
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

    /** The stop a violation asked for, or null. */
    public StopReason stop() {
        if (!toWatch.isEmpty()) {
            installWatches();
        }
        return stop;
    }

    /** --heap-check=strict: memory hooks on the spans claimed so far (between slices: it drops translated code). */
    private void installWatches() {
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

    public List<Report> violations() {
        return violations;
    }

    /** An address hook fired on CPU {@code cpu}; true stops the machine. */
    public boolean hit(int cpu, long address) {
        Engine e = engines.get(cpu);
        Kind kind = watched.get(address);
        if (kind != null) {
            return onEntry(cpu, e, kind, address);
        }
        return onReturn(cpu, e, address);
    }

    private boolean onEntry(int cpu, Engine e, Kind kind, long address) {
        long rsp = e.read(Register.RSP);
        ArrayDeque<Frame> stack = pending.get(cpu);
        Frame top = stack.peek();
        if (top != null && top.entry == address && top.rsp == rsp) {
            return false;   // the same execution seen twice (a stop landed between hook and instruction)
        }
        long[] args = {e.read(Register.RDI), e.read(Register.RSI), e.read(Register.RDX), e.read(Register.RCX),
            e.read(Register.R8)};
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
                boolean self = inImage(args[0]) && (alloc || Long.bitCount(args[1]) != 1);
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
        long[] frames = backtrace(e, rsp, address);
        long ret = frames.length > 0 ? frames[0] : readStackWord(e, rsp);
        ++calls[(kind == Kind.TALC_GROW || kind == Kind.TALC_SHRINK ? Kind.REALLOC : kind).ordinal()];
        long call = ++callCount;
        long entrySeq = ++seq;
        byte[] snapshot = null;
        Block old = null;
        boolean stopNow = false;
        if (options.deep() && !metadataReported && !spans.isEmpty() && kind.ordinal() <= Kind.ALLOC_ZEROED.ordinal()
                && noCallInProgress()) {
            walks++;
            String bad = walker.walk(e, spans, tracksLifetimes ? live : null);
            if (bad != null) {
                metadataReported = true;
                if (violation(Violation.METADATA, cpu, kind, call, frames, describeEntry(kind, args), null,
                        bad + String.format("%n  found at the start of this call; the previous allocator call (#%d)"
                                + " left it consistent, so a write since then corrupted it", call - 1))) {
                    return true;
                }
            }
        }
        switch (kind) {
            case DEALLOC, REALLOC, TALC_GROW, TALC_SHRINK -> {
                if (!tracksLifetimes) {
                    break;
                }
                long ptr = args[0], size = args[1], align = args[2];
                old = live.get(ptr);
                String what = kind == Kind.DEALLOC ? String.format("__rust_dealloc(0x%x, size %d, align %d)", ptr, size,
                        align) : String.format("%s(0x%x, old size %d, align %d, new size %d)",
                        kind == Kind.REALLOC ? "__rust_realloc" : kind.label, ptr, size, align, args[3]);
                if (old == null) {
                    Block f = freed.get(ptr);
                    if (f != null) {
                        stopNow = violation(Violation.DOUBLE_FREE, cpu, kind, call, frames, what, f,
                                "the block was already freed");
                    } else {
                        Map.Entry<Long, Block> in = live.floorEntry(ptr);
                        Block inside = in != null && in.getValue().end() > ptr ? in.getValue() : null;
                        stopNow = violation(Violation.INVALID_FREE, cpu, kind, call, frames, what, inside,
                                inside != null ? String.format("the pointer is %d bytes into a live block",
                                        ptr - inside.ptr) : "no allocation ever returned this pointer");
                    }
                } else if (old.size != size || old.align != align) {
                    stopNow = violation(Violation.WRONG_LAYOUT, cpu, kind, call, frames, what, old,
                            String.format("allocated with size %d, align %d", old.size, old.align));
                    old = null;
                } else if (kind == Kind.DEALLOC) {
                    removeLive(old);
                    Block fb = old.freedBy(cpu, call, frames);
                    freed.put(ptr, fb);
                    freedByAddress.put(ptr, fb);
                } else {
                    snapshot = readGuest(e, ptr, (int) Math.min(SNAPSHOT_LIMIT, Math.min(size, args[3])));
                }
            }
            default -> {
            }
        }
        if (stopNow) {
            return true;
        }
        stack.push(new Frame(kind, address, ret, rsp, args, call, entrySeq, frames, snapshot, old));
        Engine engine = e;
        if (returnHooks.get(cpu).add(ret) && !engine.setAddressHook(ret, true)) {
            throw new IllegalStateException(String.format("cannot hook the return address 0x%x", ret));
        }
        return false;
    }

    private boolean onReturn(int cpu, Engine e, long address) {
        ArrayDeque<Frame> stack = pending.get(cpu);
        if (stack.isEmpty()) {
            return false;
        }
        long rsp = e.read(Register.RSP);
        Frame f = null;
        for (Frame candidate : stack) {
            if (candidate.ret == address && candidate.rsp + 8 == rsp) {
                f = candidate;
                break;
            }
        }
        if (f == null) {
            return false;
        }
        stack.remove(f);
        long rax = e.read(Register.RAX);
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
                    nullReturns += f.kind == Kind.REALLOC ? 1 : 0;   // grow_in_place failing is normal
                    return false;   // the old block stays
                }
                if (f.old != null) {
                    removeLive(f.old);
                    if (rax != f.old.ptr) {
                        freed.put(f.old.ptr, f.old.freedBy(cpu, f.call, f.frames));
                    }
                }
                boolean s = allocated(cpu, e, f, rax, a[3], a[2], returnSeq);
                if (!s && f.snapshot != null) {
                    byte[] now = readGuest(e, rax, f.snapshot.length);
                    int i = Arrays.mismatch(now, f.snapshot);
                    if (i >= 0) {
                        return violation(Violation.REALLOC_LOST_DATA, cpu, f.kind, f.call, f.frames,
                                describe(f, rax), live.get(rax), String.format(
                                        "byte %d was 0x%02x before the call and is 0x%02x in the new block", i,
                                        f.snapshot[i] & 0xff, now[i] & 0xff));
                    }
                }
                return s;
            }
            case CLAIM, EXTEND, TRUNCATE -> {
                int before = spans.size();
                recordSpan(f);
                if (options.strict() && spans.size() > before) {
                    toWatch.add(spans.get(spans.size() - 1));
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
    private void recordSpan(Frame f) {
        long[] a = f.args;
        for (int i = 1; i + 1 < a.length; i++) {
            long lo = a[i], hi = a[i + 1];
            if (lo < 0 && hi < 0 && Long.compareUnsigned(lo, hi) < 0 && hi - lo <= (1L << 40)) {
                if (f.kind == Kind.TRUNCATE) {
                    return;   // shrinking: the old span still bounds every block
                }
                spans.add(new long[] {lo, hi});
                return;
            }
        }
    }

    private boolean allocated(int cpu, Engine e, Frame f, long ptr, long size, long align, long returnSeq) {
        if (ptr == 0) {
            nullReturns++;
            return false;
        }
        String what = describe(f, ptr);
        Block b = new Block(ptr, size, align, cpu, f.call, f.frames, f.entrySeq, returnSeq, -1, 0, null);
        if (align > 0 && Long.remainderUnsigned(ptr, align) != 0) {
            return violation(Violation.MISALIGNED, cpu, f.kind, f.call, f.frames, what, null,
                    String.format("0x%x is not a multiple of %d", ptr, align));
        }
        String where = location(ptr, size);
        if (where != null) {
            return violation(Violation.OUTSIDE_USABLE, cpu, f.kind, f.call, f.frames, what, null, where);
        }
        if (!spans.isEmpty() && spans.stream().noneMatch(s -> Long.compareUnsigned(ptr, s[0]) >= 0
                && Long.compareUnsigned(ptr + size, s[1]) <= 0)) {
            return violation(Violation.OUTSIDE_HEAP, cpu, f.kind, f.call, f.frames, what, null,
                    "the allocator was given " + spansText());
        }
        Map.Entry<Long, Block> below = live.floorEntry(b.end() - 1);
        if (below != null && below.getValue().end() > ptr) {
            Block other = below.getValue();
            boolean concurrent = other.cpu != cpu && other.returnSeq > f.entrySeq;
            return violation(concurrent ? Violation.RACE : Violation.OVERLAP, cpu, f.kind, f.call, f.frames, what,
                    other, String.format("it overlaps the live block 0x%x-0x%x%s", other.ptr, other.end(),
                            concurrent ? String.format(" that CPU %d got while this call was in the allocator",
                                    other.cpu) : ""));
        }
        if (tracksLifetimes) {
            live.put(ptr, b);
        }
        freed.remove(ptr);
        if (!freedByAddress.isEmpty()) {
            freedByAddress.subMap(ptr, b.end()).clear();
            Map.Entry<Long, Block> fl = freedByAddress.lowerEntry(ptr);
            if (fl != null && fl.getValue().end() > ptr) {
                freedByAddress.remove(fl.getKey());
            }
        }
        liveBytes += size;
        totalAllocatedBytes += size;
        peakLiveBytes = Math.max(peakLiveBytes, liveBytes);
        if (f.kind == Kind.ALLOC_ZEROED) {
            byte[] now = readGuest(e, ptr, (int) Math.min(size, SNAPSHOT_LIMIT));
            for (int i = 0; i < now.length; i++) {
                if (now[i] != 0) {
                    return violation(Violation.NOT_ZEROED, cpu, f.kind, f.call, f.frames, what, b,
                            String.format("byte %d is 0x%02x", i, now[i] & 0xff));
                }
            }
        }
        return false;
    }

    private void removeLive(Block b) {
        if (live.remove(b.ptr) != null) {
            liveBytes -= b.size;
        }
    }

    /** Null when [ptr, ptr+size) lies in USABLE memory through the HHDM, else where it lies. */
    private String location(long ptr, long size) {
        long hhdm = plan.hhdmOffset();
        if (Long.compareUnsigned(ptr, kernelStart) >= 0 && Long.compareUnsigned(ptr, kernelEnd) < 0) {
            String sym = kernel.symbolize(ptr).map(s -> " (" + s + ")").orElse("");
            return String.format("0x%x is in the kernel image%s, not in usable memory", ptr, sym);
        }
        long phys = ptr - hhdm;
        if (Long.compareUnsigned(ptr, hhdm) < 0 || Long.compareUnsigned(phys, 1L << 52) >= 0) {
            return String.format("0x%x is not in the higher-half direct map (HHDM at 0x%x)", ptr, hhdm);
        }
        for (MemoryMapEntry m : plan.memoryMap()) {
            if (phys >= m.base() && phys < m.end()) {
                if (m.type() != MemoryType.USABLE) {
                    return String.format("physical 0x%x is %s memory (%s)", phys, m.type(), explain(m.type()));
                }
                if (phys + size > m.end()) {
                    return String.format("physical 0x%x-0x%x runs past the end of the usable entry 0x%x-0x%x",
                            phys, phys + size, m.base(), m.end());
                }
                return null;
            }
        }
        return String.format("physical 0x%x is in no memory-map entry", phys);
    }

    private static String explain(MemoryType t) {
        return switch (t) {
            case BOOTLOADER_RECLAIMABLE -> "page tables, stacks and the bootloader's responses";
            case EXECUTABLE_AND_MODULES -> "the kernel image and modules";
            case FRAMEBUFFER -> "the framebuffer";
            default -> "not RAM the kernel may allocate from";
        };
    }

    private boolean violation(Violation v, int cpu, Kind kind, long call, long[] frames, String what, Block block,
                              String detail) {
        String site = site(frames);
        String summary = String.format("heap check: %s on CPU %d in %s%s", v.label, cpu, site.isEmpty() ? "?" : site,
                "");
        StringBuilder b = new StringBuilder();
        if (kind == null) {
            b.append(String.format("  on CPU %d: %s%n  %s%n", cpu, what, detail));
        } else {
            b.append(String.format("  %s call #%d on CPU %d: %s%n  %s%n", kind.label, call, cpu, what, detail));
        }
        if (block != null) {
            b.append(String.format("  block 0x%x-0x%x (%d bytes, align %d): allocated by call #%d on CPU %d at %s%n",
                    block.ptr, block.ptr + block.size, block.size, block.align, block.call, block.cpu,
                    site(block.frames)));
            if (block.freeFrames != null) {
                b.append(String.format("    freed by call #%d on CPU %d at %s%n", block.freeCall, block.freeCpu,
                        site(block.freeFrames)));
            }
        }
        b.append("  backtrace (stack scan for return addresses into the kernel's code; no frame pointers):\n");
        for (int i = 0; i < frames.length; i++) {
            // a return address's call is the byte before it; an access's frame 0 is the instruction itself
            long at = kind == null && i == 0 ? frames[i] : frames[i] - 1;
            b.append(String.format("    #%d 0x%016x %s%s%n", i, frames[i], kernel.symbolize(frames[i]).orElse("?"),
                    kernel.lines().at(at).map(l -> " (" + l + ")").orElse("")));
        }
        Report r = new Report(v, cpu, call, summary, b.toString());
        violations.add(r);
        if (options.keepGoing()) {
            log.accept(summary + "\n" + r.text);
            return false;
        }
        stop = new StopReason.HeapViolation(summary, b.toString().stripTrailing());
        return true;
    }

    private String describe(Frame f, long result) {
        long[] a = f.args;
        return switch (f.kind) {
            case ALLOC -> String.format("__rust_alloc(size %d, align %d) = 0x%x", a[0], a[1], result);
            case ALLOC_ZEROED -> String.format("__rust_alloc_zeroed(size %d, align %d) = 0x%x", a[0], a[1], result);
            case REALLOC -> String.format("__rust_realloc(0x%x, old size %d, align %d, new size %d) = 0x%x", a[0],
                    a[1], a[2], a[3], result);
            default -> f.kind.label;
        };
    }

    /** The first frame outside the allocator machinery (alloc, core, talc, spin, the GlobalAlloc impl). */
    String site(long[] frames) {
        String first = null;
        for (long f : frames) {
            String s = kernel.symbolize(f).orElse(null);
            if (s == null) {
                continue;
            }
            if (first == null) {
                first = s;
            }
            if (!machinery(s)) {
                return s;
            }
        }
        return first == null ? (frames.length > 0 ? String.format("0x%x", frames[0]) : "") : first;
    }

    private static boolean machinery(String s) {
        String t = s.startsWith("<") ? s.substring(1) : s;
        return t.startsWith("alloc::") || t.startsWith("core::") || t.startsWith("__rust") || t.startsWith("__rg_")
                || t.startsWith("talc::") || t.startsWith("spin::") || t.startsWith("lock_api::")
                || s.contains(" as core::alloc::global::GlobalAlloc>") || s.contains(" as alloc::alloc::Allocator>");
    }

    /** Return addresses above RSP: [RSP] first, then each word that follows a CALL in the kernel's code. */
    private long[] backtrace(Engine e, long rsp, long callee) {
        return backtrace(e, rsp, callee, false);
    }

    /** {@code inside}: RSP is inside a function's frame (an access), not at a call's return address. */
    private long[] backtrace(Engine e, long rsp, long callee, boolean inside) {
        int len = (int) Math.min(SCAN_BYTES, 4096 - (rsp & 4095) + 4096);
        byte[] stack = new byte[len];
        if (!e.readVirtual(rsp, stack)) {
            stack = new byte[(int) (4096 - (rsp & 4095))];
            if (!e.readVirtual(rsp, stack)) {
                return new long[0];
            }
        }
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(stack).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long[] out = new long[MAX_FRAMES];
        int n = 0;
        for (int off = 0; off + 8 <= stack.length && n < MAX_FRAMES; off += 8) {
            long w = bb.getLong(off);
            if (off > 0 || inside) {
                int call = callBefore(w);
                if (call == 0) {
                    continue;   // not a return address
                }
                if (call > 0 && callee != 0 && w + directCallDisplacement(w) != callee) {
                    continue;   // a direct call to another function: a stale word of an earlier call
                }
            } else if (!inText(w)) {
                break;
            }
            out[n++] = w;
            callee = functionStart(w);
        }
        return Arrays.copyOf(out, n);
    }

    private boolean inImage(long a) {
        return Long.compareUnsigned(a, kernelStart) >= 0 && Long.compareUnsigned(a, kernelEnd) < 0;
    }

    private boolean inText(long a) {
        for (long[] t : text) {
            if (Long.compareUnsigned(a, t[0]) > 0 && Long.compareUnsigned(a, t[1]) <= 0) {
                return true;
            }
        }
        return false;
    }

    /** Where the function around {@code a} starts (from its symbol), or 0. */
    private long functionStart(long a) {
        String s = kernel.symbolize(a).orElse(null);
        if (s == null) {
            return 0;
        }
        int plus = s.lastIndexOf("+0x");
        return plus < 0 ? a : a - Long.parseUnsignedLong(s.substring(plus + 3), 16);
    }

    private long directCallDisplacement(long a) {
        for (int i = 0; i < text.size(); i++) {
            long[] t = text.get(i);
            if (Long.compareUnsigned(a, t[0] + 5) >= 0 && Long.compareUnsigned(a, t[1]) <= 0) {
                int p = (int) (a - t[0]);
                return java.nio.ByteBuffer.wrap(textBytes.get(i), p - 4, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                        .getInt();
            }
        }
        return 0;
    }

    /** 1: {@code a} follows a direct CALL rel32; -1: an indirect CALL; 0: no CALL (not a return address). */
    private int callBefore(long a) {
        for (int i = 0; i < text.size(); i++) {
            long[] t = text.get(i);
            if (Long.compareUnsigned(a, t[0] + 2) >= 0 && Long.compareUnsigned(a, t[1]) <= 0) {
                byte[] c = textBytes.get(i);
                int p = (int) (a - t[0]);
                if (p >= 5 && (c[p - 5] & 0xff) == 0xE8) {
                    return 1;
                }
                return afterCall(a) ? -1 : 0;
            }
        }
        return 0;
    }

    private boolean afterCall(long a) {
        for (int i = 0; i < text.size(); i++) {
            long[] t = text.get(i);
            if (Long.compareUnsigned(a, t[0] + 2) >= 0 && Long.compareUnsigned(a, t[1]) <= 0) {
                byte[] c = textBytes.get(i);
                int p = (int) (a - t[0]);
                if (p >= 5 && (c[p - 5] & 0xff) == 0xE8) {
                    return true;                       // call rel32
                }
                if ((c[p - 2] & 0xff) == 0xFF && (c[p - 1] & 0x38) == 0x10 && (c[p - 1] & 0xC0) == 0xC0) {
                    return true;                       // call reg
                }
                for (int k = 3; k <= 7 && p >= k; k++) {   // call [mem] with ModRM (+SIB, disp)
                    if ((c[p - k] & 0xff) == 0xFF && (c[p - k + 1] & 0x38) == 0x10) {
                        return true;
                    }
                }
                return false;
            }
        }
        return false;
    }

    private long readStackWord(Engine e, long rsp) {
        byte[] w = new byte[8];
        return e.readVirtual(rsp, w) ? java.nio.ByteBuffer.wrap(w).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong()
                : 0;
    }

    private byte[] readGuest(Engine e, long ptr, int n) {
        byte[] b = new byte[Math.max(0, n)];
        long phys = ptr - plan.hhdmOffset();
        if (Long.compareUnsigned(ptr, plan.hhdmOffset()) >= 0 && insideRam(phys, n)) {
            memory.read(phys, b, 0, n);
        } else {
            e.readVirtual(ptr, b);
        }
        return b;
    }

    private boolean insideRam(long phys, int n) {
        for (limu.bootloader.RamRegion r : memory.regions()) {
            if (phys >= r.base() && phys + n <= r.base() + r.length()) {
                return true;
            }
        }
        return false;
    }

    private String spansText() {
        StringBuilder b = new StringBuilder();
        for (long[] s : spans) {
            b.append(b.length() == 0 ? "" : ", ").append(String.format("0x%x-0x%x", s[0], s[1]));
        }
        return b.toString();
    }

    private boolean noCallInProgress() {
        for (ArrayDeque<Frame> p : pending) {
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

    /**
     * --heap-check=strict: a guest access to a watched span (physical address). Accesses while this CPU is inside
     * an allocator call are the allocator's own; others must fall inside a live block. True stops the machine.
     */
    public boolean access(int cpu, long phys, int size, boolean write, long rip) {
        if (!pending.get(cpu).isEmpty() || !tracksLifetimes) {
            return false;
        }
        long v = phys + plan.hhdmOffset();
        Map.Entry<Long, Block> l = live.floorEntry(v);
        if (l != null && l.getValue().end() >= v + size) {
            return false;
        }
        if (stop != null || !reportedRips.add(rip)) {
            return stop != null;
        }
        Engine e = engines.get(cpu);
        long rsp = e.read(Register.RSP);
        long[] scan = backtrace(e, rsp, functionStart(rip), true);
        long[] frames = new long[scan.length + 1];
        frames[0] = rip;
        System.arraycopy(scan, 0, frames, 1, scan.length);
        String what = String.format("%d-byte %s of 0x%x by the instruction at 0x%x (%s)", size,
                write ? "write" : "read", v, rip, kernel.symbolize(rip).orElse("?"));
        Map.Entry<Long, Block> fr = freedByAddress.floorEntry(v);
        Violation kind;
        Block block;
        String detail;
        if (fr != null && fr.getValue().end() > v) {
            kind = Violation.USE_AFTER_FREE;
            block = fr.getValue();
            detail = String.format("the address is %d bytes into a freed block", v - block.ptr());
        } else if (l != null && v >= l.getValue().ptr()
                && v < ((l.getValue().ptr() + l.getValue().size() + 7) & ~7L) + 8) {
            kind = Violation.OVERFLOW;
            block = l.getValue();
            detail = String.format("the access starts %d bytes past the end of a live block (%s)",
                    v - block.ptr() - block.size(), v < block.end() ? "and runs past it" : "in talc's chunk padding"
                            + " or tag");
        } else {
            kind = Violation.WILD_ACCESS;
            block = l != null && l.getValue().end() > v - 4096 ? l.getValue() : null;
            detail = "no live block holds it (free memory or talc's metadata)"
                    + (block != null ? "; the nearest live block below is shown" : "");
        }
        callCount++;
        return violation(kind, cpu, null, 0, frames, what, block, detail);
    }

    public long walks() {
        return walks;
    }

    /** talc's free chunks as the last walk found them (null when none ran); walks once now when deep was off. */
    public List<TalcWalker.Gap> freeChunks() {
        if (spans.isEmpty()) {
            return null;
        }
        String bad = walker.walk(engines.get(0), spans, null);
        return bad == null ? walker.gaps : null;
    }

    public List<long[]> spans() {
        return spans;
    }

    public java.util.Collection<Block> liveBlockList() {
        return live.values();
    }

    // --- the exit summary

    public String summary() {
        StringBuilder b = new StringBuilder();
        b.append(String.format("heap: %d alloc, %d alloc_zeroed, %d realloc, %d dealloc calls; %d null returns;"
                        + " %d bytes allocated in total, peak %d live bytes%n",
                calls[Kind.ALLOC.ordinal()], calls[Kind.ALLOC_ZEROED.ordinal()], calls[Kind.REALLOC.ordinal()],
                calls[Kind.DEALLOC.ordinal()], nullReturns, totalAllocatedBytes, peakLiveBytes));
        b.append(tracksLifetimes ? String.format("heap: live at exit: %d blocks, %d bytes", live.size(), liveBytes)
                : "heap: live at exit: unknown (frees are not seen: " + String.join(", ", entries.missing())
                        + " inlined)");
        Map<String, long[]> bySite = liveBySite();
        bySite.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[1], x.getValue()[1])).limit(10)
                .forEach(en -> b.append(String.format("%n  %6d blocks %9d bytes  %s", en.getValue()[0],
                        en.getValue()[1], en.getKey())));
        List<TalcWalker.Gap> gaps = freeChunks();
        if (gaps != null) {
            TalcWalker.Gap big = gaps.stream().max((x, y) -> Long.compare(x.size(), y.size())).orElse(null);
            long free = gaps.stream().mapToLong(TalcWalker.Gap::size).sum();
            b.append(String.format("%nheap: talc free chunks: %d, %d bytes; largest free span %d bytes%s", gaps.size(),
                    free, big == null ? 0 : big.size(), big == null ? "" : String.format(" at 0x%x", big.base())));
        }
        if (options.deep()) {
            b.append(String.format("%nheap: deep: %d metadata walks%s", walks,
                    walker.availabilityFound() ? "" : " (talc's availability bitmaps not located: not checked)"));
        }
        b.append(String.format("%nheap: %d violation%s", violations.size(), violations.size() == 1 ? "" : "s"));
        return b.toString();
    }

    private Map<String, long[]> liveBySite() {
        Map<String, long[]> m = new LinkedHashMap<>();
        for (Block x : live.values()) {
            long[] c = m.computeIfAbsent(site(x.frames), k -> new long[2]);
            c[0]++;
            c[1] += x.size;
        }
        return m;
    }

    public long liveBlocks() {
        return live.size();
    }

    public long liveBytes() {
        return liveBytes;
    }

    /** Writes {@code --heap-report FILE.json}. */
    public void writeReport(java.nio.file.Path file) throws IOException {
        StringBuilder j = new StringBuilder("{\n");
        j.append("  \"entryPoints\": ").append(str(entries.describe())).append(",\n");
        j.append("  \"calls\": {");
        for (Kind k : Kind.values()) {
            j.append(k.ordinal() == 0 ? "" : ", ").append(str(k.label)).append(": ").append(calls[k.ordinal()]);
        }
        j.append("},\n");
        j.append(String.format("  \"nullReturns\": %d,%n  \"totalAllocatedBytes\": %d,%n  \"peakLiveBytes\": %d,%n"
                + "  \"liveBlocks\": %d,%n  \"liveBytes\": %d,%n", nullReturns, totalAllocatedBytes, peakLiveBytes,
                live.size(), liveBytes));
        j.append("  \"liveBySite\": [");
        boolean first = true;
        for (Map.Entry<String, long[]> en : liveBySite().entrySet()) {
            j.append(first ? "\n" : ",\n").append(String.format("    {\"site\": %s, \"blocks\": %d, \"bytes\": %d}",
                    str(en.getKey()), en.getValue()[0], en.getValue()[1]));
            first = false;
        }
        j.append(first ? "],\n" : "\n  ],\n");
        j.append("  \"violations\": [");
        first = true;
        for (Report r : violations) {
            j.append(first ? "\n" : ",\n").append(String.format(
                    "    {\"kind\": %s, \"cpu\": %d, \"summary\": %s, \"details\": %s}", str(r.kind().name()),
                    r.cpu(), str(r.summary()), str(r.text())));
            first = false;
        }
        j.append(first ? "]\n}\n" : "\n  ]\n}\n");
        Files.writeString(file, j.toString(), StandardCharsets.UTF_8);
    }

    private static String str(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
