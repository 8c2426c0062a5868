// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cli;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import limu.emulator.BootTimes;

/**
 * The start-up phases of one {@code limu run}, which {@code --timings} prints on stderr and
 * {@code limu bench} reads back: each line is {@code limu: timing NAME MILLISECONDS}.
 *
 * <p>The first phase starts when the launcher started: {@code ./limu} and {@code bin/limu} pass
 * their start time as {@code -Dlimu.launched=SECONDS.MICROS} (bash's {@code EPOCHREALTIME}, read
 * without starting a process); without it the phase starts at the process's start time as the
 * kernel records it, in clock ticks (10 ms).
 */
final class StartupTimings {
    static final String PREFIX = "limu: timing ";

    /** A phase and its length. */
    record Phase(String name, double millis) {
    }

    private final long mainNanos;
    private final long launchToMainNanos;
    private long parsedNanos;
    private long runStartNanos;
    private long runEndNanos;
    private BootTimes boot;

    StartupTimings(long mainNanos, Instant mainInstant) {
        this.mainNanos = mainNanos;
        this.launchToMainNanos = launched().map(t -> java.time.Duration.between(t, mainInstant).toNanos()).orElse(-1L);
    }

    void parsed() {
        parsedNanos = System.nanoTime();
    }

    void booted(BootTimes times) {
        boot = times;
    }

    void runStarts() {
        runStartNanos = System.nanoTime();
    }

    void runEnded() {
        runEndNanos = System.nanoTime();
    }

    /** The phases so far; the last one, exit, ends now. */
    List<Phase> phases() {
        long now = System.nanoTime();
        List<Phase> p = new ArrayList<>();
        if (launchToMainNanos >= 0) {
            p.add(new Phase("process start to main (launcher, JVM)", ms(launchToMainNanos)));
        }
        p.add(new Phase("option parsing", ms(parsedNanos - mainNanos)));
        if (boot != null) {
            p.add(new Phase("Unicorn load", ms(boot.unicornLoadNanos())));
            p.add(new Phase("ELF parse + boot plan", ms(boot.bootPlanNanos())));
            p.add(new Phase("machine set-up", ms(boot.machineSetupNanos())));
            long bootTotal = boot.unicornLoadNanos() + boot.bootPlanNanos() + boot.machineSetupNanos();
            // what is left between the end of parsing and the first slice: reading the ELF, gdb, signals
            p.add(new Phase("other set-up", ms(runStartNanos - parsedNanos - bootTotal)));
            p.add(new Phase("process start to first guest instruction",
                    ms(runStartNanos - mainNanos + Math.max(0, launchToMainNanos))));
            p.add(new Phase("run", ms(runEndNanos - runStartNanos)));
            p.add(new Phase("exit (verdict, reports, machine closed)", ms(now - runEndNanos)));
        }
        return p;
    }

    void print(PrintWriter err) {
        for (Phase phase : phases()) {
            err.println(PREFIX + phase.name() + " " + String.format(Locale.ROOT, "%.2f", phase.millis()));
        }
        err.flush();
    }

    /** Reads a line {@link #print} wrote; empty for any other line. */
    static Optional<Phase> parse(String line) {
        if (!line.startsWith(PREFIX)) {
            return Optional.empty();
        }
        String rest = line.substring(PREFIX.length());
        int space = rest.lastIndexOf(' ');
        try {
            return Optional.of(new Phase(rest.substring(0, space), Double.parseDouble(rest.substring(space + 1))));
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            return Optional.empty();
        }
    }

    private static Optional<Instant> launched() {
        String s = System.getProperty("limu.launched");
        if (s != null && !s.isBlank()) {
            // EPOCHREALTIME uses the locale's decimal separator
            String[] parts = s.strip().split("[.,]");
            try {
                long seconds = Long.parseLong(parts[0]);
                long micros = parts.length > 1 ? Long.parseLong((parts[1] + "000000").substring(0, 6)) : 0;
                return Optional.of(Instant.ofEpochSecond(seconds, micros * 1000));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
        return ProcessHandle.current().info().startInstant();
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
