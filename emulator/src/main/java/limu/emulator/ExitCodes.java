// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

/**
 * The exit codes of {@code limu run}, as documented in the README. limu's own
 * codes are even so that they never collide with a guest's isa-debug-exit
 * status, which QEMU makes odd: {@code (value << 1) | 1}.
 */
public final class ExitCodes {
    /** Every CPU halted (the usual {@code hlt} loop at the end of a kernel). */
    public static final int HALTED = 0;
    /** The command line was wrong (unknown option, bad size or duration). */
    public static final int USAGE = 2;
    /** The kernel file was rejected: missing, not an ELF64 x86_64 executable, bad layout, boot protocol error. */
    public static final int KERNEL_REJECTED = 4;
    /** limu could not start its engine: libunicorn missing or too old, native shim not built. */
    public static final int ENGINE_UNAVAILABLE = 6;
    /**
     * The guest crashed: an exception it cannot handle (delivery through its IDT
     * failed up to a triple fault, reported with the exception chain), an access
     * to unbacked physical memory.
     */
    public static final int GUEST_CRASH = 8;
    /** The run reached its --timeout. */
    public static final int TIMEOUT = 10;
    /** limu itself failed (a bug: please report it with the message). */
    public static final int INTERNAL_ERROR = 12;
    /** The guest asked for a reset (8042 pulse, ACPI reset): limu stops instead of rebooting. */
    public static final int RESET = 16;
    /** Stopped from outside (Ctrl-C). */
    public static final int INTERRUPTED = 14;
    /** With --display window: the user closed the window while the machine ran. */
    public static final int WINDOW_CLOSED = 30;
    /** The serial console's Ctrl-A x stopped the machine (QEMU's quit key). */
    public static final int CONSOLE_QUIT = 32;
    /** With --heap-check: the kernel's allocator was used wrongly (double free, overlap, ...); see limu.emulator.heap. */
    public static final int HEAP_VIOLATION = 18;

    /** With --success-exit-code: the guest wrote another status to the isa-debug-exit port. */
    public static final int TEST_WRONG_EXIT = 20;
    /** With --success-exit-code (and no --halt-is-success): the guest halted or powered off without an exit. */
    public static final int TEST_HALTED = 22;
    /** An --expect never matched, or the serial output left (or fell short of) the --expect-file. */
    public static final int TEST_EXPECTATION = 24;
    /** A serial line matched a --fail-on pattern. */
    public static final int TEST_FAIL_PATTERN = 26;

    /** {@code limu test}: at least one kernel failed (each one's own code is in its line and the report). */
    public static final int TEST_SUITE_FAILED = 28;

    /**
     * {@code limu replay}: the replay did not do what the recorded run did (another kernel or module file, an input
     * due where the replay is elsewhere, another end); the message says what and where.
     */
    public static final int REPLAY_DIVERGED = 34;

    private ExitCodes() {
    }
}
