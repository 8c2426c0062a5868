// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.harness;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * What makes a run pass: the guest's exit status, the lines its serial output
 * must show (in order), a whole expected transcript, and lines that fail it.
 *
 * @param successExitCode the guest exit status (QEMU's {@code (value << 1) | 1}) that means success
 * @param haltIsSuccess with a success exit code: a clean halt (or ACPI power-off) without
 *                      writing the exit port also passes
 * @param expect regexes that must each find a match in a serial line, in this order
 * @param expectFile the serial output, line by line with placeholders
 * @param failOn regexes that fail the run as soon as a serial line matches one
 */
public record TestSpec(OptionalInt successExitCode, boolean haltIsSuccess, List<Pattern> expect,
                       Optional<ExpectFile> expectFile, List<Pattern> failOn) {
    public static final TestSpec NONE = new TestSpec(OptionalInt.empty(), false, List.of(), Optional.empty(), List.of());

    public TestSpec {
        expect = List.copyOf(expect);
        failOn = List.copyOf(failOn);
    }

    /** False when the run is judged as plain {@code limu run} judges it. */
    public boolean active() {
        return successExitCode.isPresent() || haltIsSuccess || !expect.isEmpty() || expectFile.isPresent()
                || !failOn.isEmpty();
    }

    /** The outcome is known once every --expect has matched: nothing else is waited for. */
    boolean passesOnExpectations() {
        return !expect.isEmpty() && successExitCode.isEmpty() && expectFile.isEmpty();
    }

    public TestSpec withSuccessExitCode(int status) {
        return new TestSpec(OptionalInt.of(status), haltIsSuccess, expect, expectFile, failOn);
    }

    public TestSpec withHaltIsSuccess(boolean v) {
        return new TestSpec(successExitCode, v, expect, expectFile, failOn);
    }

    public TestSpec withExpect(String regex) {
        List<Pattern> l = new java.util.ArrayList<>(expect);
        l.add(Pattern.compile(regex));
        return new TestSpec(successExitCode, haltIsSuccess, l, expectFile, failOn);
    }

    public TestSpec withExpectFile(ExpectFile file) {
        return new TestSpec(successExitCode, haltIsSuccess, expect, Optional.of(file), failOn);
    }

    public TestSpec withFailOn(String regex) {
        List<Pattern> l = new java.util.ArrayList<>(failOn);
        l.add(Pattern.compile(regex));
        return new TestSpec(successExitCode, haltIsSuccess, expect, expectFile, l);
    }
}
