// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import java.time.Duration;

/** Why a machine stopped, with the process exit code and the one-line message the CLI prints. */
public sealed interface StopReason {
    int exitCode();

    String message();

    /** The guest wrote {@code value} to the isa-debug-exit port: QEMU's status {@code (value << 1) | 1}. */
    record GuestExit(int value, int status) implements StopReason {
        @Override
        public int exitCode() {
            return status & 0xff;
        }

        @Override
        public String message() {
            return String.format("guest wrote 0x%x to the isa-debug-exit port: exit status %d", value, status);
        }
    }

    /** Every CPU executed HLT and nothing can wake it. */
    record Halted(boolean interruptsEnabled) implements StopReason {
        @Override
        public int exitCode() {
            return ExitCodes.HALTED;
        }

        @Override
        public String message() {
            return interruptsEnabled
                    ? "all CPUs halted with interrupts enabled, and no device can raise one"
                    : "all CPUs halted with interrupts disabled";
        }
    }

    /** The guest powered the machine off (ACPI S5): a clean end, like a halt. */
    record PowerOff(String reason) implements StopReason {
        @Override
        public int exitCode() {
            return ExitCodes.HALTED;
        }

        @Override
        public String message() {
            return "guest powered off (" + reason + ")";
        }
    }

    /** The guest asked for a reset; limu stops instead of rebooting, like QEMU with -no-reboot. */
    record Reset(String reason) implements StopReason {
        @Override
        public int exitCode() {
            return ExitCodes.RESET;
        }

        @Override
        public String message() {
            return "guest requested a reset (" + reason + "); limu stops instead of rebooting";
        }
    }

    /** The run went past its wall-clock limit. */
    record Timeout(Duration limit, int cpu, long rip, String where) implements StopReason {
        @Override
        public int exitCode() {
            return ExitCodes.TIMEOUT;
        }

        @Override
        public String message() {
            return String.format("timeout after %s; CPU %d was at 0x%016x%s", Durations.format(limit), cpu, rip,
                    where);
        }
    }

    /** The guest did something it cannot recover from; {@code report} holds the details, several lines. */
    record GuestCrash(String summary, String report) implements StopReason {
        @Override
        public int exitCode() {
            return ExitCodes.GUEST_CRASH;
        }

        @Override
        public String message() {
            return summary;
        }
    }

    /**
     * An exception the guest could not handle, escalated as the CPU does (#DF,
     * then shutdown); like QEMU with {@code -no-reboot}, the machine stops.
     * Exit code 8, as every guest crash. {@code report}: the exception chain
     * and the registers at the first exception.
     */
    record TripleFault(String summary, String report) implements StopReason {
        @Override
        public int exitCode() {
            return ExitCodes.GUEST_CRASH;
        }

        @Override
        public String message() {
            return summary;
        }
    }

    /** {@code --heap-check} found a wrong allocation; {@code report}: the call, the block's history, a backtrace. */
    record HeapViolation(String summary, String report) implements StopReason {
        @Override
        public int exitCode() {
            return ExitCodes.HEAP_VIOLATION;
        }

        @Override
        public String message() {
            return summary;
        }
    }

    /** Stopped from outside (Ctrl-C, or the API's stop()). */
    /** The guest wrote {@code value} to the snapshot marker port and {@link Machine#runToMarker()} stopped there. */
    record Marker(int value) implements StopReason {
        @Override
        public int exitCode() {
            return ExitCodes.INTERRUPTED;
        }

        @Override
        public String message() {
            return String.format("guest wrote 0x%x to the snapshot marker port 0x%x", value,
                    Machine.SNAPSHOT_MARKER_PORT);
        }
    }

    record Interrupted() implements StopReason {
        @Override
        public int exitCode() {
            return ExitCodes.INTERRUPTED;
        }

        @Override
        public String message() {
            return "stopped by request";
        }
    }

    /**
     * {@code limu replay}: the machine has executed as many blocks as the recorded run had when it was stopped from
     * outside (Ctrl-C, a timeout, a closed window); it stops there too, with the recorded run's code.
     */
    record RecordingEnd(int exitCode, String recorded) implements StopReason {
        @Override
        public String message() {
            return "reached the end of the recording (the recorded run: " + recorded + ")";
        }
    }
}
