// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cli;

import java.nio.file.Path;
import java.time.Duration;
import limu.emulator.Durations;
import picocli.CommandLine.Option;

/** {@code --profile} and {@code --profile-interval} of {@code limu run}. */
public final class ProfileOptions {
    @Option(names = "--profile", paramLabel = "FILE",
            description = "sample every CPU's call stack at a fixed interval of virtual time; write folded stacks"
                    + " (flamegraph.pl, speedscope), or a flame graph when FILE ends in .svg")
    Path file;

    @Option(names = "--profile-interval", paramLabel = "DURATION", defaultValue = "100us",
            description = "virtual time between two samples, e.g. 100us, 1ms, 500ns (default: ${DEFAULT-VALUE})")
    String interval;

    boolean enabled() {
        return file != null;
    }

    Duration interval() {
        return Durations.parse(interval);
    }
}
