// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

/** Why one slice of execution ended; mirrors the STOP_* codes of limu_shim.c. */
public enum RunExit {
    /** The engine returned by itself: after a HLT, or a stop nobody asked for. */
    RETURNED,
    /** The slice's block budget ran out. */
    BUDGET,
    /** A port write asked the machine to stop. */
    PORT_STOP,
    /** An exception or software interrupt; {@link Slice#vector()} says which. */
    INTERRUPT,
    /** An invalid instruction (#UD). */
    INVALID_OPCODE,
    /** An access to guest-physical memory that nothing backs. */
    UNMAPPED,
    /** {@link Engine#requestStop()} was called. */
    REQUESTED,
    /** A debugger breakpoint, before the instruction at {@link Slice#address()} ran. */
    BREAKPOINT,
    /**
     * A debugger watchpoint: the previous instruction accessed it. {@link Slice#address()} is the
     * watchpoint's index in the order {@link Engine#setWatchpoints} got them; {@link Slice#access()} says how.
     */
    WATCHPOINT,
    /** {@link Engine#step()} executed its one instruction. */
    STEPPED,
    /** An interrupt was marked pending and RFLAGS.IF now lets it in (past any STI shadow). */
    INTERRUPT_WINDOW,
    /** An observer of an {@link Engine#setAddressHook address hook} asked to stop, before the instruction at {@link Slice#address()}. */
    ADDRESS_HOOK,
    /** A CPU spinning with PAUSE gave the rest of its slice away ({@link Engine#setPauseYield}). */
    YIELDED,
    /** A re-executed slice reached its exact stop ({@link Engine#setReplay}). */
    TARGET;

    static RunExit ofCode(long code) {
        return switch ((int) code) {
            case 0 -> RETURNED;
            case 1 -> BUDGET;
            case 2 -> PORT_STOP;
            case 3 -> INTERRUPT;
            case 4 -> INVALID_OPCODE;
            case 5 -> UNMAPPED;
            case 6 -> REQUESTED;
            case 8 -> BREAKPOINT;
            case 9 -> WATCHPOINT;
            case 10 -> STEPPED;
            case 11 -> INTERRUPT_WINDOW;
            case 12 -> ADDRESS_HOOK;
            case 13 -> YIELDED;
            case 15 -> TARGET;
            default -> throw new IllegalStateException("shim stop code " + code);
        };
    }
}
