// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Whole-process timings for {@code limu bench}: a command started as its own process, its stdout
 * read line by line, from the moment before the process is spawned.
 */
final class ProcessTimings {
    /**
     * One process: when its first line matching the end pattern came (NaN: none), when its first line
     * matching the start pattern came (NaN: none or no start pattern), its last line (and that line's
     * text), its exit.
     */
    record Timing(double untilMatchMs, double fromMatchMs, double lastLineMs, String lastLine, double exitMs,
            int exitCode, List<String> stderr) {
        /** From the start pattern's line to the end pattern's line (NaN when either never came). */
        double betweenMs() {
            return untilMatchMs - fromMatchMs;
        }
    }

    private ProcessTimings() {
    }

    /**
     * limu's own command line as users start it: the clone's ./limu (no rebuild check) or the
     * distribution's bin/limu when this JVM runs from one of them, else java with this JVM's classpath.
     */
    static List<String> limuCommand() {
        String home = System.getProperty("limu.home");
        if (home != null) {
            for (String launcher : List.of("limu", "bin/limu")) {
                Path p = Path.of(home, launcher);
                if (Files.isRegularFile(p)) {
                    return List.of("bash", p.toString());
                }
            }
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        return List.of(java, "-Dlimu.home=" + (home == null ? "." : home), "-cp",
                System.getProperty("java.class.path"), Main.class.getName());
    }

    /**
     * Runs {@code command}; when {@code until} is not null the process is ended as soon as a line
     * matches it (then the exit time is that moment), else it runs to its end or {@code limit}.
     */
    static Timing time(List<String> command, Pattern until, Duration limit) throws IOException, InterruptedException {
        return time(command, null, until, limit);
    }

    /** As {@link #time(List, Pattern, Duration)}, noting also when the first line matching {@code from} came. */
    static Timing time(List<String> command, Pattern from, Pattern until, Duration limit)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("LIMU_NO_REBUILD", "1");
        Path errors = Files.createTempFile("limu-bench", ".err");
        pb.redirectError(errors.toFile());
        long t0 = System.nanoTime();
        Process p = pb.start();
        p.getOutputStream().close();
        double match = Double.NaN;
        double start = Double.NaN;
        double last = Double.NaN;
        String lastLine = "";
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            Thread killer = watchdog(p, limit);
            for (String line; (line = out.readLine()) != null; ) {
                last = ms(System.nanoTime() - t0);
                lastLine = line;
                if (from != null && Double.isNaN(start) && from.matcher(line).find()) {
                    start = last;
                }
                if (until != null && until.matcher(line).find()) {
                    match = last;
                    p.destroy();
                    break;
                }
            }
            killer.interrupt();
        }
        p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
        double exit = ms(System.nanoTime() - t0);
        int code = p.isAlive() ? -1 : p.exitValue();
        p.destroyForcibly();
        List<String> err = new ArrayList<>(Files.readAllLines(errors, StandardCharsets.UTF_8));
        Files.deleteIfExists(errors);
        return new Timing(match, start, last, lastLine, until != null && !Double.isNaN(match) ? match : exit, code, err);
    }

    /** Median of each {@code limu: timing} phase over the runs, in the order of the first run. */
    static Map<String, double[]> phases(List<Timing> runs) {
        Map<String, double[]> byName = new java.util.LinkedHashMap<>();
        for (int i = 0; i < runs.size(); i++) {
            for (String line : runs.get(i).stderr()) {
                int run = i;
                StartupTimings.parse(line).ifPresent(ph ->
                        byName.computeIfAbsent(ph.name(), k -> new double[runs.size()])[run] = ph.millis());
            }
        }
        return byName;
    }

    private static Thread watchdog(Process p, Duration limit) {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(limit.toMillis());
                p.destroyForcibly();
            } catch (InterruptedException done) {
                // the process ended first
            }
        }, "bench-watchdog");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
