// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import limu.emulator.ExitCodes;
import limu.emulator.replay.RecordingReader;
import limu.emulator.replay.ReplayPlan;
import limu.emulator.replay.RunRecording;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code limu replay FILE}: the run {@code limu run --record FILE} recorded, again, with its input from the file. */
@Command(name = "replay", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Replay a run recorded with 'limu run --record FILE'.",
            "The same kernel (its SHA-256 checked), options and date, and every serial",
            "byte and key at the loop turn it arrived in, so the guest does exactly what it",
            "did. Serial output goes to stdout; no input is read. At the end the output's",
            "SHA-256, the blocks and instructions executed and the exit code are compared",
            "with the recording. Exit code: the recorded run's when the replay matches; 34",
            "when it diverges (the message says what and where: loop turn, virtual time,",
            "CPU); 2 when FILE is not a readable recording; 4 when the kernel cannot be",
            "read. With --gdb, reverse execution reaches back over the whole replay (see",
            "--gdb-history)."})
public final class ReplayCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "the recording")
    Path file;

    @Option(names = "--kernel", paramLabel = "PATH",
            description = "the kernel file, when it is no longer where the recording says (its SHA-256 must match)")
    Path kernel;

    @Option(names = "--gdb", arity = "0..1", fallbackValue = "1234", paramLabel = "PORT",
            description = "serve gdb's remote protocol on 127.0.0.1:PORT (default 1234), as limu run --gdb")
    Integer gdbPort;

    @Option(names = "--gdb-listen", paramLabel = "ADDR:PORT", description = "serve gdb on this address instead")
    String gdbListen;

    @Option(names = "--gdb-wait", description = "with --gdb: stop before the kernel's first instruction until gdb"
            + " continues")
    boolean gdbWait;

    @Option(names = "--gdb-history", paramLabel = "SIZE",
            description = "with --gdb: memory the reverse-debugging history may hold (default 1G); 0: none")
    String gdbHistory;

    @Option(names = "--gdb-history-interval", paramLabel = "TIME",
            description = "with --gdb: virtual time between the history's snapshots (default 10ms)")
    String gdbHistoryInterval;

    @Option(names = "--timeout", paramLabel = "DURATION",
            description = "stop with exit code 10 after this much wall-clock time (a safety net: not compared)")
    String timeout;

    @Option(names = {"-v", "--verbose"}, description = "print the boot plan, and the options replayed")
    boolean verbose;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        RecordingReader.Result read;
        try {
            read = RecordingReader.read(file);
        } catch (RecordingReader.Corrupt e) {
            err.println("limu: replay: " + e.getMessage());
            return ExitCodes.USAGE;
        } catch (IOException e) {
            err.println("limu: replay: " + file + ": cannot read: " + e.getMessage());
            return ExitCodes.USAGE;
        }
        read.warning().ifPresent(w -> err.println("limu: replay: warning: " + w));
        RunRecording r = read.recording();
        RunRecording.Header h = r.header();
        String version = VersionReport.buildProperties().getProperty("version", "unknown");
        if (!version.equals(h.limuVersion())) {
            err.println("limu: replay: warning: recorded by limu " + h.limuVersion() + ", replayed by " + version);
        }
        if (r.end().isEmpty()) {
            err.println("limu: replay: warning: the recording has no end (the recording limu did not finish): its "
                    + r.events().size() + " input(s) are replayed, the end is not compared");
        }
        Path k = kernel != null ? kernel : Path.of(h.kernel().path());
        String mismatch = hashMismatch("kernel", k, h.kernel().sha256());
        if (mismatch == null) {
            for (RunRecording.FileHash m : h.modules()) {
                mismatch = hashMismatch("module", Path.of(m.path()), m.sha256());
                if (mismatch != null) {
                    break;
                }
            }
        }
        if (mismatch != null) {
            err.println("limu: replay diverged before it started: " + mismatch);
            return mismatch.contains("cannot read") ? ExitCodes.KERNEL_REJECTED : ExitCodes.REPLAY_DIVERGED;
        }
        List<String> args = new ArrayList<>();
        args.add(k.toString());
        args.addAll(h.args());
        args.add("--date=" + h.dateSeconds());
        if (gdbPort != null) {
            args.add("--gdb=" + gdbPort);
        }
        add(args, "--gdb-listen", gdbListen);
        if (gdbWait) {
            args.add("--gdb-wait");
        }
        add(args, "--gdb-history", gdbHistory);
        add(args, "--gdb-history-interval", gdbHistoryInterval);
        add(args, "--timeout", timeout);
        if (verbose) {
            args.add("--verbose");
            err.println("limu: replay: limu run " + String.join(" ", args));
        }
        err.flush();
        RunCommand run = new RunCommand();
        run.replay = new ReplayPlan(r);
        CommandLine cli = Main.configure(new CommandLine(run));
        cli.setErr(err);
        return cli.execute(args.toArray(String[]::new));
    }

    private static void add(List<String> args, String name, String value) {
        if (value != null) {
            args.add(name + "=" + value);
        }
    }

    /** Null when {@code path} has SHA-256 {@code expected}; else what differs. */
    private static String hashMismatch(String what, Path path, String expected) {
        String actual;
        try {
            actual = RecordAndReplay.sha256(path);
        } catch (IOException e) {
            return what + " " + path + ": cannot read it (" + e.getMessage() + "); give the recorded kernel with"
                    + " --kernel PATH";
        }
        return actual.equals(expected) ? null : String.format("%s %s has SHA-256 %s; the recorded run's had %s",
                what, path, actual, expected);
    }
}
