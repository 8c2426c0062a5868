// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.harness;

import java.time.Duration;
import java.util.Optional;
import limu.emulator.Machine;
import limu.emulator.coverage.LineCoverage;
import limu.emulator.coverage.PathMap;
import limu.emulator.profile.Profile;
import limu.emulator.profile.StackSampler;

/**
 * What to record of a run besides its outcome: line coverage ({@code coverage}, source paths rewritten by
 * {@code paths}) and a profile sampled every {@code profileInterval} of virtual time.
 */
public record Recording(boolean coverage, PathMap paths, Optional<Duration> profileInterval) {
    /** The default profile interval: 100 virtual microseconds. */
    public static final Duration DEFAULT_PROFILE_INTERVAL = Duration.ofNanos(100_000);
    public static final Recording NONE = new Recording(false, PathMap.NONE, Optional.empty());

    public Recording {
        if (profileInterval.isPresent() && (profileInterval.get().isNegative() || profileInterval.get().isZero())) {
            throw new IllegalArgumentException("--profile-interval must be more than 0");
        }
    }

    public Recording withCoverage(PathMap map) {
        return new Recording(true, map, profileInterval);
    }

    public Recording withProfile(Duration interval) {
        return new Recording(coverage, paths, Optional.of(interval));
    }

    /** Turns recording on in {@code machine} (booted, not run yet); read the results with {@link Recorder#finish}. */
    public Recorder start(Machine machine) {
        if (coverage) {
            machine.recordExecutedBlocks();
        }
        StackSampler sampler = profileInterval.map(i -> new StackSampler(machine.plan().kernel(), i.toNanos()))
                .orElse(null);
        if (sampler != null) {
            machine.sample(sampler);
        }
        return new Recorder(machine, sampler);
    }

    /** A recording under way in one machine. */
    public final class Recorder {
        private final Machine machine;
        private final StackSampler sampler;

        private Recorder(Machine machine, StackSampler sampler) {
            this.machine = machine;
            this.sampler = sampler;
        }

        /** The results, after the run and before the machine is closed. */
        public Results finish() {
            Optional<LineCoverage> lines = coverage
                    ? Optional.of(LineCoverage.of(machine.plan().kernel(), machine.executedBlocks(), paths))
                    : Optional.empty();
            return new Results(lines, Optional.ofNullable(sampler).map(StackSampler::profile));
        }
    }

    /** What a run recorded: each present when it was asked for. */
    public record Results(Optional<LineCoverage> coverage, Optional<Profile> profile) {
        public static final Results NONE = new Results(Optional.empty(), Optional.empty());
    }
}
