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
    REQUESTED;

    static RunExit ofCode(long code) {
        return switch ((int) code) {
            case 0 -> RETURNED;
            case 1 -> BUDGET;
            case 2 -> PORT_STOP;
            case 3 -> INTERRUPT;
            case 4 -> INVALID_OPCODE;
            case 5 -> UNMAPPED;
            case 6 -> REQUESTED;
            default -> throw new IllegalStateException("shim stop code " + code);
        };
    }
}
