// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.heap;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import limu.emulator.ExecutionObserver;
import limu.emulator.Machine;
import limu.emulator.StopReason;
import limu.emulator.unicorn.Engine;

/**
 * {@code --heap-check} attached to a machine: the {@link HeapChecker} as the run loop sees it. Its
 * state (ledger, calls in progress on each CPU, counters) is part of the machine's snapshots.
 */
public final class HeapObserver implements ExecutionObserver {
    private final HeapChecker checker;

    private HeapObserver(HeapChecker checker) {
        this.checker = checker;
    }

    /**
     * Turns on heap checking before the machine runs: hooks the kernel's allocator shims on every
     * CPU. {@code log} gets the violations {@code options.keepGoing()} lets pass.
     */
    public static HeapChecker attach(Machine machine, HeapOptions options, Consumer<String> log) {
        List<Engine> engines = new ArrayList<>();
        for (int i = 0; i < machine.cpuCount(); i++) {
            engines.add(machine.engine(i));
        }
        HeapChecker checker = new HeapChecker(options, machine.plan(), machine.memory(), List.copyOf(engines), log);
        machine.attach(new HeapObserver(checker));
        checker.install();
        return checker;
    }

    @Override
    public boolean addressHit(int cpu, long linear, long[] registers) {
        return checker.hit(cpu, linear, registers);
    }

    @Override
    public boolean heapAccess(int cpu, long physical, int size, boolean write, long rip) {
        return checker.access(cpu, physical, size, write, rip);
    }

    @Override
    public Optional<StopReason> stopReason() {
        return Optional.ofNullable(checker.stop());
    }

    @Override
    public Optional<String> snapshotRefusal() {
        return Optional.empty();
    }

    @Override
    public State saveState() {
        return checker.save();
    }

    @Override
    public void restoreState(State state) {
        checker.restore((HeapChecker.State) state);
    }
}
