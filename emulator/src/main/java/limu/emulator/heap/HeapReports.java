// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.heap;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import limu.emulator.StopReason;
import limu.emulator.heap.AllocatorEntryPoints.Kind;
import limu.emulator.heap.HeapChecker.Report;
import limu.emulator.heap.HeapChecker.Violation;

/**
 * What {@code --heap-check} tells: each violation as text (the call, the block's history, a backtrace)
 * and the stop it asks for, the exit summary, and the {@code --heap-report} JSON file.
 */
final class HeapReports {
    private final HeapOptions options;
    private final AllocatorEntryPoints entries;
    private final BlockLedger ledger;
    private final StackUnwinder unwinder;
    private final Consumer<String> log;
    private final List<Report> violations = new ArrayList<>();
    private StopReason stop;

    /** {@code log} gets the violations {@code --heap-check-continue} lets pass. */
    HeapReports(HeapOptions options, AllocatorEntryPoints entries, BlockLedger ledger, StackUnwinder unwinder,
                Consumer<String> log) {
        this.options = options;
        this.entries = entries;
        this.ledger = ledger;
        this.unwinder = unwinder;
        this.log = log;
    }

    /** The stop a violation asked for, or null. */
    StopReason stop() {
        return stop;
    }

    List<Report> violations() {
        return violations;
    }

    /** A restored run starts with no violation reported and no stop asked for. */
    void restart() {
        violations.clear();
        stop = null;
    }

    /** The exit summary as a value; {@code text} is {@link #summary}'s. */
    HeapSummary value(String text) {
        List<HeapSummary.SiteTally> sites = new ArrayList<>();
        liveBySite().forEach((site, c) -> sites.add(new HeapSummary.SiteTally(site, c[0], c[1])));
        return new HeapSummary(ledger.calls(Kind.ALLOC), ledger.calls(Kind.ALLOC_ZEROED), ledger.calls(Kind.REALLOC),
                ledger.calls(Kind.DEALLOC), ledger.nullReturns(), ledger.totalAllocatedBytes(), ledger.peakLiveBytes(),
                ledger.tracksLifetimes(), ledger.runLiveBlocks().size(), ledger.runLiveBytes(), sites,
                List.copyOf(violations), text);
    }

    /** Reports what the ledger found about call {@code call} ({@code kind} null: an access); true stops. */
    boolean record(Finding f, int cpu, Kind kind, long call, long[] frames, String what) {
        return record(f.kind(), cpu, kind, call, frames, what, f.block(), f.detail());
    }

    /** Reports a violation by call {@code call} ({@code kind} null: an access, frames[0] its RIP); true stops. */
    boolean record(Violation v, int cpu, Kind kind, long call, long[] frames, String what, Block block,
                   String detail) {
        String site = unwinder.site(frames);
        String summary = String.format("heap check: %s on CPU %d in %s", v.label, cpu, site.isEmpty() ? "?" : site);
        StringBuilder b = new StringBuilder();
        if (kind == null) {
            b.append(String.format("  on CPU %d: %s%n  %s%n", cpu, what, detail));
        } else {
            b.append(String.format("  %s call #%d on CPU %d: %s%n  %s%n", kind.label, call, cpu, what, detail));
        }
        if (block != null) {
            b.append(String.format("  block 0x%x-0x%x (%d bytes, align %d): allocated by call #%d on CPU %d at %s%n",
                    block.ptr(), block.ptr() + block.size(), block.size(), block.align(), block.call(), block.cpu(),
                    unwinder.site(block.frames())));
            if (block.freeFrames() != null) {
                b.append(String.format("    freed by call #%d on CPU %d at %s%n", block.freeCall(), block.freeCpu(),
                        unwinder.site(block.freeFrames())));
            }
        }
        b.append("  backtrace (stack scan for return addresses into the kernel's code; no frame pointers):\n");
        b.append(unwinder.describe(frames, kind == null));
        Report r = new Report(v, cpu, call, summary, b.toString());
        violations.add(r);
        if (options.keepGoing()) {
            log.accept(summary + "\n" + r.text());
            return false;
        }
        stop = new StopReason.HeapViolation(summary, b.toString().stripTrailing());
        return true;
    }

    /**
     * The exit summary: calls, bytes, live blocks by call site, talc's free chunks ({@code gaps}, null when
     * not walked) and, with deep checking, how many metadata walks ran.
     */
    String summary(List<TalcWalker.Gap> gaps, long walks, boolean availabilityFound) {
        StringBuilder b = new StringBuilder();
        b.append(String.format("heap: %d alloc, %d alloc_zeroed, %d realloc, %d dealloc calls; %d null returns;"
                        + " %d bytes allocated in total, peak %d live bytes%n",
                ledger.calls(Kind.ALLOC), ledger.calls(Kind.ALLOC_ZEROED), ledger.calls(Kind.REALLOC),
                ledger.calls(Kind.DEALLOC), ledger.nullReturns(), ledger.totalAllocatedBytes(),
                ledger.peakLiveBytes()));
        b.append(ledger.tracksLifetimes() ? String.format("heap: live at exit: %d blocks, %d bytes",
                ledger.runLiveBlocks().size(), ledger.runLiveBytes())
                : "heap: live at exit: unknown (frees are not seen: " + String.join(", ", entries.missing())
                        + " inlined)");
        liveBySite().entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[1], x.getValue()[1])).limit(10)
                .forEach(en -> b.append(String.format("%n  %6d blocks %9d bytes  %s", en.getValue()[0],
                        en.getValue()[1], en.getKey())));
        if (gaps != null) {
            TalcWalker.Gap big = gaps.stream().max((x, y) -> Long.compare(x.size(), y.size())).orElse(null);
            long free = gaps.stream().mapToLong(TalcWalker.Gap::size).sum();
            b.append(String.format("%nheap: talc free chunks: %d, %d bytes; largest free span %d bytes%s", gaps.size(),
                    free, big == null ? 0 : big.size(), big == null ? "" : String.format(" at 0x%x", big.base())));
        }
        if (options.deep()) {
            b.append(String.format("%nheap: deep: %d metadata walks%s", walks,
                    availabilityFound ? "" : " (talc's availability bitmaps not located: not checked)"));
        }
        b.append(String.format("%nheap: %d violation%s", violations.size(), violations.size() == 1 ? "" : "s"));
        return b.toString();
    }

    /** Live blocks and bytes per call site, in the order the blocks were allocated. */
    private Map<String, long[]> liveBySite() {
        Map<String, long[]> m = new LinkedHashMap<>();
        for (Block x : ledger.runLiveBlocks()) {
            long[] c = m.computeIfAbsent(unwinder.site(x.frames()), k -> new long[2]);
            c[0]++;
            c[1] += x.size();
        }
        return m;
    }

    /** Writes {@code --heap-report FILE.json}. */
    void writeJson(Path file) throws IOException {
        StringBuilder j = new StringBuilder("{\n");
        j.append("  \"entryPoints\": ").append(str(entries.describe())).append(",\n");
        j.append("  \"calls\": {");
        for (Kind k : Kind.values()) {
            j.append(k.ordinal() == 0 ? "" : ", ").append(str(k.label)).append(": ").append(ledger.calls(k));
        }
        j.append("},\n");
        j.append(String.format("  \"nullReturns\": %d,%n  \"totalAllocatedBytes\": %d,%n  \"peakLiveBytes\": %d,%n"
                + "  \"liveBlocks\": %d,%n  \"liveBytes\": %d,%n", ledger.nullReturns(), ledger.totalAllocatedBytes(),
                ledger.peakLiveBytes(), ledger.runLiveBlocks().size(), ledger.runLiveBytes()));
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

    /** A JSON string literal (RFC 8259 section 7). */
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
