// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import limu.bootloader.LoadedFile;
import limu.bootloader.ModuleFile;
import limu.emulator.ExitCodes;
import limu.emulator.Machine;
import limu.emulator.StopReason;
import limu.emulator.harness.Verdicts;
import limu.emulator.replay.OutputDigest;
import limu.emulator.replay.RecordingWriter;
import limu.emulator.replay.ReplayPlan;
import limu.emulator.replay.RunRecording;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code limu run}'s side of record and replay (docs/record-replay.md): with {@code --record}, the recording's
 * header when the machine is built, its inputs as they come, its end; under {@code limu replay}, the checks of the
 * files the kernel got and of the end against the recording. Either way COM1's output is digested.
 */
final class RecordAndReplay {
    /** {@code limu run} options about the host, gdb or the recording itself: a replay gives its own or none. */
    private static final Set<String> NOT_RECORDED = Set.of("--record", "--gdb", "--gdb-listen", "--gdb-wait",
            "--gdb-history", "--gdb-history-interval", "--timeout", "--serial", "--serial-input", "--display",
            "--screenshot", "--timings", "--verbose", "--unicorn-lib", "--date", "--help", "--version");

    private final Path record;
    private final ReplayPlan replay;
    private OutputDigest digest;

    /** {@code record}: --record's file, or null; {@code replay}: the recording replayed, or null. */
    RecordAndReplay(Path record, ReplayPlan replay) {
        this.record = record;
        this.replay = replay;
    }

    /** COM1's output, digested on its way. */
    OutputStream tap(OutputStream serial) {
        digest = new OutputDigest(serial);
        return digest;
    }

    static String sha256(Path file) throws IOException {
        return OutputDigest.of(Files.readAllBytes(file));
    }

    /** With --record: the recording's header written, every input from now on to follow; else null. */
    RecordingWriter startRecording(Machine machine, Path kernel, List<String> modules, long epoch,
            ParseResult options) {
        if (record == null) {
            return null;
        }
        try {
            var header = new RunRecording.Header(VersionReport.buildProperties().getProperty("version", "unknown"),
                    new RunRecording.FileHash(sha256(kernel), kernel.toAbsolutePath().toString()),
                    moduleHashes(modules), epoch, recordedArgs(options), loadedFiles(machine));
            var w = RecordingWriter.create(record, header);
            machine.recordInput(w::input);
            return w;
        } catch (IOException e) {
            throw new IllegalArgumentException("--record " + record + ": cannot write: " + e.getMessage());
        }
    }

    void finishRecording(RecordingWriter w, Machine machine, StopReason reason, Verdicts.Verdict verdict,
            PrintWriter err) {
        try (w) {
            w.end(new RunRecording.End(verdict.exitCode(), reason == null ? "None" : reason.getClass().getSimpleName(),
                    reason == null ? verdict.exitCode() : reason.exitCode(), machine.blocks(), machine.instructions(),
                    machine.loopTurns(), machine.virtualNanosSoFar(), digest.hex(), verdict.message()));
            err.println("limu: run recorded in " + record);
        } catch (IOException | UncheckedIOException e) {
            err.println("limu: --record: cannot write: " + e.getMessage());
        }
    }

    /** limu replay, before the run: null when the kernel got the files the recorded run's kernel got, else what differs. */
    String loadedMismatch(Machine machine) {
        List<RunRecording.FileHash> now = loadedFiles(machine);
        List<RunRecording.FileHash> then = replay.recording().header().loaded();
        if (now.equals(then)) {
            return null;
        }
        return "the kernel was handed " + describe(now) + "; the recorded run's kernel was handed " + describe(then);
    }

    /** limu replay: the run's end against the recorded one; 34 when they differ, else the run's own code. */
    int checkReplay(Machine machine, Verdicts.Verdict verdict, PrintWriter err) {
        var outcome = new ReplayPlan.Outcome(verdict.exitCode(), machine.blocks(), machine.instructions(),
                machine.loopTurns(), machine.virtualNanosSoFar(), digest.hex());
        if (machine.debuggerTurns() > 0) {
            // each cut adds a block and re-slices the rest: only the output and the exit code can still be the same
            List<String> differences = replay.differences(outcome).stream()
                    .filter(d -> !d.contains("blocks") && !d.contains("instructions")).toList();
            err.printf("limu: replay: the debugger cut %d slice(s) short, which shifts the run's blocks; %s%n",
                    machine.debuggerTurns(), differences.isEmpty() ? "the output and exit code are the recorded ones"
                            : "not as recorded: " + String.join("; ", differences));
            err.flush();
            return verdict.exitCode();
        }
        List<String> differences = replay.differences(outcome);
        if (!differences.isEmpty()) {
            err.println("limu: replay diverged: " + String.join("; ", differences));
            err.flush();
            return ExitCodes.REPLAY_DIVERGED;
        }
        err.printf("limu: replay: %s: %d input(s), %d blocks,%s %d bytes of output (SHA-256 %s)%n",
                replay.recording().end().isPresent() ? "the same run as recorded"
                        : "every input delivered as recorded (no recorded end to compare with)",
                replay.schedule().size(), outcome.blocks(),
                outcome.instructions() > 0 ? " " + outcome.instructions() + " instructions," : "", digest.bytes(),
                outcome.outputSha256());
        err.flush();
        return verdict.exitCode();
    }

    /** The options of this run that a replay must give again, as {@code --name=value} or {@code --name}. */
    private static List<String> recordedArgs(ParseResult options) {
        List<String> args = new ArrayList<>();
        for (OptionSpec o : options.matchedOptions()) {
            String name = o.longestName();
            if (NOT_RECORDED.contains(name)) {
                continue;
            }
            List<String> values = o.originalStringValues();
            if (o.arity().max() == 0 || values.isEmpty()) {
                args.add(name);
                continue;
            }
            for (String v : values) {
                if (name.equals("--module") || name.equals("--module-dir")) {
                    int comma = v.indexOf(',');
                    String path = comma < 0 ? v : v.substring(0, comma);
                    v = Path.of(path).toAbsolutePath() + (comma < 0 ? "" : v.substring(comma));
                }
                args.add(name + "=" + v);
            }
        }
        return args;
    }

    /** The files the kernel was handed besides itself, as placed in its memory: boot-volume path and SHA-256. */
    private static List<RunRecording.FileHash> loadedFiles(Machine machine) {
        List<RunRecording.FileHash> files = new ArrayList<>();
        for (LoadedFile f : machine.plan().files()) {
            if (!f.role().equals("executable")) {
                byte[] bytes = new byte[Math.toIntExact(f.size())];
                machine.memory().read(f.physicalAddress(), bytes, 0, bytes.length);
                files.add(new RunRecording.FileHash(OutputDigest.of(bytes), f.path()));
            }
        }
        return files;
    }

    private static String describe(List<RunRecording.FileHash> files) {
        return files.isEmpty() ? "no files" : String.join(", ", files.stream()
                .map(f -> f.path() + " (SHA-256 " + f.sha256() + ")").toList());
    }

    private static List<RunRecording.FileHash> moduleHashes(List<String> modules) throws IOException {
        List<RunRecording.FileHash> hashes = new ArrayList<>();
        for (String m : modules) {
            Path p = ModuleFile.parse(m).path();
            hashes.add(new RunRecording.FileHash(sha256(p), p.toAbsolutePath().toString()));
        }
        return hashes;
    }
}
