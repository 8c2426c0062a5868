// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.heap;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;
import limu.bootloader.BootPlan;
import limu.emulator.ExecutionObserver;
import limu.emulator.GuestMemory;
import limu.emulator.StopReason;
import limu.emulator.unicorn.Engine;

/**
 * {@code --heap-check}: watches the kernel's global allocator from outside. Hooks on the allocator's
 * entry points and return addresses ({@link AllocatorHooks}) feed a shadow map of live blocks
 * ({@link BlockLedger}) that checks every call: alignment, where the block lies (the HHDM view of
 * memory the memory map calls usable, inside the spans talc was given), overlap with live blocks (two
 * calls that overlapped in time returning overlapping blocks are reported as a race), double and
 * invalid frees, a layout on dealloc/realloc different from the allocation's, {@code alloc_zeroed}
 * memory being zero and realloc keeping the contents. Reports carry a backtrace from a stack scan
 * ({@link StackUnwinder}); {@link HeapReports} writes them, the exit summary and the JSON report.
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

    /** A violation as reported. */
    public record Report(Violation kind, int cpu, long call, String summary, String text) {
    }

    private final List<Engine> engines;
    private final AllocatorEntryPoints entries;
    private final StackUnwinder unwinder;
    private final TalcWalker walker;
    private final BlockLedger ledger;
    private final HeapReports reports;
    private final AllocatorHooks hooks;

    /** The checker's part of a machine snapshot. */
    record State(BlockLedger.State ledger, AllocatorHooks.State hooks) implements ExecutionObserver.State {
    }

    public HeapChecker(HeapOptions options, BootPlan plan, GuestMemory memory, List<Engine> engines,
                       Consumer<String> log) {
        this.engines = engines;
        this.entries = AllocatorEntryPoints.find(plan.kernel());
        boolean tracksLifetimes = entries.missing().isEmpty() || entries.talcLevel() || entries.globalAllocLevel();
        this.walker = new TalcWalker(memory, plan.hhdmOffset(), plan.kernel());
        this.unwinder = new StackUnwinder(plan.kernel(), engines.get(0));
        this.ledger = new BlockLedger(plan.hhdmOffset(), plan.memoryMap(), unwinder::inImage,
                plan.kernel()::symbolize, tracksLifetimes);
        this.reports = new HeapReports(options, entries, ledger, unwinder, log);
        this.hooks = new AllocatorHooks(options, plan, memory, engines, entries.watched(), walker, ledger, unwinder,
                reports, log);
    }

    public AllocatorEntryPoints entryPoints() {
        return entries;
    }

    /** Hooks every entry point on every CPU; false when the kernel has no allocator shim to watch. */
    public boolean install() {
        return hooks.install();
    }

    /** The stop a violation asked for, or null. */
    public StopReason stop() {
        hooks.installWatches();
        return reports.stop();
    }

    public List<Report> violations() {
        return reports.violations();
    }

    /** An address hook fired on CPU {@code cpu} ({@code registers}: CpuHooks.HOOK_REGISTERS); true stops the machine. */
    public boolean hit(int cpu, long address, long[] registers) {
        return hooks.hit(cpu, address, registers);
    }

    /**
     * --heap-check=strict: a guest access to a watched span (physical address). Accesses while this CPU is inside
     * an allocator call are the allocator's own; others must fall inside a live block. True stops the machine.
     */
    public boolean access(int cpu, long phys, int size, boolean write, long rip) {
        return hooks.access(cpu, phys, size, write, rip);
    }

    public long walks() {
        return hooks.walks();
    }

    /** talc's free chunks as the last walk found them (null when none ran); walks once now when deep was off. */
    public List<TalcWalker.Gap> freeChunks() {
        if (ledger.spans().isEmpty()) {
            return null;
        }
        String bad = walker.walk(engines.get(0), ledger.spans(), null);
        return bad == null ? walker.gaps : null;
    }

    public List<long[]> spans() {
        return ledger.spans();
    }

    public Collection<Block> liveBlockList() {
        return ledger.liveBlocks();
    }

    /** The first frame of a backtrace outside the allocator machinery: where a block was allocated. */
    String site(long[] frames) {
        return unwinder.site(frames);
    }

    public String summary() {
        return reports.summary(freeChunks(), hooks.walks(), walker.availabilityFound());
    }

    /** The exit summary as a value (the run's calls, live blocks by call site, violations with their reports). */
    public HeapSummary summaryValue() {
        return reports.value(summary());
    }

    /** The ledger, the calls in progress and the counters, for a machine snapshot (between runs). */
    State save() {
        return new State(ledger.save(), hooks.save());
    }

    /**
     * Back to a snapshot's state, starting a new run: its tallies and violations count from here, and the
     * blocks live at the snapshot are not the run's own.
     */
    void restore(State s) {
        hooks.restore(s.hooks());
        ledger.restore(s.ledger(), hooks.nextCall());
        reports.restart();
    }

    public long liveBlocks() {
        return ledger.liveBlocks().size();
    }

    public long liveBytes() {
        return ledger.liveBytes();
    }

    /** Writes {@code --heap-report FILE.json}. */
    public void writeReport(Path file) throws IOException {
        reports.writeJson(file);
    }
}
