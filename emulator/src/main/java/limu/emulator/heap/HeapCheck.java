package limu.emulator.heap;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import limu.emulator.ExecutionObserver;
import limu.emulator.Machine;
import limu.emulator.StopReason;
import limu.emulator.unicorn.Engine;

/** {@code --heap-check} attached to a machine: the {@link HeapChecker} as the run loop sees it. */
public final class HeapCheck implements ExecutionObserver {
    private final HeapChecker checker;

    private HeapCheck(HeapChecker checker) {
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
        machine.attach(new HeapCheck(checker));
        checker.install();
        return checker;
    }

    @Override
    public boolean addressHit(int cpu, long linear) {
        return checker.hit(cpu, linear);
    }

    @Override
    public boolean heapAccess(int cpu, long physical, int size, boolean write, long rip) {
        return checker.access(cpu, physical, size, write, rip);
    }

    @Override
    public Optional<StopReason> stopReason() {
        return Optional.ofNullable(checker.stop());
    }

    /** The checker's hooks and shadow state are not part of a snapshot. */
    @Override
    public Optional<String> snapshotRefusal() {
        return Optional.of("snapshots are not supported with --heap-check");
    }
}
