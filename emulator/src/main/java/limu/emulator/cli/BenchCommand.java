// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import limu.bootloader.BootException;
import limu.emulator.ExitCodes;
import limu.emulator.Machine;
import limu.emulator.MachineConfig;
import limu.emulator.StopReason;
import limu.emulator.bench.EngineBench;
import limu.emulator.bench.PagingSpeed;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code limu bench}: prints boot latency, guest speed and port-write cost, with references measured in the same run. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure limu on the bundled kernels and print the figures, with their goals",
            "(no pass/fail):",
            "  - start-up: the hello kernel in a new process per run, started through",
            "    ./limu or bin/limu as users start it: process start to the first guest",
            "    instruction and to exit, and each start-up phase (run --timings)",
            "  - the chapter kernel (dev build) at 1 and 4 CPUs: process start to its",
            "    last serial line",
            "  - heap checking (heap-talc-release): --heap-check and --heap-check=deep",
            "    over unchecked, the default run as a whole process and a long run's",
            "    run phase with the cost per allocator call",
            "  - boot-to-exit inside a warm JVM",
            "  - guest instructions per second on the hello kernel's compute loop, dev",
            "    and release builds, next to a bare Unicorn loop",
            "  - limu's page walk against Unicorn's own MMU: the hello kernel's register",
            "    and stack loops, the chapter kernel's boot, a bare store loop on an",
            "    executable page",
            "  - one guest port write reaching a Java device; one exception delivered",
            "    through the guest's IDT and back with iretq",
            "  - the snapshot suite: 20 boots against one boot and 20 restores",
            "  - limu next to QEMU + SeaBIOS + Limine 9.x when qemu-system-x86_64 and",
            "    Limine's binaries are there (scripts/limine-binaries.sh): the compute",
            "    loop (dev, release) and the chapter kernel's boot on both (--no-qemu:",
            "    not; --qemu-only: only this)",
            "With --vs-qemu: only limu against qemu-system-x86_64 on one kernel, the same",
            "RAM and CPUs on both sides; the ISO is built from --kernel when not given."})
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--kernels", paramLabel = "DIR", defaultValue = "kernel-images/out",
            description = "where the built kernels are (default: ${DEFAULT-VALUE})")
    Path kernels;

    @Option(names = "--runs", defaultValue = "5", description = "repetitions of each timing (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--compute-iterations", defaultValue = "20000000",
            description = "iterations of the hello kernel's compute loop in the release build; the dev build"
                    + " runs a tenth of them (default: ${DEFAULT-VALUE})")
    long iterations;

    @Option(names = "--snapshot-only", description = "only the snapshot suite figure")
    boolean snapshotOnly;

    @Option(names = "--soak-restores", paramLabel = "N", description = "only this: boot the suite kernel once and"
            + " restore its snapshot N times, a line per restore (scripts/soak.sh watches the process meanwhile);"
            + " exit 0 when all passed, 28 otherwise")
    Integer soakRestores;

    @Option(names = "--quick", description = "3 runs each, a tenth of the compute loop, no 4-CPU boot,"
            + " no snapshot suite and no host-time-per-virtual-second figures")
    boolean quick;

    @Option(names = "--no-qemu", description = "leave out the side-by-side figures with QEMU")
    boolean noQemu;

    @Option(names = "--qemu-only", description = "only the side-by-side figures with QEMU")
    boolean qemuOnly;

    @Option(names = "--vs-qemu", arity = "0..1", fallbackValue = "", paramLabel = "KERNEL.iso",
            description = "only compare with QEMU: boot this ISO (Limine and the kernel; without a value, one"
            + " built now from --kernel and --cmdline with scripts/limine-iso.sh) in qemu-system-x86_64 (-M pc,"
            + " TCG) and --kernel in limu, each from process start to the first serial line matching --until")
    String qemuIso;

    @Option(names = "--kernel", paramLabel = "KERNEL.elf", description = "with --vs-qemu: the kernel ELF limu boots")
    Path qemuKernel;

    @Option(names = "--until", paramLabel = "REGEX", description = "with --vs-qemu: the serial line that ends a"
            + " run (Java regex, found anywhere in the line)")
    String until;

    @Option(names = "--firmware", paramLabel = "bios|uefi", defaultValue = "bios", description = "with --vs-qemu:"
            + " QEMU starts Limine from SeaBIOS (bios, default) or OVMF (uefi)")
    QemuMachine.Firmware firmware;

    @Option(names = "--ovmf", paramLabel = "OVMF.fd", description = "with --firmware uefi: the OVMF image"
            + " (default: the first of /usr/share/ovmf/OVMF.fd, /usr/share/OVMF/OVMF.fd, /usr/share/qemu/OVMF.fd)")
    Path ovmf;

    @Option(names = "--cmdline", paramLabel = "TEXT", description = "with --vs-qemu: the kernel's cmdline, for limu"
            + " and in the ISO built when --vs-qemu has no value")
    String cmdline;

    @Option(names = {"-m", "--memory"}, paramLabel = "SIZE", defaultValue = "256M", description = "with --vs-qemu:"
            + " guest RAM on both sides, as M or G (default: ${DEFAULT-VALUE})")
    String memory;

    @Option(names = "--cpus", paramLabel = "N", defaultValue = "1", description = "with --vs-qemu: CPUs on both"
            + " sides (default: ${DEFAULT-VALUE})")
    int cpus;

    /** The goals the start-up figures are printed next to. */
    static final double GOAL_WHOLE_PROCESS_MS = 150;
    static final double GOAL_FIRST_INSTRUCTION_MS = 100;

    @Override
    public Integer call() throws Exception {
        if (soakRestores != null) {
            Path suite = kernels.resolve("suite-release.elf");
            if (!Files.isRegularFile(suite)) {
                System.err.println("limu: " + suite + " not found: build the kernels with kernel-images/build.sh");
                return limu.emulator.ExitCodes.KERNEL_REJECTED;
            }
            return limu.emulator.bench.RestoreSoak.run(suite, soakRestores, System.out) == 0 ? 0
                    : limu.emulator.ExitCodes.TEST_SUITE_FAILED;
        }
        if (snapshotOnly) {
            snapshotSuite();
            return 0;
        }
        if (qemuIso != null) {
            return versusQemu();
        }
        Path hello = kernels.resolve("hello.elf");
        if (!Files.isRegularFile(hello)) {
            System.err.println("limu: " + hello + " not found: build the kernels with kernel-images/build.sh");
            return 4;
        }
        if (quick) {
            runs = Math.min(runs, 3);
            iterations /= 10;
        }
        if (qemuOnly) {
            new QemuComparison(kernels, runs, iterations).print();
            return 0;
        }
        System.out.printf("limu bench: %d runs each, kernels from %s; host load average %.1f on %d CPUs%n%n", runs,
                kernels, java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                Runtime.getRuntime().availableProcessors());
        startup(hello);
        seedBoot(kernels.resolve("chapter.elf"), 1);
        if (!quick) {
            seedBoot(kernels.resolve("chapter.elf"), 4);
        }
        heapCheckCost(kernels.resolve("heap-talc-release.elf"));
        warmBoot(hello);
        // the dev build runs about 12x more instructions per iteration: a tenth of the loop keeps it short
        computeSpeed(kernels.resolve("hello.elf"), "dev", iterations / 10);
        Path release = kernels.resolve("hello-release.elf");
        if (Files.isRegularFile(release)) {
            computeSpeed(release, "release", iterations);
        }
        if (noQemu) {
            System.out.println("limu next to QEMU: left out (--no-qemu)\n");
        } else {
            new QemuComparison(kernels, runs, iterations).print();
        }
        new PagingSpeed(kernels, runs, iterations).print();
        if (!quick) {
            virtualSeconds();
        }
        bareLoop();
        portWrites();
        exceptionDelivery();
        if (!quick) {
            snapshotSuite();
        }
        return 0;
    }

    /**
     * The hello kernel in a new process per run, started as users start limu, with {@code --timings}:
     * the whole process and the time to the first guest instruction next to their goals, then the
     * median of each phase.
     */
    private void startup(Path hello) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(ProcessTimings.limuCommand());
        cmd.addAll(List.of("run", hello.toString(), "--timings"));
        List<ProcessTimings.Timing> timings = new java.util.ArrayList<>();
        ProcessTimings.time(cmd, null, java.time.Duration.ofSeconds(60));      // makes the CDS archive if due
        for (int i = 0; i < runs; i++) {
            timings.add(ProcessTimings.time(cmd, null, java.time.Duration.ofSeconds(60)));
        }
        double[] whole = timings.stream().mapToDouble(ProcessTimings.Timing::exitMs).toArray();
        java.util.Map<String, double[]> phases = ProcessTimings.phases(timings);
        System.out.println("start-up: hello kernel, a new process per run (" + String.join(" ", cmd.subList(0,
                Math.min(2, cmd.size()))) + " ...)" + (timings.get(0).exitCode() == 33 ? "" : " -- hello did NOT pass: "
                + timings.get(0).exitCode()));
        double[] first = phases.getOrDefault("process start to first guest instruction", new double[0]);
        System.out.printf("  process start to exit               best %7.1f ms  median %7.1f ms   goal <= %.0f ms%n",
                min(whole), median(whole), GOAL_WHOLE_PROCESS_MS);
        if (first.length > 0) {
            System.out.printf("  process start to first instruction  best %7.1f ms  median %7.1f ms   goal <= %.0f ms%n",
                    min(first), median(first), GOAL_FIRST_INSTRUCTION_MS);
        }
        System.out.println("  phases (median ms):");
        phases.forEach((name, v) -> System.out.printf("    %-45s %8.1f%n", name, median(v)));
        System.out.println();
    }

    /** A boot as a user sees it: process start to the last line the kernel prints. */
    private void seedBoot(Path chapter, int cpus) throws IOException, InterruptedException {
        if (!Files.isRegularFile(chapter)) {
            System.out.println("boot: " + chapter + " not built, skipped\n");
            return;
        }
        List<String> cmd = new java.util.ArrayList<>(ProcessTimings.limuCommand());
        cmd.addAll(List.of("run", chapter.toString(), "--cpus", "" + cpus, "--timeout", "120s"));
        double[] last = new double[runs];
        double[] exit = new double[runs];
        for (int i = 0; i < runs; i++) {
            ProcessTimings.Timing t = ProcessTimings.time(cmd, null, java.time.Duration.ofSeconds(150));
            last[i] = t.lastLineMs();
            exit[i] = t.exitMs();
        }
        System.out.printf("boot: chapter kernel (dev build), %d CPU%s, process start to last serial line: best %.0f ms"
                + "  median %.0f ms (exit: median %.0f ms)%n%n", cpus, cpus == 1 ? "" : "s", min(last), median(last),
                median(exit));
    }

    /**
     * The heap-talc release kernel with each heap check over the same run unchecked, two ways: its default run
     * (20 rounds) as a whole process, what a user waits for, against the goals; and a long run (2,000 rounds,
     * 200 with --quick) by its run phase, with the checking's cost per allocator call.
     */
    private void heapCheckCost(Path kernel) throws IOException, InterruptedException {
        if (!Files.isRegularFile(kernel)) {
            System.out.println("heap checking: " + kernel + " not built, skipped\n");
            return;
        }
        System.out.println("heap checking (heap-talc-release), medians:");
        double[] whole = new double[3];
        double[] run = new double[3];
        long calls = 0;
        String rounds = "rounds=" + (quick ? 200 : 2000);
        String[][] modes = {{}, {"--heap-check"}, {"--heap-check=deep"}};
        for (int m = 0; m < modes.length; m++) {
            whole[m] = median(heapRuns(kernel, null, modes[m]).stream().mapToDouble(ProcessTimings.Timing::exitMs)
                    .toArray());
            List<ProcessTimings.Timing> longRuns = heapRuns(kernel, rounds, modes[m]);
            run[m] = median(ProcessTimings.phases(longRuns).getOrDefault("run", new double[] {Double.NaN}));
            if (m > 0) {
                calls = allocatorCalls(longRuns.get(0).stderr());
            }
        }
        System.out.printf("  default run, process start to exit: unchecked %.1f ms; --heap-check %.1f ms (%.2fx,"
                + " goal <= 1.3x); --heap-check=deep %.1f ms (%.2fx, goal <= 3x)%n", whole[0], whole[1],
                whole[1] / whole[0], whole[2], whole[2] / whole[0]);
        System.out.printf("  --cmdline %s, run phase: unchecked %.1f ms; --heap-check %.1f ms (%.2fx);"
                + " --heap-check=deep %.1f ms (%.2fx)%n", rounds, run[0], run[1], run[1] / run[0], run[2],
                run[2] / run[0]);
        if (calls > 0) {
            System.out.printf("    %,d allocator calls: %.1f us a call checked, %.1f us deep%n", calls,
                    (run[1] - run[0]) * 1000 / calls, (run[2] - run[0]) * 1000 / calls);
        }
        System.out.println();
    }

    private List<ProcessTimings.Timing> heapRuns(Path kernel, String cmdline, String... options)
            throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(ProcessTimings.limuCommand());
        cmd.addAll(List.of("run", kernel.toString(), "--timings", "--timeout", "120s"));
        if (cmdline != null) {
            cmd.addAll(List.of("--cmdline", cmdline));
        }
        cmd.addAll(List.of(options));
        List<ProcessTimings.Timing> timings = new java.util.ArrayList<>();
        for (int i = 0; i < runs; i++) {
            timings.add(ProcessTimings.time(cmd, null, java.time.Duration.ofSeconds(150)));
        }
        return timings;
    }

    /** The allocator calls of the heap summary line ({@code limu: heap: N alloc, N alloc_zeroed, ...}), 0 if none. */
    static long allocatorCalls(List<String> stderr) {
        java.util.regex.Pattern summary = java.util.regex.Pattern.compile(
                "^limu: heap: (\\d+) alloc, (\\d+) alloc_zeroed, (\\d+) realloc, (\\d+) dealloc calls");
        for (String line : stderr) {
            java.util.regex.Matcher m = summary.matcher(line);
            if (m.find()) {
                long n = 0;
                for (int g = 1; g <= 4; g++) {
                    n += Long.parseLong(m.group(g));
                }
                return n;
            }
        }
        return 0;
    }

    /**
     * QEMU (SeaBIOS or OVMF, Limine from the ISO) against limu (the ELF), the same RAM and CPUs, each
     * from process start to the first serial line matching --until; limu's figures alone when QEMU,
     * OVMF or Limine's binaries are missing.
     */
    private int versusQemu() throws IOException, InterruptedException {
        if (qemuKernel == null || until == null) {
            System.err.println("limu: --vs-qemu needs --kernel KERNEL.elf and --until REGEX");
            return ExitCodes.USAGE;
        }
        if (!memory.matches("[1-9][0-9]*[MG]")) {
            System.err.println("limu: --memory " + memory + ": give it as a whole number of M or G, e.g. 256M");
            return ExitCodes.USAGE;
        }
        if (cpus < 1 || cpus > 64) {
            System.err.println("limu: --cpus " + cpus + ": 1 to 64");
            return ExitCodes.USAGE;
        }
        java.util.regex.Pattern line;
        try {
            line = java.util.regex.Pattern.compile(until);
        } catch (java.util.regex.PatternSyntaxException e) {
            System.err.println("limu: --until: not a regular expression: " + e.getDescription());
            return ExitCodes.USAGE;
        }
        if (!Files.isRegularFile(qemuKernel)) {
            System.err.println("limu: --kernel " + qemuKernel + ": no such file");
            return ExitCodes.KERNEL_REJECTED;
        }
        if (!qemuIso.isEmpty() && !Files.isRegularFile(Path.of(qemuIso))) {
            System.err.println("limu: --vs-qemu " + qemuIso + ": no such file");
            return ExitCodes.KERNEL_REJECTED;
        }
        java.time.Duration limit = java.time.Duration.ofSeconds(120);
        List<String> limu = new java.util.ArrayList<>(ProcessTimings.limuCommand());
        limu.addAll(List.of("run", qemuKernel.toString(), "--memory", memory, "--cpus", "" + cpus, "--timeout", "120s"));
        if (cmdline != null) {
            limu.addAll(List.of("--cmdline", cmdline));
        }
        double[] ours = untilLine(limu, line, limit);
        System.out.printf("limu  %s, %s, %d CPU%s: process start to first line matching /%s/: %s%n", qemuKernel,
                memory, cpus, cpus == 1 ? "" : "s", until, QemuComparison.figures(ours));
        java.util.Optional<Path> qemu = QemuMachine.qemu();
        if (qemu.isEmpty()) {
            System.out.println("qemu-system-x86_64 is not on PATH: no QEMU figures (limu's alone above)");
            return 0;
        }
        Path ovmfImage = null;
        if (firmware == QemuMachine.Firmware.uefi) {
            java.util.Optional<Path> found = QemuMachine.ovmf(ovmf);
            if (found.isEmpty()) {
                System.out.println((ovmf != null ? "--ovmf " + ovmf + ": no such file" : "no OVMF image in "
                        + QemuMachine.OVMF_PLACES + " (Debian: apt-get install ovmf; or give --ovmf PATH)")
                        + ": no QEMU figures (limu's alone above)");
                return 0;
            }
            ovmfImage = found.get();
        }
        Path iso;
        Path built = null;
        if (qemuIso.isEmpty()) {
            QemuMachine.Limine limine = QemuMachine.limine();
            if (!limine.found()) {
                System.out.println("no ISO given and none can be built: " + limine.problem()
                        + "\nno QEMU figures (limu's alone above)");
                return 0;
            }
            built = Files.createTempFile("limu-vs-qemu", ".iso");
            iso = QemuMachine.buildIso(qemuKernel, cmdline, built);
        } else {
            iso = Path.of(qemuIso);
            if (cmdline != null) {
                System.out.println("(--cmdline goes to limu only: the ISO's limine.conf gives QEMU's)");
            }
        }
        try {
            double[] theirs = untilLine(QemuMachine.command(qemu.get(), iso, firmware, ovmfImage, memory, cpus), line,
                    limit);
            System.out.printf("qemu  %s (%s, %s), %s, %d CPU%s: process start to first line matching /%s/: %s%n",
                    qemuIso.isEmpty() ? "ISO built from " + qemuKernel : iso, QemuMachine.qemuVersion(qemu.get()),
                    firmware == QemuMachine.Firmware.bios ? "SeaBIOS" : "OVMF " + ovmfImage, memory, cpus,
                    cpus == 1 ? "" : "s", until, QemuComparison.figures(theirs));
            System.out.printf("limu / qemu: best %.2f, median %.2f%n", QemuComparison.min(ours) / QemuComparison.min(theirs),
                    QemuComparison.median(ours) / QemuComparison.median(theirs));
        } finally {
            if (built != null) {
                Files.deleteIfExists(built);
            }
        }
        return 0;
    }

    private double[] untilLine(List<String> cmd, java.util.regex.Pattern line, java.time.Duration limit)
            throws IOException, InterruptedException {
        double[] t = new double[runs];
        for (int i = 0; i < runs; i++) {
            t[i] = ProcessTimings.time(cmd, line, limit).untilMatchMs();
        }
        return t;
    }

    /**
     * Snapshots: the suite kernel's 20 tests run as 20 full boots, then as one boot to the
     * snapshot marker and 20 restores (the boot counted in); prints both and the ratio.
     */
    private void snapshotSuite() throws Exception {
        Path suite = kernels.resolve("suite-release.elf");
        if (!Files.isRegularFile(suite)) {
            System.out.println("\nsnapshot suite: " + suite + " not built, skipped");
            return;
        }
        int tests = 20;
        MachineConfig config = limu.emulator.harness.KernelRun.testConfig(java.time.Duration.ofSeconds(120))
                .memoryBytes(64L << 20).build();
        limu.emulator.harness.TestSpec spec = limu.emulator.harness.TestSpec.NONE.withSuccessExitCode(33);
        limu.emulator.harness.SharedBoot.runFresh(suite, config, spec, "0\n");   // warm-up
        long t0 = System.nanoTime();
        int passed = 0;
        for (int i = 0; i < tests; i++) {
            passed += limu.emulator.harness.SharedBoot.runFresh(suite, config, spec, i + "\n").passed() ? 1 : 0;
        }
        double boots = (System.nanoTime() - t0) / 1e6;
        long t1 = System.nanoTime();
        double restoreOnly;
        long rewritten = 0;
        try (limu.emulator.harness.SharedBoot shared = limu.emulator.harness.SharedBoot.boot(suite, config, spec)) {
            long t2 = System.nanoTime();
            for (int i = 0; i < tests; i++) {
                passed += shared.restoreAndRun(i + "\n").passed() ? 1 : 0;
            }
            restoreOnly = (System.nanoTime() - t2) / 1e6 / tests;
        }
        double snap = (System.nanoTime() - t1) / 1e6;
        System.out.printf("%nsnapshot suite (suite kernel, %d tests, 64 MiB RAM, %d/%d passed):%n", tests, passed,
                2 * tests);
        System.out.printf("  %d full boots %.0f ms; one boot + snapshot + %d restores %.0f ms (%.1f ms per"
                + " restore+test) -> %.1fx faster%n", tests, boots, tests, snap, restoreOnly, boots / snap);
    }

    /** Boot and run inside this JVM, after a warm-up: the cost of the machine itself. */
    private void warmBoot(Path hello) throws IOException, BootException {
        byte[] elf = Files.readAllBytes(hello);
        double[] t = new double[runs];
        for (int i = -1; i < runs; i++) {
            long t0 = System.nanoTime();
            try (Machine m = Machine.boot(MachineConfig.defaults(OutputStream.nullOutputStream()), elf, "hello.elf")) {
                m.run();
            }
            if (i >= 0) {
                t[i] = ms(System.nanoTime() - t0);
            }
        }
        System.out.printf("hello kernel, boot to exit in a warm JVM: median %.2f ms  min %.2f ms%n%n", median(t), min(t));
    }

    /** Instructions counted in one run (with the counting hook), time taken in another (without it). */
    private void computeSpeed(Path kernel, String profile, long iterations) throws IOException, BootException {
        byte[] elf = Files.readAllBytes(kernel);
        MachineConfig base = MachineConfig.builder(OutputStream.nullOutputStream()).cmdline("compute " + iterations)
                .build();
        long instructions;
        try (Machine m = Machine.boot(base.toBuilder().countInstructions(true).build(), elf, kernel.toString())) {
            StopReason r = m.run();
            if (!(r instanceof StopReason.GuestExit)) {
                System.out.println("  compute run ended unexpectedly: " + r.message());
                return;
            }
            instructions = m.instructions();
        }
        double[] t = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            try (Machine m = Machine.boot(base, elf, kernel.toString())) {
                m.run();
            }
            t[i] = ms(System.nanoTime() - t0);
        }
        double med = median(t);
        System.out.printf("hello compute loop (%s build, %,d iterations): %,d guest instructions%n", profile,
                iterations, instructions);
        System.out.printf("  boot+run median %.1f ms -> %,.0f million instructions/s%n%n", med,
                instructions / med / 1000.0);
    }

    /**
     * Host time per virtual second: idle (the acpi-x2apic kernel sleeping in hlt
     * between 1 kHz local APIC timer interrupts) and busy (the hello compute loop).
     */
    private void virtualSeconds() throws IOException, BootException {
        System.out.println("host time per virtual second (virtual time: 4 ns per translation block):");
        Path idle = kernels.resolve("acpi-x2apic-release.elf");
        if (Files.isRegularFile(idle)) {
            perVirtualSecond(idle, "", "idle, 1 kHz LAPIC timer, hlt between interrupts");
        }
        Path busy = kernels.resolve("hello-release.elf");
        if (Files.isRegularFile(busy)) {
            perVirtualSecond(busy, "compute " + iterations, "busy, compute loop, no interrupts");
        }
        System.out.println();
    }

    private void perVirtualSecond(Path kernel, String cmdline, String what) throws IOException, BootException {
        byte[] elf = Files.readAllBytes(kernel);
        double[] ratio = new double[runs];
        long virtual = 0;
        for (int i = 0; i < runs; i++) {
            try (Machine m = Machine.boot(MachineConfig.builder(OutputStream.nullOutputStream()).cmdline(cmdline)
                    .build(), elf, kernel.toString())) {
                long t0 = System.nanoTime();
                m.run();
                long host = System.nanoTime() - t0;
                virtual = m.virtualNanos();
                ratio[i] = host / (double) virtual * 1000.0;      // host ms per virtual second
            }
        }
        System.out.printf("  %-48s %8.1f ms host per virtual second (run covers %.3f virtual s)%n", what + ":",
                median(ratio), virtual / 1e9);
    }

    /** Reference: the same engine with no machine around it, `dec ecx; jnz` 100 M times. */
    private void bareLoop() {
        int loops = 100_000_000;
        double med = new EngineBench(runs).bareLoop(loops);
        System.out.printf("reference: bare Unicorn engine, `dec ecx; jnz` x %,d: median %.1f ms -> %,.0f million"
                + " instructions/s%n%n", loops, med, (2L * loops + 2) / med / 1000.0);
    }

    /** A guest loop of OUTs to a Java device, against the same loop of OUTs that the shim alone handles. */
    private void portWrites() {
        EngineBench.Comparison c = new EngineBench(runs).portWrites(2_000_000);
        System.out.printf("guest OUT reaching a Java device through the JNI shim (%,d writes, device saw %,d):%n",
                c.count(), c.seen());
        System.out.printf("  loop with OUT %.1f ms, same loop with NOP %.1f ms -> %.1f ns per port write%n",
                c.withMs(), c.withoutMs(), c.nanosEach());
    }

    /** An int3 delivered through the guest's IDT and back with iretq, against the same loop with NOPs. */
    private void exceptionDelivery() {
        EngineBench.Comparison c = new EngineBench(runs).exceptionDelivery(100_000);
        System.out.printf("%nexception delivered through the guest IDT and back with iretq (%,d int3, %,d delivered in the last run):%n",
                c.count(), c.seen());
        System.out.printf("  loop with INT3 %.1f ms, same loop with NOP %.1f ms -> %.2f us per exception%n",
                c.withMs(), c.withoutMs(), c.nanosEach() / 1e3);
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    private static double median(double[] v) {
        return EngineBench.median(v);
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }
}
