// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.profile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A run's samples: for every CPU, each call stack (root first, frames joined by ';', the CPU as the root frame)
 * with the number of times it was sampled. Written as folded stacks ({@code a;b;c count}, what flamegraph.pl and
 * speedscope read) or as limu's own flame graph (SVG).
 */
public final class Profile {
    private final long intervalNanos;
    private final Map<Integer, Map<String, Long>> stacks;

    Profile(long intervalNanos, Map<Integer, Map<String, Long>> stacks) {
        this.intervalNanos = intervalNanos;
        this.stacks = stacks;
    }

    /** Virtual nanoseconds between two samples. */
    public long intervalNanos() {
        return intervalNanos;
    }

    /** The samples of CPU {@code cpu}: one per interval of virtual time it existed. */
    public long samples(int cpu) {
        return stacks.getOrDefault(cpu, Map.of()).values().stream().mapToLong(Long::longValue).sum();
    }

    /** The CPUs sampled, in order. */
    public java.util.Set<Integer> cpus() {
        return Collections.unmodifiableSet(stacks.keySet());
    }

    /** CPU {@code cpu}'s stacks (root first, ';' between frames) and their counts. */
    public Map<String, Long> stacks(int cpu) {
        return Collections.unmodifiableMap(stacks.getOrDefault(cpu, Map.of()));
    }

    /** Samples whose innermost frame is {@code function} (demangled, e.g. {@code coverage::hot_loop}), all CPUs. */
    public long selfSamples(String function) {
        long n = 0;
        for (Map<String, Long> s : stacks.values()) {
            for (Map.Entry<String, Long> e : s.entrySet()) {
                if (leaf(e.getKey()).equals(function)) {
                    n += e.getValue();
                }
            }
        }
        return n;
    }

    /** The innermost frame sampled most often on CPU {@code cpu} ({@link StackSampler#IDLE} included). */
    public Optional<String> topFrame(int cpu) {
        Map<String, Long> self = new TreeMap<>();
        stacks(cpu).forEach((stack, n) -> self.merge(leaf(stack), n, Long::sum));
        return self.entrySet().stream().max(Map.Entry.<String, Long>comparingByValue()
                .thenComparing(Map.Entry.comparingByKey(java.util.Comparator.reverseOrder()))).map(Map.Entry::getKey);
    }

    private static String leaf(String stack) {
        return stack.substring(stack.lastIndexOf(';') + 1);
    }

    /** Folded stacks, one {@code stack count} line each, CPUs in order, stacks sorted. */
    public String folded() {
        StringBuilder b = new StringBuilder();
        stacks.values().forEach(s -> s.forEach((stack, n) -> b.append(stack).append(' ').append(n).append('\n')));
        return b.toString();
    }

    /** The flame graph as a standalone SVG document (see {@link FlameGraph}). */
    public String svg(String title) {
        return FlameGraph.svg(title, this);
    }

    /** Writes {@code file}: a flame graph when its name ends in {@code .svg}, folded stacks otherwise. */
    public void write(Path file, String title) throws IOException {
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        Files.writeString(file, name.endsWith(".svg") ? svg(title) : folded(), StandardCharsets.UTF_8);
    }
}
