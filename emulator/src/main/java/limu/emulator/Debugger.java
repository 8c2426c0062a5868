// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import limu.emulator.unicorn.Engine;
import limu.emulator.unicorn.MemoryAccess;
import limu.emulator.unicorn.Slice;

/**
 * A debugger attached to the run loop (the GDB stub, {@code limu.emulator.gdb}).
 * Every call comes on the run-loop thread, so the debugger may read and write
 * every CPU's registers and memory while it holds the call: the machine is
 * stopped until {@link #stopped} returns.
 */
public interface Debugger {
    /** No debugger: the run loop's plain path. */
    Debugger NONE = new Debugger() {
        @Override
        public boolean attached() {
            return false;
        }

        @Override
        public Resume stopped(Stop stop) {
            return Resume.CONTINUE;
        }
    };

    /** Why the machine stopped for the debugger, on which CPU. */
    record Stop(Kind kind, int cpu, long address, MemoryAccess access) {
        public enum Kind {
            /** Before the kernel's first instruction ({@code --gdb-wait}). */
            ENTRY,
            /** Before the instruction at {@code address}. */
            BREAKPOINT,
            /** After an access to the watchpoint numbered {@code address} (see {@link Engine#setWatchpoints}). */
            WATCHPOINT,
            /** A single step finished. */
            STEPPED,
            /** {@link Machine#requestDebugStop()}: Ctrl-C, or a client attaching. */
            INTERRUPTED,
            /** Going backwards reached the start of the recorded history ({@link TimeTravel}). */
            HISTORY_START
        }

        static Stop of(int cpu, Slice slice) {
            return switch (slice.exit()) {
                case BREAKPOINT -> new Stop(Kind.BREAKPOINT, cpu, slice.address(), MemoryAccess.NONE);
                case WATCHPOINT -> new Stop(Kind.WATCHPOINT, cpu, slice.address(), slice.access());
                default -> new Stop(Kind.STEPPED, cpu, 0, MemoryAccess.NONE);
            };
        }

        static Stop simple(Kind kind, int cpu) {
            return new Stop(kind, cpu, 0, MemoryAccess.NONE);
        }
    }

    /** How the machine goes on: every CPU runs, one CPU steps one instruction (the others wait), or the run ends. */
    record Resume(int stepCpu, boolean kill) {
        public static final Resume CONTINUE = new Resume(-1, false);
        public static final Resume KILL = new Resume(-1, true);

        public static Resume step(int cpu) {
            return new Resume(cpu, false);
        }
    }

    /** True while breakpoints and watchpoints must be honoured (a client is attached). */
    boolean attached();

    /** True to stop before the kernel's first instruction ({@code --gdb-wait}). */
    default boolean stopAtEntry() {
        return false;
    }

    /** The machine stopped for the debugger: serve the client until it resumes. */
    Resume stopped(Stop stop);
}
