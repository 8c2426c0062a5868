// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.harness;

import limu.emulator.ExitCodes;
import limu.emulator.StopReason;

/** Turns how a run stopped and what its serial output showed into a pass or a failure with a code. */
public final class Verdicts {
    static final int WRONG_EXIT = ExitCodes.TEST_WRONG_EXIT;
    static final int HALTED = ExitCodes.TEST_HALTED;
    static final int EXPECTATION = ExitCodes.TEST_EXPECTATION;
    static final int FAIL_PATTERN = ExitCodes.TEST_FAIL_PATTERN;

    private Verdicts() {
    }

    /**
     * The outcome of a run. {@code watch} may be null when the spec has no
     * output expectations. Without an active spec, the run's own exit code and message stand.
     */
    public static Verdict judge(StopReason reason, SerialWatch watch, TestSpec spec) {
        if (!spec.active()) {
            return new Verdict(reason.exitCode(), reason.exitCode() == 0, reason.message(), reason);
        }
        if (watch != null) {
            watch.finish();
            if (watch.failure() != null) {
                return fail(watch.failureCode(), watch.failure(), reason);
            }
            if (watch.passed()) {
                return new Verdict(0, true, "passed: every --expect matched", reason);
            }
        }
        boolean met = watch == null || watch.expectationsMet();
        String awaiting = watch == null ? "" : watch.awaited();
        if (reason instanceof StopReason.GuestExit exit) {
            int status = exit.exitCode();
            if (spec.successExitCode().isPresent() && status != spec.successExitCode().getAsInt()) {
                return fail(WRONG_EXIT, String.format("guest exit status %d, not the success status %d (%s)", status,
                        spec.successExitCode().getAsInt(), reason.message()), reason);
            }
            if (!met) {
                return fail(EXPECTATION, "guest exited (status " + status + ") before " + awaiting, reason);
            }
            return spec.successExitCode().isPresent()
                    ? new Verdict(0, true, "passed: guest exit status " + status, reason)
                    : new Verdict(status, status == 0, reason.message(), reason);
        }
        if (reason instanceof StopReason.Halted || reason instanceof StopReason.PowerOff) {
            if (spec.successExitCode().isPresent() && !spec.haltIsSuccess()) {
                return fail(HALTED, reason.message() + " without writing the isa-debug-exit port (success status "
                        + spec.successExitCode().getAsInt() + "; --halt-is-success accepts a halt)", reason);
            }
            if (!met) {
                return fail(EXPECTATION, reason.message() + " before " + awaiting, reason);
            }
            return new Verdict(0, true, "passed: " + reason.message(), reason);
        }
        String message = reason.message();
        if (!met && reason instanceof StopReason.Timeout) {
            message += "; still waiting for " + awaiting;
        }
        return fail(reason.exitCode(), message, reason);
    }

    private static Verdict fail(int code, String message, StopReason reason) {
        return new Verdict(code, false, "FAILED: " + message, reason);
    }

    /** A run's outcome: the process exit code, whether it passed, and the one line that says why. */
    public record Verdict(int exitCode, boolean passed, String message, StopReason reason) {
    }
}
