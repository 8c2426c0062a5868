// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import java.util.Optional;

/**
 * A tool that watches the guest run (the heap checker, {@code limu.emulator.heap}), attached
 * with {@link Machine#attach}. The CPUs report the addresses it hooks and the accesses it
 * watches; after each slice the run loop asks whether it wants the run stopped. Its own state
 * is part of a {@link MachineSnapshot}: captured with the machine and put back with it. Every
 * call comes on the run-loop thread.
 */
public interface ExecutionObserver {
    /** No tool: nothing is hooked, the run never stops for it, snapshots are allowed. */
    ExecutionObserver NONE = new ExecutionObserver() {
        @Override
        public boolean addressHit(int cpu, long linear, long[] registers) {
            return false;
        }

        @Override
        public boolean heapAccess(int cpu, long physical, int size, boolean write, long rip) {
            return false;
        }

        @Override
        public Optional<StopReason> stopReason() {
            return Optional.empty();
        }

        @Override
        public Optional<String> snapshotRefusal() {
            return Optional.empty();
        }

        @Override
        public State saveState() {
            return NO_STATE;
        }

        @Override
        public void restoreState(State state) {
        }
    };

    /** A tool's state as a snapshot keeps it: a value the tool alone reads back. */
    interface State {
    }

    /** The state of a tool that keeps none. */
    State NO_STATE = new State() {
    };

    /**
     * An address hook fired on CPU {@code cpu} (RIP at {@code linear}; {@code registers}: the
     * {@link limu.emulator.unicorn.CpuHooks#HOOK_REGISTERS}, valid during the call); true ends the slice.
     */
    boolean addressHit(int cpu, long linear, long[] registers);

    /** A watched memory access by CPU {@code cpu}; true ends the slice. */
    boolean heapAccess(int cpu, long physical, int size, boolean write, long rip);

    /** Asked after every slice: why the run must stop now, if it must. */
    Optional<StopReason> stopReason();

    /** Why the machine cannot be snapshotted while this tool is attached, if it cannot. */
    Optional<String> snapshotRefusal();

    /** The tool's state now, for a snapshot (between runs): later changes must not alter it. */
    State saveState();

    /** Puts back a state {@link #saveState()} gave, when the machine is restored to that snapshot. */
    void restoreState(State state);
}
