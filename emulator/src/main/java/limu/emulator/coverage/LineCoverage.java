// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.coverage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import limu.bootloader.DwarfLines;
import limu.bootloader.ElfFile;
import limu.emulator.unicorn.ExecutedBlock;

/**
 * Line coverage of a kernel run: for every source file of the kernel's DWARF line table, each line that has code
 * and how often that code ran, and each function with how often it was entered. Written in lcov's tracefile format
 * (what {@code genhtml} reads); runs of several kernels merge line by line.
 *
 * <p>A line is hit when any byte of its code lies in a translation block a CPU executed; lines without code in the
 * line table do not appear at all. Code inlined from another function counts for the line the line table names,
 * which is the inlined function's own source line.
 */
public final class LineCoverage {
    /** A function: the line it starts at and how often its first byte ran. */
    public record Function(String name, int line, long count) {
    }

    /** One source file's lines (line number to count) and functions (name to record), in order. */
    private record SourceFile(TreeMap<Integer, Long> lines, TreeMap<String, Function> functions) {
        SourceFile() {
            this(new TreeMap<>(), new TreeMap<>());
        }
    }

    private final TreeMap<String, SourceFile> files;

    private LineCoverage(TreeMap<String, SourceFile> files) {
        this.files = files;
    }

    /** No file, no line: what a merge starts from. */
    public static LineCoverage empty() {
        return new LineCoverage(new TreeMap<>());
    }

    /**
     * The coverage of {@code kernel} (as loaded: a relocated kernel's slid view) given the blocks every CPU executed.
     * {@code paths} rewrites source paths as DWARF names them (e.g. a build machine's folder to this one's).
     */
    public static LineCoverage of(ElfFile kernel, Collection<ExecutedBlock> blocks, PathMap paths) {
        ExecutedBytes executed = ExecutedBytes.of(blocks);
        List<long[]> text = new ArrayList<>();
        for (ElfFile.Segment s : kernel.segments()) {
            if (s.isLoad() && s.executable()) {
                text.add(new long[] {s.vaddr(), s.vend()});
            }
        }
        TreeMap<String, SourceFile> files = new TreeMap<>();
        for (DwarfLines.LineRange r : kernel.lines().ranges()) {
            // the linker leaves line rows of discarded code at address 0: only code in the image counts
            if (!inside(text, r.start(), r.end())) {
                continue;
            }
            SourceFile f = files.computeIfAbsent(paths.apply(r.line().file()), k -> new SourceFile());
            f.lines.merge(r.line().line(), executed.maxCount(r.start(), r.end()), Math::max);
        }
        for (ElfFile.Symbol s : kernel.symbols()) {
            if (s.type() != ElfFile.STT_FUNC || s.size() == 0 || !inside(text, s.value(), s.value() + s.size())) {
                continue;
            }
            Optional<DwarfLines.SourceLine> at = kernel.lines().at(s.value());
            if (at.isEmpty()) {
                continue;
            }
            SourceFile f = files.get(paths.apply(at.get().file()));
            if (f == null || !f.lines.containsKey(at.get().line())) {
                continue;   // genhtml wants a function's line among the file's lines
            }
            long entered = executed.maxCount(s.value(), s.value() + 1);
            f.functions.merge(s.demangledName(), new Function(s.demangledName(), at.get().line(), entered),
                    LineCoverage::sameFunction);
        }
        return new LineCoverage(files);
    }

    /** One name, two places (e.g. two copies of a generic function): the lower line, the counts added. */
    private static Function sameFunction(Function a, Function b) {
        return new Function(a.name(), Math.min(a.line(), b.line()), a.count() + b.count());
    }

    private static boolean inside(List<long[]> text, long start, long end) {
        for (long[] t : text) {
            if (Long.compareUnsigned(start, t[0]) >= 0 && Long.compareUnsigned(end, t[1]) <= 0) {
                return true;
            }
        }
        return false;
    }

    /** The union of both runs: each line and function with its counts added (lcov's {@code -a}). */
    public LineCoverage merge(LineCoverage other) {
        TreeMap<String, SourceFile> out = new TreeMap<>();
        for (LineCoverage c : List.of(this, other)) {
            c.files.forEach((name, f) -> {
                SourceFile into = out.computeIfAbsent(name, k -> new SourceFile());
                f.lines.forEach((line, count) -> into.lines.merge(line, count, Long::sum));
                f.functions.forEach((fn, rec) -> into.functions.merge(fn, rec, LineCoverage::sameFunction));
            });
        }
        return new LineCoverage(out);
    }

    /** The source files with code, as written in SF records. */
    public List<String> files() {
        return List.copyOf(files.keySet());
    }

    /** How often the code of {@code line} in {@code file} ran (0: never); empty when the line has no code. */
    public OptionalLong hits(String file, int line) {
        SourceFile f = files.get(file);
        Long n = f == null ? null : f.lines.get(line);
        return n == null ? OptionalLong.empty() : OptionalLong.of(n);
    }

    /** The lines of {@code file} that have code, each with its count. */
    public Map<Integer, Long> lines(String file) {
        SourceFile f = files.get(file);
        return f == null ? Map.of() : java.util.Collections.unmodifiableMap(f.lines);
    }

    /** Every function (demangled name), in file and name order. */
    public List<Function> functions() {
        List<Function> out = new ArrayList<>();
        files.values().forEach(f -> out.addAll(f.functions.values()));
        return out;
    }

    /** The function named exactly {@code name} (demangled, e.g. {@code coverage::left_branch}). */
    public Optional<Function> function(String name) {
        return functions().stream().filter(f -> f.name().equals(name)).findFirst();
    }

    /** Whether the function named {@code name} ran at least once. */
    public boolean executed(String name) {
        return function(name).map(f -> f.count() > 0).orElse(false);
    }

    /** The tracefile: one record per source file (TN, SF, FN, FNDA, FNF, FNH, DA, LF, LH, end_of_record). */
    public String lcov(String testName) {
        StringBuilder b = new StringBuilder();
        files.forEach((name, f) -> {
            b.append("TN:").append(testName).append('\n');
            b.append("SF:").append(name).append('\n');
            List<Function> fns = new ArrayList<>(f.functions.values());
            fns.sort(Comparator.comparingInt(Function::line).thenComparing(Function::name));
            for (Function fn : fns) {
                b.append("FN:").append(fn.line()).append(',').append(fn.name()).append('\n');
            }
            for (Function fn : fns) {
                b.append("FNDA:").append(fn.count()).append(',').append(fn.name()).append('\n');
            }
            b.append("FNF:").append(fns.size()).append('\n');
            b.append("FNH:").append(fns.stream().filter(fn -> fn.count() > 0).count()).append('\n');
            f.lines.forEach((line, count) -> b.append("DA:").append(line).append(',').append(count).append('\n'));
            b.append("LF:").append(f.lines.size()).append('\n');
            b.append("LH:").append(f.lines.values().stream().filter(c -> c > 0).count()).append('\n');
            b.append("end_of_record\n");
        });
        return b.toString();
    }

    /** Writes {@link #lcov} to {@code file}. */
    public void write(Path file, String testName) throws IOException {
        Files.writeString(file, lcov(testName), StandardCharsets.UTF_8);
    }

    /** lcov's test names are word characters only. */
    public static String testName(String kernelFileName) {
        return kernelFileName.replaceAll("\\.elf$", "").replaceAll("\\W", "_");
    }

    /**
     * How often each byte of code ran: the executed blocks cut into disjoint pieces, each with the summed count
     * of the blocks covering it (one execution runs one block, so blocks translated twice over the same bytes add).
     */
    private record ExecutedBytes(long[] starts, long[] ends, long[] counts) {
        static ExecutedBytes of(Collection<ExecutedBlock> blocks) {
            TreeMap<Long, Long> delta = new TreeMap<>(Long::compareUnsigned);
            for (ExecutedBlock b : blocks) {
                if (b.size() > 0) {
                    delta.merge(b.address(), b.count(), Long::sum);
                    delta.merge(b.end(), -b.count(), Long::sum);
                }
            }
            List<long[]> pieces = new ArrayList<>();
            long running = 0;
            Long previous = null;
            for (Map.Entry<Long, Long> e : delta.entrySet()) {
                if (previous != null && running > 0) {
                    pieces.add(new long[] {previous, e.getKey(), running});
                }
                running += e.getValue();
                previous = e.getKey();
            }
            return new ExecutedBytes(pieces.stream().mapToLong(p -> p[0]).toArray(),
                    pieces.stream().mapToLong(p -> p[1]).toArray(), pieces.stream().mapToLong(p -> p[2]).toArray());
        }

        /** The highest count of any executed byte in {@code [start, end)}; 0 when none ran. */
        long maxCount(long start, long end) {
            int i = firstEndingAfter(start);
            long max = 0;
            for (; i < starts.length && Long.compareUnsigned(starts[i], end) < 0; i++) {
                max = Math.max(max, counts[i]);
            }
            return max;
        }

        /** The first piece whose end lies above {@code address} (pieces are disjoint and sorted). */
        private int firstEndingAfter(long address) {
            int lo = 0, hi = ends.length;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (Long.compareUnsigned(ends[mid], address) > 0) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            return lo;
        }
    }
}
