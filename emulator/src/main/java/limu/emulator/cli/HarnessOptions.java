// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.PatternSyntaxException;
import limu.emulator.Machine;
import limu.emulator.StopReason;
import limu.emulator.harness.ExpectFile;
import limu.emulator.harness.JUnitXml;
import limu.emulator.harness.SerialWatch;
import limu.emulator.harness.TestSpec;
import limu.emulator.harness.Verdicts;
import picocli.CommandLine.Option;

/** The options that make a run a test: how it must end and what its serial output must show. */
public final class HarnessOptions {
    @Option(names = "--success-exit-code", paramLabel = "N",
            description = "the guest exit status that means success (e.g. 33: isa-debug-exit 0x10); it exits 0,"
                    + " any other end exits non-zero (see the exit codes)")
    Integer successExitCode;

    @Option(names = "--halt-is-success",
            description = "with --success-exit-code: a clean halt or power-off without the exit port passes too")
    boolean haltIsSuccess;

    @Option(names = "--expect", paramLabel = "REGEX",
            description = "a serial line must match REGEX (repeatable: in this order); with only --expect, the run"
                    + " stops and passes once all have matched")
    List<String> expect = new ArrayList<>();

    @Option(names = "--expect-file", paramLabel = "FILE",
            description = "the serial output must match FILE line by line; placeholders {hex} {num} {any},"
                    + " a line {...} skips lines")
    Path expectFile;

    @Option(names = "--fail-on", paramLabel = "REGEX",
            description = "fail and stop as soon as a serial line matches REGEX (repeatable), e.g. 'panicked at'")
    List<String> failOn = new ArrayList<>();

    @Option(names = "--junit-xml", paramLabel = "FILE", description = "write the outcome as a JUnit XML report")
    Path junitXml;

    private TestSpec spec;
    private SerialWatch watch;

    /** The spec these options describe; IllegalArgumentException for a bad regex or an unreadable file. */
    TestSpec spec() {
        if (spec == null) {
            TestSpec s = TestSpec.NONE.withHaltIsSuccess(haltIsSuccess);
            try {
                if (successExitCode != null) {
                    s = s.withSuccessExitCode(successExitCode);
                }
                for (String r : expect) {
                    s = s.withExpect(r);
                }
                for (String r : failOn) {
                    s = s.withFailOn(r);
                }
                if (expectFile != null) {
                    s = s.withExpectFile(ExpectFile.read(expectFile));
                }
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("bad regex '" + e.getPattern() + "': " + e.getDescription());
            } catch (IOException e) {
                throw new IllegalArgumentException("--expect-file " + expectFile + ": cannot read: " + e);
            }
            spec = s;
        }
        return spec;
    }

    /** True when these options change how the run is judged or reported. */
    boolean active() {
        return spec().active() || junitXml != null;
    }

    /** Taps COM1's output when it is to be judged or reported. */
    OutputStream tap(OutputStream serial) {
        if (!active()) {
            return serial;
        }
        watch = new SerialWatch(serial, spec());
        return watch;
    }

    /** The machine stops as soon as the output decides the outcome. */
    void watch(Machine machine) {
        if (watch != null) {
            watch.onDecided(machine::requestStop);
        }
    }

    /** The verdict on a finished run; writes the JUnit report when asked. */
    Verdicts.Verdict judge(StopReason reason, Path kernel, double seconds, PrintWriter err) {
        Verdicts.Verdict v = Verdicts.judge(reason, watch, spec());
        if (junitXml != null) {
            String name = kernel.getFileName().toString();
            try {
                JUnitXml.write(junitXml, "limu", List.of(new JUnitXml.Case(name, "limu.run", seconds, v,
                        watch == null ? "" : watch.log())));
            } catch (IOException e) {
                err.println("limu: --junit-xml " + junitXml + ": " + e.getMessage());
            }
        }
        return v;
    }
}
