// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cli;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import limu.bootloader.BootException;
import limu.bootloader.BootPlan;
import limu.bootloader.FramebufferSize;
import limu.bootloader.MemoryMapEntry;
import limu.bootloader.ModuleFile;
import limu.emulator.Durations;
import limu.emulator.ExitCodes;
import limu.emulator.Machine;
import limu.emulator.MachineConfig;
import limu.emulator.Sizes;
import limu.emulator.StopReason;
import limu.emulator.coverage.LineCoverage;
import limu.emulator.harness.Recording;
import limu.emulator.unicorn.UnicornException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code limu run KERNEL}: boot one kernel, serial on stdout, and exit with a code that says how it ended. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Boot a Limine-protocol kernel ELF. Serial (COM1) goes to stdout and takes its input from",
            "stdin (see --serial); limu's own messages go to stderr, prefixed 'limu:'. See 'limu --help' for the exit",
            "codes."})
public final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "KERNEL", description = "the kernel ELF file")
    Path kernel;

    @Option(names = {"-m", "--memory"}, paramLabel = "SIZE", defaultValue = "256M",
            description = "guest RAM, e.g. 256M, 1G (default: ${DEFAULT-VALUE}; 32M at least)")
    String memory;

    @Option(names = "--cpus", paramLabel = "N", defaultValue = "1",
            description = "number of CPUs, 1 to 64 (default: ${DEFAULT-VALUE}); APs start when the kernel writes"
                    + " their goto_address, as with Limine's MP request")
    int cpus;

    @Option(names = "--framebuffer", paramLabel = "WxH|none", defaultValue = "1280x800",
            description = "the linear 32-bpp framebuffer's size, or none (default: ${DEFAULT-VALUE})")
    String framebufferSize;

    @Option(names = "--screenshot", paramLabel = "FILE.png",
            description = "write the framebuffer as a PNG when the run ends; while it runs, `kill -USR2 <pid>`"
                    + " writes FILE-1.png, FILE-2.png, ...")
    Path screenshot;

    @Option(names = "--display", paramLabel = "none|window", defaultValue = "none",
            description = "none: headless (default); window: show the framebuffer live in a desktop window whose"
                    + " keys reach the guest's PS/2 keyboard (IRQ 1); Ctrl+Alt+S writes a screenshot; closing the"
                    + " window stops the machine with exit code 30")
    String display;

    @Option(names = "--module", paramLabel = "PATH[,CMDLINE]",
            description = "hand this file to the kernel through the module request (repeatable)")
    List<String> modules = new ArrayList<>();

    @Option(names = "--device", paramLabel = "NAME[,KEY=VALUE...]",
            description = "attach a plug-in device found on the classpath (repeatable; `limu devices` lists them;"
                    + " add a device jar with LIMU_CLASSPATH=jar)")
    List<String> devices = new ArrayList<>();

    @Option(names = "--no-x2apic",
            description = "CPUs without an x2APIC: CPUID does not report it and the local APICs stay xAPIC")
    boolean noX2apic;

    @Option(names = "--time", paramLabel = "MODE", defaultValue = "virtual",
            description = "virtual: time follows executed guest work (4 ns a translation block; deterministic,"
                    + " a halted machine jumps to its next timer); wall: time follows the host clock"
                    + " (default: ${DEFAULT-VALUE})")
    String timeMode;

    @Option(names = "--timeout", paramLabel = "DURATION",
            description = "stop with exit code 10 after this much wall-clock time, e.g. 10s, 500ms, 2m")
    String timeout;

    @Option(names = "--cmdline", paramLabel = "TEXT", defaultValue = "",
            description = "the executable cmdline the kernel receives")
    String cmdline;

    @Option(names = "--serial", paramLabel = "stdio|file:PATH|tcp:[HOST]:PORT[,wait]", defaultValue = "stdio",
            description = {"COM1's other end. stdio (default): output on stdout, input from stdin (a terminal becomes"
                    + " a console in raw mode: Ctrl-A x quits with exit code 32, Ctrl-A h lists the keys; a pipe or"
                    + " file is read as the guest takes it). file:PATH (or a bare PATH): output to PATH, no input."
                    + " tcp:[HOST]:PORT: a server (loopback unless HOST) for one client, its bytes the input;"
                    + " ,wait starts the kernel once a client is connected"})
    String serialTo;

    @Option(names = "--serial-input", paramLabel = "FILE|-",
            description = "COM1's input from FILE (read as the guest takes it: the same file gives the same run) or"
                    + " - (stdin), instead of what --serial gives; bytes arrive as the UART's receive FIFO has room"
                    + " while the guest asserts RTS, so none is lost")
    String serialInput;

    @Option(names = "--debugcon", paramLabel = "FILE",
            description = "write port 0xE9 output to FILE (default: stdout, mixed with serial)")
    Path debugconFile;

    @Option(names = "--date", paramLabel = "WHEN",
            description = "the date at boot: UNIX seconds or an ISO-8601 instant (default: now)")
    String date;

    @Option(names = "--5-level-paging",
            description = "let a kernel that asks for 5-level paging have it (default: 4-level only)")
    boolean fiveLevel;

    @picocli.CommandLine.Mixin
    BootChoices boot = new BootChoices();

    @Option(names = "--unicorn-lib", paramLabel = "PATH",
            description = "use this libunicorn.so (2.1 or newer) instead of LIMU_UNICORN_LIB or limu's own copy")
    Path unicornLib;

    @Option(names = {"-v", "--verbose"}, description = "print the boot plan (base revision, requests, memory map)")
    boolean verbose;

    @Option(names = "--timings", description = "print the start-up phases and their times on stderr when the run"
            + " ends (process start to main, option parsing, Unicorn load, ELF parse + boot plan, machine set-up,"
            + " first guest instruction, run, exit)")
    boolean timings;

    @Option(names = "--gdb", arity = "0..1", fallbackValue = "1234", paramLabel = "PORT",
            description = "serve gdb's remote protocol on 127.0.0.1:PORT (default 1234): `target remote :PORT`;"
                    + " every CPU is a thread")
    Integer gdbPort;

    @Option(names = "--gdb-listen", paramLabel = "ADDR:PORT",
            description = "serve gdb on this address instead of loopback, e.g. 0.0.0.0:1234")
    String gdbListen;

    @Option(names = "--gdb-wait", description = "with --gdb: stop before the kernel's first instruction until gdb"
            + " attaches and continues (like QEMU's -s -S)")
    boolean gdbWait;

    @Option(names = "--gdb-history", paramLabel = "SIZE", defaultValue = "1G",
            description = "with --gdb: memory the reverse-debugging history may hold (snapshots and journal; default"
                    + " ${DEFAULT-VALUE}); past it the oldest snapshots go and history starts later; 0: no history")
    String gdbHistory;

    @Option(names = "--gdb-history-interval", paramLabel = "TIME", defaultValue = "10ms",
            description = "with --gdb: virtual time between the history's snapshots (default ${DEFAULT-VALUE})")
    String gdbHistoryInterval;

    @Option(names = "--count-instructions",
            description = "count every guest instruction (a per-instruction hook: slower); `monitor when` and a"
                    + " recording's end then give the instruction count, which a replay compares")
    boolean countInstructions;

    @Option(names = "--record", paramLabel = "FILE",
            description = "record the run into FILE for `limu replay`: the kernel's and modules' SHA-256, the options,"
                    + " the date, every serial byte and key delivered with its loop turn and virtual time, and how"
                    + " the run ended (needs --time virtual; not with --gdb)")
    Path record;

    @picocli.CommandLine.Mixin
    HarnessOptions harness = new HarnessOptions();

    @picocli.CommandLine.Mixin
    HeapCheckCli heap = new HeapCheckCli();

    @picocli.CommandLine.Mixin
    CoverageOptions coverage = new CoverageOptions();

    @picocli.CommandLine.Mixin
    ProfileOptions profile = new ProfileOptions();

    private limu.emulator.gdb.SerialTap serialTap;
    /** Set by {@code limu replay}: the recording whose input this run replays. */
    limu.emulator.replay.ReplayPlan replay;
    /** --record, or limu replay; null otherwise. */
    private RecordAndReplay recordOrReplay;
    /** The boot date the run uses (UNIX seconds). */
    private long epoch;
    private limu.emulator.console.SerialConsole console;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        StartupTimings phases = timings ? new StartupTimings(Main.enteredNanos, Main.enteredAt) : null;
        try {
            MachineConfig config;
            try {
                config = config(err);
            } catch (IllegalArgumentException e) {
                err.println("limu: " + e.getMessage());
                return ExitCodes.USAGE;
            } catch (IOException e) {
                err.println("limu: cannot open output: " + e.getMessage());
                return ExitCodes.USAGE;
            }
            if (phases == null) {
                return boot(config, err, null);
            }
            phases.parsed();
            int code = boot(config, err, phases);
            phases.print(err);
            return code;
        } finally {
            if (console != null) {
                console.close();   // the terminal is back as it was, whatever ended the run
            }
        }
    }

    private int boot(MachineConfig config, PrintWriter err, StartupTimings phases) {
        long started = System.nanoTime();
        try (Machine machine = Machine.boot(config, kernel)) {
            if (phases != null) {
                phases.booted(machine.bootTimes());
            }
            harness.watch(machine);
            heap.install(machine, err);
            Recording.Recorder recorder = recording().start(machine);
            limu.emulator.replay.RecordingWriter recordTo = recordOrReplay == null ? null
                    : recordOrReplay.startRecording(machine, kernel, modules, epoch,
                            spec.commandLine().getParseResult());
            if (replay != null) {
                String mismatch = recordOrReplay.loadedMismatch(machine);
                if (mismatch != null) {
                    err.println("limu: replay diverged before it started: " + mismatch);
                    err.flush();
                    return ExitCodes.REPLAY_DIVERGED;
                }
                machine.replayInput(replay.schedule());
            }
            if (verbose) {
                describe(machine.plan(), err);
            } else {
                // a kernel that unwraps a missing response panics quietly: say why up front
                machine.plan().ignoredRequests().stream().filter(r -> r.contains("not supported yet"))
                        .forEach(r -> err.println("limu: warning: left unanswered: " + r));
            }
            machine.plan().warnings().forEach(w -> err.println("limu: warning: " + w));
            limu.emulator.gdb.GdbServer gdb = startGdb(machine, err);
            StopReason reason = null;
            String diverged = null;
            sun.misc.SignalHandler previous = onCtrlC(machine);
            Screenshots shots = screenshot == null ? null : Screenshots.install(machine, screenshot, err);
            limu.emulator.display.DisplayWindow window = openWindow(machine, shots, err);
            try {
                console.attach(machine);
                if (phases != null) {
                    phases.runStarts();
                }
                reason = gdb == null ? machine.run() : machine.run(gdb);
                if (phases != null) {
                    phases.runEnded();
                }
            } catch (limu.emulator.ReplayDivergence e) {
                diverged = e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                reason = new StopReason.Interrupted();
            } finally {
                console.detach();
                if (gdb != null) {
                    gdb.finished(reason);   // null: the run failed; the client only loses its connection
                }
                restoreCtrlC(previous);
                if (shots != null) {
                    shots.uninstall();
                }
            }
            closeFiles(config);
            if (diverged != null) {
                err.println("limu: replay diverged: " + diverged);
                err.flush();
                return ExitCodes.REPLAY_DIVERGED;
            }
            if (shots != null) {
                shots.writeFinal();
            }
            var verdict = harness.judge(reason, kernel, (System.nanoTime() - started) / 1e9, err);
            if (console.quitRequested() && reason instanceof StopReason.Interrupted) {
                verdict = new limu.emulator.harness.Verdicts.Verdict(ExitCodes.CONSOLE_QUIT, false,
                        limu.emulator.console.SerialConsole.QUIT_MESSAGE, reason);
            }
            if (window != null) {
                verdict = windowVerdict(window, reason, verdict, err);
            }
            err.println("limu: " + verdict.message());
            if (reason instanceof StopReason.GuestCrash crash) {
                err.println(crash.report());
            } else if (reason instanceof StopReason.TripleFault fault) {
                err.println(fault.report());
            }
            heap.finish(reason, err);
            writeRecording(recorder.finish(), err);
            if (recordTo != null) {
                recordOrReplay.finishRecording(recordTo, machine, reason, verdict, err);
            }
            if (replay != null) {
                return recordOrReplay.checkReplay(machine, verdict, err);
            }
            err.flush();
            return verdict.exitCode();
        } catch (BootException e) {
            err.println("limu: " + e.getMessage());
            return ExitCodes.KERNEL_REJECTED;
        } catch (GdbUnavailable e) {
            err.println("limu: " + e.getMessage());
            return ExitCodes.USAGE;
        } catch (UnicornException e) {
            err.println("limu: " + e.getMessage());
            return ExitCodes.ENGINE_UNAVAILABLE;
        } catch (IllegalArgumentException e) {
            err.println("limu: " + e.getMessage());
            return ExitCodes.USAGE;
        } catch (UnsatisfiedLinkError e) {
            err.println("limu: native code unavailable: " + e.getMessage());
            return ExitCodes.ENGINE_UNAVAILABLE;
        }
    }

    /** The window of --display window, with Ctrl+Alt+S writing numbered screenshots; null when headless. */
    private limu.emulator.display.DisplayWindow openWindow(Machine machine, Screenshots shots, PrintWriter err) {
        if (!display.equals("window")) {
            return null;
        }
        Screenshots keyShots = shots != null ? shots
                : Screenshots.onRequest(machine, Path.of("limu-screenshot.png"), err);
        try {
            limu.emulator.display.DisplayWindow w = limu.emulator.display.DisplayWindow.open(machine,
                    kernel.getFileName().toString(), keyShots::writeNumbered);
            machine.acceptKeys(true);
            return w;
        } catch (limu.emulator.display.DisplayWindow.Unavailable e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    /**
     * The run with a window is over. Closed by the user while running: exit code 30. A guest that
     * halted or powered off stays on screen until the window is closed, like a PC left on; any
     * other end (exit port, crash, timeout, Ctrl-C) closes the window at once, as QEMU quits.
     */
    private limu.emulator.harness.Verdicts.Verdict windowVerdict(limu.emulator.display.DisplayWindow window, StopReason reason,
            limu.emulator.harness.Verdicts.Verdict verdict, PrintWriter err) {
        try {
            if (window.closedByUser() && reason instanceof StopReason.Interrupted) {
                return new limu.emulator.harness.Verdicts.Verdict(ExitCodes.WINDOW_CLOSED, false,
                        "display window closed: machine stopped", reason);
            }
            if (reason instanceof StopReason.Halted || reason instanceof StopReason.PowerOff) {
                window.stopped("stopped, exit code " + verdict.exitCode() + " (close the window to quit)");
                err.println("limu: " + verdict.message() + "; close the window to quit");
                err.flush();
                window.awaitClose();
            }
            return verdict;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return verdict;
        } finally {
            window.close();
        }
    }

    private Recording recording() {
        Recording r = Recording.NONE;
        if (coverage.enabled()) {
            r = r.withCoverage(coverage.paths());
        }
        return profile.enabled() ? r.withProfile(profile.interval()) : r;
    }

    private void writeRecording(Recording.Results results, PrintWriter err) {
        String name = kernel.getFileName().toString();
        try {
            if (results.coverage().isPresent()) {
                results.coverage().get().write(coverage.file, LineCoverage.testName(name));
                err.println("limu: coverage written to " + coverage.file);
            }
            if (results.profile().isPresent()) {
                results.profile().get().write(profile.file, name);
                err.println("limu: profile written to " + profile.file);
            }
        } catch (IOException e) {
            err.println("limu: cannot write: " + e.getMessage());
        }
    }

    /** The gdb port could not be opened. */
    private static final class GdbUnavailable extends RuntimeException {
        GdbUnavailable(String message) {
            super(message);
        }
    }

    /** The GDB stub when --gdb or --gdb-listen asked for one (loopback unless --gdb-listen says otherwise). */
    private limu.emulator.gdb.GdbServer startGdb(Machine machine, PrintWriter err) {
        if (gdbPort == null && gdbListen == null) {
            return null;
        }
        java.net.InetSocketAddress address;
        if (gdbListen != null) {
            int colon = gdbListen.lastIndexOf(':');
            address = new java.net.InetSocketAddress(gdbListen.substring(0, colon),
                    Integer.parseInt(gdbListen.substring(colon + 1)));
        } else {
            address = new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), gdbPort);
        }
        try {
            keepHistory(machine, err);
            limu.emulator.gdb.GdbServer g = limu.emulator.gdb.GdbServer.start(machine, address, gdbWait,
                    serialTap == null ? () -> "" : serialTap::text, cpu -> java.util.Optional.of(machine.describeLapic(cpu)), err);
            err.printf("limu: gdb: listening on %s:%d%s%n", address.getHostString(), g.port(),
                    gdbWait ? "; waiting for gdb before the kernel's first instruction" : "");
            err.flush();
            return g;
        } catch (IOException e) {
            throw new GdbUnavailable("--gdb: cannot listen on " + address + ": " + e.getMessage());
        }
    }

    /** The reverse-debugging history, unless --gdb-history 0 (or --time wall, which it cannot work with). */
    private void keepHistory(Machine machine, PrintWriter err) {
        long cap = Sizes.parse(gdbHistory);
        if (cap == 0) {
            return;
        }
        if (timeMode.equals("wall")) {
            err.println("limu: gdb: no reverse debugging with --time wall (re-execution needs virtual time)");
            return;
        }
        machine.keepHistory(cap, Durations.parse(gdbHistoryInterval).toNanos());
    }

    /** Ctrl-C ends the run through the run loop, so output is flushed and the exit code says so. */
    private static sun.misc.SignalHandler onCtrlC(Machine machine) {
        try {
            return sun.misc.Signal.handle(new sun.misc.Signal("INT"), sig -> machine.requestStop());
        } catch (IllegalArgumentException e) {
            return null; // no SIGINT here (the JVM was started with -Xrs): Ctrl-C kills as usual
        }
    }

    private static void restoreCtrlC(sun.misc.SignalHandler previous) {
        if (previous != null) {
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), previous);
        }
    }

    private MachineConfig config(PrintWriter err) throws IOException {
        long bytes = Sizes.parse(memory);
        Optional<FramebufferSize> display = framebufferSize.equals("none") ? Optional.empty()
                : Optional.of(FramebufferSize.parse(framebufferSize));
        if (screenshot != null && display.isEmpty()) {
            throw new IllegalArgumentException("--screenshot needs a framebuffer (not --framebuffer none)");
        }
        if (!this.display.equals("none") && !this.display.equals("window")) {
            throw new IllegalArgumentException("--display " + this.display + ": expected none or window");
        }
        if (this.display.equals("window")) {
            if (display.isEmpty()) {
                throw new IllegalArgumentException("--display window needs a framebuffer (not --framebuffer none)");
            }
            try {
                limu.emulator.display.DisplayWindow.checkAvailable();
            } catch (limu.emulator.display.DisplayWindow.Unavailable e) {
                throw new IllegalArgumentException(e.getMessage());
            }
        }
        List<ModuleFile> files = modules.stream().map(ModuleFile::parse).toList();
        if (!timeMode.equals("virtual") && !timeMode.equals("wall")) {
            throw new IllegalArgumentException("--time " + timeMode + ": expected virtual or wall");
        }
        Optional<Duration> limit = timeout == null ? Optional.empty() : Optional.of(Durations.parse(timeout));
        epoch = bootEpoch();
        if (record != null && (gdbPort != null || gdbListen != null)) {
            throw new IllegalArgumentException("--record cannot be used with --gdb: a debugger's stops and trips back"
                    + " in time change the run; record without gdb, then debug the replay (limu replay FILE --gdb)");
        }
        if (record != null && timeMode.equals("wall")) {
            throw new IllegalArgumentException("--record needs --time virtual: with wall time every clock the guest"
                    + " reads and every slice's length follow the host clock, which a recording does not hold");
        }
        if (gdbWait && gdbPort == null && gdbListen == null) {
            throw new IllegalArgumentException("--gdb-wait needs --gdb or --gdb-listen");
        }
        if (gdbPort != null && (gdbPort < 0 || gdbPort > 65535)) {
            throw new IllegalArgumentException("--gdb: port " + gdbPort + " is out of range");
        }
        if (gdbListen != null && !gdbListen.matches(".+:\\d{1,5}")) {
            throw new IllegalArgumentException("--gdb-listen: '" + gdbListen + "' is not ADDR:PORT");
        }
        Sizes.parse(gdbHistory);   // a bad size is a usage error
        if (Durations.parse(gdbHistoryInterval).isZero()) {
            throw new IllegalArgumentException("--gdb-history-interval must be more than 0");
        }
        MachineConfig.Builder b = MachineConfig.builder(System.out).memoryBytes(bytes).cpus(cpus).cmdline(cmdline)
                .bootEpochSeconds(epoch).fiveLevelPaging(fiveLevel).framebuffer(display).modules(files)
                // serial output is handed over at each line (and at least every few ms), so a terminal, a pipe,
                // a log file or a network client sees it as it comes
                .timeout(limit).flushEachLine(true)
                .unicornLibrary(Optional.ofNullable(unicornLib)).wallClock(timeMode.equals("wall")).countInstructions(countInstructions)
                .devices(devices.stream().map(MachineConfig.DeviceSpec::parse).toList()).x2apic(!noX2apic);
        boot.applyTo(b);
        b.cpus(cpus).build(); // validates before any output file is created
        console = replay != null ? limu.emulator.console.SerialConsole.outputOnly(System.out, err)
                : limu.emulator.console.SerialConsole.open(serialTo, serialInput, System.out, err, verbose);
        OutputStream serial = console.output();
        if (record != null || replay != null) {
            recordOrReplay = new RecordAndReplay(record, replay);
            serial = recordOrReplay.tap(serial);
        }
        if (gdbPort != null || gdbListen != null) {
            serial = serialTap = new limu.emulator.gdb.SerialTap(serial, 1 << 16);
        }
        OutputStream debugcon = debugconFile == null ? serial
                : new BufferedOutputStream(new FileOutputStream(debugconFile.toFile()));
        serial = harness.tap(serial);   // COM1 only: debugcon is not judged
        return b.serialOutput(serial).debugconOutput(debugcon).build();
    }

    private void closeFiles(MachineConfig config) {
        try {
            config.serialOutput().flush();   // the console closes its own file
            if (debugconFile != null) {
                config.debugconOutput().close();
            }
        } catch (IOException e) {
            spec.commandLine().getErr().println("limu: closing output: " + e.getMessage());
        }
    }

    private long bootEpoch() {
        if (date == null) {
            return Instant.now().getEpochSecond();
        }
        if (date.matches("-?\\d{1,12}")) {
            return Long.parseLong(date);
        }
        try {
            return Instant.parse(date).getEpochSecond();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("--date: '" + date + "' is neither UNIX seconds nor an ISO-8601 instant"
                    + " such as 2026-01-01T00:00:00Z");
        }
    }

    static void describe(BootPlan plan, PrintWriter err) {
        err.printf("limu: base revision %d requested, %d used (%s); %d-level paging; HHDM at 0x%x%n",
                plan.requestedBaseRevision(), plan.baseRevision(),
                plan.baseRevisionSupported() ? "supported" : "NOT supported", plan.pagingLevels(), plan.hhdmOffset());
        err.printf("limu: kernel at physical 0x%x, virtual 0x%x, entry 0x%x%n", plan.kernelPhysicalBase(),
                plan.kernelVirtualBase(), plan.bsp().rip());
        if (plan.kernelRelocatable()) {
            err.printf("limu: kernel is position-independent: slid by 0x%x from its link addresses, %d relocations"
                    + " applied%n", plan.kernelSlide(), plan.relocations());
        }
        err.println("limu: requests answered: "
                + (plan.answeredRequests().isEmpty() ? "(none)" : String.join(", ", plan.answeredRequests())));
        if (!plan.ignoredRequests().isEmpty()) {
            err.println("limu: requests left unanswered: " + String.join(", ", plan.ignoredRequests()));
        }
        for (MemoryMapEntry e : plan.memoryMap()) {
            err.printf("limu:   memmap 0x%016x-0x%016x %s%n", e.base(), e.base() + e.length(), e.type());
        }
        err.flush();
    }
}
