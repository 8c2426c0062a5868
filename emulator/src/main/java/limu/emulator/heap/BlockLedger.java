// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.heap;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.LongFunction;
import java.util.function.LongPredicate;
import limu.bootloader.MemoryMapEntry;
import limu.bootloader.MemoryType;
import limu.emulator.heap.AllocatorEntryPoints.Kind;
import limu.emulator.heap.HeapChecker.Violation;

/**
 * The shadow of the kernel's heap: the blocks live now, a bounded history of freed ones, the spans the
 * allocator was given, and the tallies of the exit summary. It decides what is wrong with a block
 * handed out or given back (alignment, where it lies, overlap with a live block, double and invalid
 * frees, a layout that differs from the allocation's) and with a stray access; it never reads guest
 * memory.
 *
 * <p>The tallies (calls, bytes, peak, live blocks by site) count one run: from power-on, or from the
 * snapshot a machine was restored to ({@link #restore}), whose blocks stay live but are not the run's.
 */
final class BlockLedger {
    private static final int FREED_HISTORY = 100_000;

    private final long hhdm;
    private final List<MemoryMapEntry> memoryMap;
    private final LongPredicate inKernelImage;
    private final LongFunction<Optional<String>> symbols;
    /** Every shim is watched: frees are seen, so the ledger knows which blocks are live. */
    private final boolean tracksLifetimes;
    private final TreeMap<Long, Block> live = new TreeMap<>();
    private final LinkedHashMap<Long, Block> freed = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Block> e) {
            return size() > FREED_HISTORY;
        }
    };
    private final TreeMap<Long, Block> freedByAddress = new TreeMap<>();
    private final List<long[]> spans = new ArrayList<>();
    private final long[] calls = new long[Kind.values().length];
    private long nullReturns, liveBytes, totalAllocatedBytes;
    /** The first call of this run: live blocks made by earlier calls (before a snapshot) are not its own. */
    private long firstCall;
    private long runLiveBytes, peakLiveBytes;

    /** Everything the ledger knows, as a snapshot keeps it (the maps are copies no one changes). */
    record State(TreeMap<Long, Block> live, LinkedHashMap<Long, Block> freed, TreeMap<Long, Block> freedByAddress,
                 List<long[]> spans, long liveBytes) {
    }

    /**
     * Blocks must lie in {@code memoryMap}'s usable memory seen through the HHDM at {@code hhdm}, never in
     * the kernel image ({@code inKernelImage}); {@code symbols} names an image address in a report.
     */
    BlockLedger(long hhdm, List<MemoryMapEntry> memoryMap, LongPredicate inKernelImage,
                LongFunction<Optional<String>> symbols, boolean tracksLifetimes) {
        this.hhdm = hhdm;
        this.memoryMap = memoryMap;
        this.inKernelImage = inKernelImage;
        this.symbols = symbols;
        this.tracksLifetimes = tracksLifetimes;
    }

    boolean tracksLifetimes() {
        return tracksLifetimes;
    }

    /** Counts a call; talc's grow and shrink count as realloc. */
    void countCall(Kind kind) {
        ++calls[(kind == Kind.TALC_GROW || kind == Kind.TALC_SHRINK ? Kind.REALLOC : kind).ordinal()];
    }

    long calls(Kind kind) {
        return calls[kind.ordinal()];
    }

    void nullReturn() {
        nullReturns++;
    }

    long nullReturns() {
        return nullReturns;
    }

    long liveBytes() {
        return liveBytes;
    }

    /** Bytes in the live blocks this run allocated. */
    long runLiveBytes() {
        return runLiveBytes;
    }

    /** The live blocks this run allocated (all of them when the run started at power-on). */
    List<Block> runLiveBlocks() {
        return live.values().stream().filter(this::ownedByRun).toList();
    }

    private boolean ownedByRun(Block b) {
        return b.call() >= firstCall;
    }

    /** The ledger as it is now; the tallies are not kept (a restored run starts its own). */
    State save() {
        return new State(new TreeMap<>(live), copy(freed), new TreeMap<>(freedByAddress),
                spans.stream().map(long[]::clone).toList(), liveBytes);
    }

    /**
     * Puts back the blocks and spans of {@code s} and starts a run whose first allocator call is
     * {@code firstCall}: the tallies count from zero, and the blocks live in {@code s} are not the run's.
     */
    void restore(State s, long firstCall) {
        live.clear();
        live.putAll(s.live());
        freed.clear();
        freed.putAll(s.freed());
        freedByAddress.clear();
        freedByAddress.putAll(s.freedByAddress());
        spans.clear();
        s.spans().forEach(x -> spans.add(x.clone()));
        liveBytes = s.liveBytes();
        java.util.Arrays.fill(calls, 0);
        nullReturns = 0;
        totalAllocatedBytes = 0;
        runLiveBytes = 0;
        peakLiveBytes = 0;
        this.firstCall = firstCall;
    }

    private static LinkedHashMap<Long, Block> copy(LinkedHashMap<Long, Block> m) {
        LinkedHashMap<Long, Block> c = new LinkedHashMap<>(Math.max(16, m.size() * 2));
        c.putAll(m);
        return c;
    }

    /** The peak of {@link #runLiveBytes()} in this run. */
    long peakLiveBytes() {
        return peakLiveBytes;
    }

    long totalAllocatedBytes() {
        return totalAllocatedBytes;
    }

    Block live(long ptr) {
        return live.get(ptr);
    }

    Collection<Block> liveBlocks() {
        return live.values();
    }

    NavigableMap<Long, Block> liveByAddress() {
        return Collections.unmodifiableNavigableMap(live);
    }

    List<long[]> spans() {
        return spans;
    }

    /** A span the allocator was given (claim, extend): every block must lie inside one. */
    void addSpan(long start, long end) {
        spans.add(new long[] {start, end});
    }

    /** A block about to be freed or reallocated: null when {@code ptr} is live with this layout. */
    Finding checkRelease(long ptr, long size, long align) {
        Block old = live.get(ptr);
        if (old == null) {
            Block f = freed.get(ptr);
            if (f != null) {
                return new Finding(Violation.DOUBLE_FREE, f, "the block was already freed");
            }
            Map.Entry<Long, Block> in = live.floorEntry(ptr);
            Block inside = in != null && in.getValue().end() > ptr ? in.getValue() : null;
            return new Finding(Violation.INVALID_FREE, inside, inside != null
                    ? String.format("the pointer is %d bytes into a live block", ptr - inside.ptr())
                    : "no allocation ever returned this pointer");
        }
        if (old.size() != size || old.align() != align) {
            return new Finding(Violation.WRONG_LAYOUT, old,
                    String.format("allocated with size %d, align %d", old.size(), old.align()));
        }
        return null;
    }

    /** {@code block} was freed by call {@code call} on {@code cpu}. */
    void free(Block block, int cpu, long call, long[] frames) {
        removeLive(block);
        Block fb = block.freedBy(cpu, call, frames);
        freed.put(block.ptr(), fb);
        freedByAddress.put(block.ptr(), fb);
    }

    /** A realloc of {@code old} returned {@code ptr}: the old block ends (freed when it moved). */
    void reallocated(Block old, long ptr, int cpu, long call, long[] frames) {
        removeLive(old);
        if (ptr != old.ptr()) {
            freed.put(old.ptr(), old.freedBy(cpu, call, frames));
        }
    }

    /** A block the allocator returned: null when it is sound (then it is live), else what is wrong. */
    Finding allocate(Block b) {
        long ptr = b.ptr(), size = b.size(), align = b.align();
        if (align > 0 && Long.remainderUnsigned(ptr, align) != 0) {
            return new Finding(Violation.MISALIGNED, null, String.format("0x%x is not a multiple of %d", ptr, align));
        }
        String where = location(ptr, size);
        if (where != null) {
            return new Finding(Violation.OUTSIDE_USABLE, null, where);
        }
        if (!spans.isEmpty() && !insideASpan(ptr, size)) {
            return new Finding(Violation.OUTSIDE_HEAP, null, "the allocator was given " + spansText());
        }
        Map.Entry<Long, Block> below = live.floorEntry(b.end() - 1);
        if (below != null && below.getValue().end() > ptr) {
            Block other = below.getValue();
            // the other block was returned after this call entered the allocator: the two calls overlapped
            boolean concurrent = other.cpu() != b.cpu() && other.returnSeq() > b.entrySeq();
            return new Finding(concurrent ? Violation.RACE : Violation.OVERLAP, other,
                    String.format("it overlaps the live block 0x%x-0x%x%s", other.ptr(), other.end(),
                            concurrent ? String.format(" that CPU %d got while this call was in the allocator",
                                    other.cpu()) : ""));
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
        if (ownedByRun(b)) {
            runLiveBytes += size;
            peakLiveBytes = Math.max(peakLiveBytes, runLiveBytes);
        }
        return null;
    }

    /**
     * An access of {@code size} bytes at the heap address {@code v} from outside the allocator: null when
     * a live block holds it, else a use after free, an overflow past a block's end, or a wild access.
     */
    Finding strayAccess(long v, int size) {
        Map.Entry<Long, Block> l = live.floorEntry(v);
        if (l != null && l.getValue().end() >= v + size) {
            return null;
        }
        Map.Entry<Long, Block> fr = freedByAddress.floorEntry(v);
        if (fr != null && fr.getValue().end() > v) {
            Block block = fr.getValue();
            return new Finding(Violation.USE_AFTER_FREE, block,
                    String.format("the address is %d bytes into a freed block", v - block.ptr()));
        }
        // talc rounds a chunk up to 8 bytes and puts its tag word after it: still the block's chunk
        if (l != null && v >= l.getValue().ptr() && v < ((l.getValue().ptr() + l.getValue().size() + 7) & ~7L) + 8) {
            Block block = l.getValue();
            return new Finding(Violation.OVERFLOW, block,
                    String.format("the access starts %d bytes past the end of a live block (%s)",
                            v - block.ptr() - block.size(), v < block.end() ? "and runs past it"
                                    : "in talc's chunk padding or tag"));
        }
        Block block = l != null && l.getValue().end() > v - 4096 ? l.getValue() : null;
        return new Finding(Violation.WILD_ACCESS, block, "no live block holds it (free memory or talc's metadata)"
                + (block != null ? "; the nearest live block below is shown" : ""));
    }

    /** A loop, not a stream: every allocation asks. */
    private boolean insideASpan(long ptr, long size) {
        for (long[] s : spans) {
            if (Long.compareUnsigned(ptr, s[0]) >= 0 && Long.compareUnsigned(ptr + size, s[1]) <= 0) {
                return true;
            }
        }
        return false;
    }

    private void removeLive(Block b) {
        if (live.remove(b.ptr()) != null) {
            liveBytes -= b.size();
            if (ownedByRun(b)) {
                runLiveBytes -= b.size();
            }
        }
    }

    /** Null when [ptr, ptr+size) lies in USABLE memory through the HHDM, else where it lies. */
    private String location(long ptr, long size) {
        if (inKernelImage.test(ptr)) {
            String sym = symbols.apply(ptr).map(s -> " (" + s + ")").orElse("");
            return String.format("0x%x is in the kernel image%s, not in usable memory", ptr, sym);
        }
        long phys = ptr - hhdm;
        if (Long.compareUnsigned(ptr, hhdm) < 0 || Long.compareUnsigned(phys, 1L << 52) >= 0) {
            return String.format("0x%x is not in the higher-half direct map (HHDM at 0x%x)", ptr, hhdm);
        }
        for (MemoryMapEntry m : memoryMap) {
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

    private String spansText() {
        StringBuilder b = new StringBuilder();
        for (long[] s : spans) {
            b.append(b.length() == 0 ? "" : ", ").append(String.format("0x%x-0x%x", s[0], s[1]));
        }
        return b.toString();
    }
}
