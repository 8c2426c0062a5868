// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.profile;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import limu.bootloader.ElfFile;
import limu.emulator.CpuSampler;
import limu.emulator.heap.StackUnwinder;
import limu.emulator.unicorn.Engine;
import limu.emulator.unicorn.Register;

/**
 * Call stacks of every CPU, counted: the function at RIP, below it the callers a stack scan finds (limu's kernels
 * keep no frame pointers, see {@link StackUnwinder}), below them the CPU. An interrupt handler's frames sit on the
 * interrupted code's callers, because the scan runs on through the interrupt frame into the interrupted stack.
 */
public final class StackSampler implements CpuSampler {
    /** The frame a halted (or not yet started) CPU shows. */
    public static final String IDLE = "[idle]";
    /** A frame outside any kernel symbol (e.g. code the kernel loaded later). */
    public static final String UNKNOWN = "[unknown]";

    private final ElfFile kernel;
    private final long intervalNanos;
    private final TreeMap<Integer, TreeMap<String, Long>> stacks = new TreeMap<>();
    private StackUnwinder unwinder;

    public StackSampler(ElfFile kernel, long intervalNanos) {
        if (intervalNanos <= 0) {
            throw new IllegalArgumentException("profile interval must be positive");
        }
        this.kernel = kernel;
        this.intervalNanos = intervalNanos;
    }

    @Override
    public long intervalNanos() {
        return intervalNanos;
    }

    @Override
    public void sample(int cpu, Engine engine, boolean idle) {
        List<String> frames = new ArrayList<>();
        frames.add("CPU " + cpu);
        if (idle) {
            frames.add(IDLE);
        } else {
            long rip = engine.read(Register.RIP);
            if (unwinder == null) {
                unwinder = new StackUnwinder(kernel, engine);   // reads the kernel's code: it is loaded by now
            }
            long leafStart = functionStart(rip);
            long[] callers = unwinder.backtrace(engine, engine.read(Register.RSP), leafStart, true);
            for (int i = callers.length - 1; i >= 0; i--) {
                frames.add(function(callers[i] - 1));   // the call instruction, not the code after it
            }
            frames.add(function(rip));
        }
        stacks.computeIfAbsent(cpu, c -> new TreeMap<>()).merge(String.join(";", frames), 1L, Long::sum);
    }

    /** What was sampled so far. */
    public Profile profile() {
        TreeMap<Integer, Map<String, Long>> copy = new TreeMap<>();
        stacks.forEach((cpu, s) -> copy.put(cpu, new TreeMap<>(s)));
        return new Profile(intervalNanos, copy);
    }

    /** The demangled function at {@code address}; ';' would split the frame in the folded format. */
    private String function(long address) {
        Optional<String> s = kernel.symbolize(address);
        if (s.isEmpty()) {
            return UNKNOWN;
        }
        String name = s.get();
        int plus = name.lastIndexOf("+0x");
        return (plus < 0 ? name : name.substring(0, plus)).replace(';', ',');
    }

    private long functionStart(long address) {
        return kernel.symbolStart(address);
    }
}
