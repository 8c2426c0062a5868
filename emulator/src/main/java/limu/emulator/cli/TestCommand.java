// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import limu.bootloader.BootException;
import limu.bootloader.FramebufferSize;
import limu.emulator.Durations;
import limu.emulator.ExitCodes;
import limu.emulator.MachineConfig;
import limu.emulator.Sizes;
import limu.emulator.coverage.LineCoverage;
import limu.emulator.harness.JUnitXml;
import limu.emulator.harness.KernelRun;
import limu.emulator.harness.Recording;
import limu.emulator.harness.Shard;
import limu.emulator.harness.TestSpec;
import limu.emulator.harness.Verdicts;
import limu.emulator.heap.HeapOptions;
import limu.emulator.unicorn.UnicornException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code limu test KERNEL...}: runs many kernels, in parallel, each judged as
 * {@code limu run} with the same test options judges it; one line per kernel
 * as it finishes, a summary, each one's serial log kept, a JUnit XML report.
 */
@Command(name = "test", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run kernels as tests, in parallel: one line per kernel, a summary, serial logs kept per test.",
            "Exit 0 when every kernel passed, 28 when one failed (each kernel's own code is on its line)."})
public final class TestCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "KERNEL", arity = "1..*", description = "kernel ELF files (e.g. dir/*.elf)")
    List<Path> kernels;

    @Mixin
    HarnessOptions harness = new HarnessOptions();

    @Mixin
    CoverageOptions coverage = new CoverageOptions();

    /** Every kernel's coverage so far, merged (under its own lock: kernels finish on pool threads). */
    private LineCoverage mergedCoverage = LineCoverage.empty();

    @Option(names = {"-j", "--jobs"}, paramLabel = "N", description = "kernels run at once (default: the host's CPUs)")
    Integer jobs;

    @Option(names = "--shard", paramLabel = "INDEX/COUNT",
            description = {"run only shard INDEX (from 0) of COUNT: the kernels whose file name's CRC-32 mod COUNT"
                    + " is INDEX, so COUNT machines running the same command with INDEX 0..COUNT-1 run every kernel"
                    + " exactly once; without it, Bazel's TEST_SHARD_INDEX and TEST_TOTAL_SHARDS (and"
                    + " TEST_SHARD_STATUS_FILE is touched)"})
    String shardOption;

    @Option(names = "--log-dir", paramLabel = "DIR", defaultValue = "limu-test-logs",
            description = "each kernel's serial output goes to DIR/NAME.log (default: ${DEFAULT-VALUE})")
    Path logDir;

    @Option(names = {"-m", "--memory"}, paramLabel = "SIZE", defaultValue = "256M", description = "guest RAM")
    String memory;

    @Option(names = "--cpus", paramLabel = "N", defaultValue = "1", description = "CPUs per machine")
    int cpus;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s",
            description = "wall-clock limit per kernel (default: ${DEFAULT-VALUE})")
    String timeout;

    @Option(names = "--date", paramLabel = "UNIX-SECONDS", defaultValue = "1767225600",
            description = "date at boot (default: ${DEFAULT-VALUE}, 2026-01-01T00:00:00Z, the same every run)")
    long date;

    @Option(names = "--cmdline", paramLabel = "TEXT", defaultValue = "", description = "the executable cmdline")
    String cmdline;

    @Option(names = "--framebuffer", paramLabel = "WxH|none", defaultValue = "1280x800", description = "framebuffer")
    String framebufferSize;

    @Mixin
    BootChoices boot = new BootChoices();

    @Option(names = "--heap-check", arity = "0..1", parameterConsumer = HeapCheckCli.ModeConsumer.class,
            paramLabel = "MODE",
            description = {"check each kernel's global allocator as limu run --heap-check does (MODE: on, deep,"
                    + " strict): a violation stops that kernel and fails it with exit code 18; the JUnit XML"
                    + " failure carries the violation's line as its message and the whole report as its text"})
    String heapCheck;

    @Option(names = "--heap-report-dir", paramLabel = "DIR",
            description = "with --heap-check: each kernel's heap summary and violations as JSON in DIR/NAME.json")
    Path heapReportDir;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        MachineConfig config;
        TestSpec test;
        Recording recording;
        Optional<HeapOptions.Mode> heapMode;
        Shard shard;
        try {
            shard = Shard.choose(Optional.ofNullable(shardOption), System.getenv());
            test = harness.spec();
            if (heapCheck == null && heapReportDir != null) {
                throw new IllegalArgumentException("--heap-report-dir needs --heap-check");
            }
            heapMode = Optional.ofNullable(heapCheck).map(HeapCheckCli::mode);
            if (heapReportDir != null) {
                Files.createDirectories(heapReportDir);
            }
            recording = coverage.enabled() ? Recording.NONE.withCoverage(coverage.paths()) : Recording.NONE;
            config = boot.applyTo(KernelRun.testConfig(Durations.parse(timeout)).memoryBytes(Sizes.parse(memory))
                    .cpus(cpus).bootEpochSeconds(date).cmdline(cmdline)
                    .framebuffer(framebufferSize.equals("none") ? Optional.empty()
                            : Optional.of(FramebufferSize.parse(framebufferSize)))).build();
            Files.createDirectories(logDir);
        } catch (IllegalArgumentException e) {
            err.println("limu: " + e.getMessage());
            return ExitCodes.USAGE;
        } catch (IOException e) {
            err.println("limu: --log-dir " + logDir + " or --heap-report-dir " + heapReportDir + ": "
                    + e.getMessage());
            return ExitCodes.USAGE;
        }
        int n = jobs != null ? Math.max(1, jobs) : Runtime.getRuntime().availableProcessors();
        List<Path> selected = shard.select(kernels);
        if (!shard.isAll()) {
            out.printf(Locale.ROOT, "limu test: shard %s: %d of %d kernels%n", shard, selected.size(), kernels.size());
            out.flush();
        }
        long t0 = System.nanoTime();
        List<JUnitXml.Case> cases = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(n, selected.size())), r -> {
            Thread t = new Thread(r, "limu-test");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<JUnitXml.Case>> futures = new ArrayList<>();
            for (Path k : selected) {
                futures.add(pool.submit(() -> {
                    JUnitXml.Case c = runOne(k, config, test, recording, heapMode);
                    if (harness.junitXml == null) {
                        c = c.withoutSerialLog();   // it is in the log file: a long run keeps only the verdicts
                    }
                    synchronized (out) {
                        Verdicts.Verdict v = c.verdict();
                        out.printf(Locale.ROOT, "%s %-40s %6.2fs  %s%n", v.passed() ? "PASS" : "FAIL", c.name(),
                                c.seconds(), v.passed() ? v.message() : "exit " + v.exitCode() + ": " + v.message());
                        out.flush();
                    }
                    return c;
                }));
            }
            for (Future<JUnitXml.Case> f : futures) {
                cases.add(f.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCodes.INTERRUPTED;
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
        long failed = cases.stream().filter(c -> !c.verdict().passed()).count();
        out.printf(Locale.ROOT, "limu test: %d passed, %d failed, %d kernels in %.2fs (%d at a time); logs in %s%n",
                cases.size() - failed, failed, cases.size(), (System.nanoTime() - t0) / 1e9, n, logDir);
        out.flush();
        if (coverage.enabled()) {
            try {
                mergedCoverage.write(coverage.file, "limu_test");
            } catch (IOException e) {
                err.println("limu: --coverage " + coverage.file + ": " + e.getMessage());
            }
        }
        if (harness.junitXml != null) {
            try {
                JUnitXml.write(harness.junitXml, "limu test", cases);
            } catch (IOException e) {
                err.println("limu: --junit-xml " + harness.junitXml + ": " + e.getMessage());
            }
        }
        return failed == 0 ? 0 : ExitCodes.TEST_SUITE_FAILED;
    }

    private JUnitXml.Case runOne(Path kernel, MachineConfig config, TestSpec test, Recording recording,
                                 Optional<HeapOptions.Mode> heap)
            throws IOException {
        String name = kernel.toString();
        String file = kernel.getFileName().toString();
        long t0 = System.nanoTime();
        JUnitXml.Case c;
        Optional<HeapOptions> heapOptions = heap.map(m -> new HeapOptions(m, false,
                Optional.ofNullable(heapReportDir).map(d -> d.resolve(file.replaceAll("\\.elf$", "") + ".json")),
                Optional.empty()));
        try {
            KernelRun r = KernelRun.run(kernel, config, test, heapOptions, false, m -> { }, recording);
            r.recorded().coverage().ifPresent(this::mergeCoverage);
            c = new JUnitXml.Case(name, "limu.test." + file.replaceAll("\\.elf$", ""), r.wallSeconds(), r.verdict(),
                    r.serial());
        } catch (BootException e) {
            c = rejected(name, file, t0, ExitCodes.KERNEL_REJECTED, e.getMessage());
        } catch (UnicornException | UnsatisfiedLinkError e) {
            c = rejected(name, file, t0, ExitCodes.ENGINE_UNAVAILABLE, e.getMessage());
        }
        Files.writeString(logDir.resolve(file.replaceAll("\\.elf$", "") + ".log"), c.serialLog(),
                StandardCharsets.UTF_8);
        return c;
    }

    private synchronized void mergeCoverage(LineCoverage c) {
        mergedCoverage = mergedCoverage.merge(c);
    }

    private static JUnitXml.Case rejected(String name, String file, long t0, int code, String message) {
        return new JUnitXml.Case(name, "limu.test." + file, (System.nanoTime() - t0) / 1e9,
                new Verdicts.Verdict(code, false, "FAILED: " + message, null), "");
    }
}
