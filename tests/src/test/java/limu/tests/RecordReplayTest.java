// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code limu run --record} and {@code limu replay} with the serial-echo kernel, its input typed into a pipe while
 * it runs (each line once the echo of the one before came back): the replay, with no input at all, prints the same
 * bytes, executes the same blocks and exits as the recorded run did; another kernel, a changed input, a corrupt
 * file are each reported; gdb on a replay goes back across the recorded inputs.
 */
class RecordReplayTest {
    @TempDir
    Path dir;

    /** A process whose stdout is collected as it comes, and its stderr by {@code errReader}. */
    private record Running(Process process, ByteArrayOutputStream out, StringBuffer err, Thread errReader) {
        String stdout() {
            synchronized (out) {
                return out.toString(StandardCharsets.ISO_8859_1);
            }
        }

        void await(String text) throws InterruptedException {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!stdout().contains(text)) {
                if (System.nanoTime() > until || !process.isAlive()) {
                    fail("no '" + text + "' on stdout:\n" + stdout() + "\n--- stderr ---\n" + err);
                }
                Thread.sleep(10);
            }
        }

        Limu.Result finish() throws InterruptedException {
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("limu did not finish\n" + stdout());
            }
            errReader.join(5_000);
            return new Limu.Result(process.exitValue(), stdout(), err.toString(), 0);
        }
    }

    /** limu with these arguments, as a user starts it, its stdin open. */
    private static Running start(String... args) throws IOException {
        Process p = limu(args).start();
        StringBuffer err = new StringBuffer();
        return collectingStdout(p, err, GdbSessions.collect(p.getErrorStream(), err));
    }

    private static ProcessBuilder limu(String... args) {
        ProcessBuilder pb = new ProcessBuilder(Limu.command("", args)).directory(Limu.HOME.toFile());
        pb.environment().remove("LIMU_UNICORN_LIB");
        return pb;
    }

    /** Starts collecting the stdout of {@code p}, whose stderr {@code errReader} collects into {@code err}. */
    private static Running collectingStdout(Process p, StringBuffer err, Thread errReader) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread t = new Thread(() -> {
            byte[] b = new byte[4096];
            try (InputStream in = p.getInputStream()) {
                for (int n; (n = in.read(b)) > 0; ) {
                    synchronized (out) {
                        out.write(b, 0, n);
                    }
                }
            } catch (IOException e) {
                // the process is gone: what came is kept
            }
        });
        t.setDaemon(true);
        t.start();
        return new Running(p, out, err, errReader);
    }

    private static final String ECHO = "serial-echo.elf";

    /** Records serial-echo while "hello", "second line" and "quit" are typed one after the other into its stdin. */
    private Limu.Result recordTyping(Path recording, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("run", Limu.kernel(ECHO).toString(), "--record",
                recording.toString(), "--timeout", "60s"));
        args.addAll(List.of(extra));
        Running r = start(args.toArray(String[]::new));
        try (OutputStream stdin = r.process().getOutputStream()) {
            r.await("serial-echo: ready\n");
            for (String line : List.of("hello\n", "second line\r\n", "quit\n")) {
                stdin.write(line.getBytes(StandardCharsets.US_ASCII));
                stdin.flush();
                if (!line.startsWith("quit")) {
                    r.await(line);   // echoed: the guest waits in hlt for the next input
                }
            }
        }
        return r.finish();
    }

    private static long recordedBlocks(Path recording) throws IOException {
        Matcher m = Pattern.compile("(?m)^end .* blocks=(\\d+) ").matcher(Files.readString(recording));
        assertTrue(m.find(), "an end line in the recording");
        return Long.parseLong(m.group(1));
    }

    private static List<String> inputLines(Path recording) throws IOException {
        return Files.readAllLines(recording).stream().filter(l -> l.startsWith("in ")).toList();
    }

    @Test
    void aReplayWithoutInputPrintsTheRecordedBytesAndExecutesTheRecordedBlocks() throws Exception {
        Path rec = dir.resolve("echo.rec");
        Limu.Result recorded = recordTyping(rec);
        assertEquals(33, recorded.exitCode(), recorded.toString());
        assertTrue(recorded.stdout().contains("hello\nsecond line\r\nquit\n"), recorded.stdout());
        List<String> inputs = inputLines(rec);
        assertEquals(3, inputs.size(), "one input per line typed, each at its own loop turn:\n" + inputs);
        assertTrue(inputs.get(0).endsWith(" 68656c6c6f0a -"), inputs.get(0));   // "hello\n", no keys
        long blocks = recordedBlocks(rec);

        Limu.Result replayed = Limu.run("replay", rec.toString());   // stdin closed: no input but the recording's
        assertEquals(33, replayed.exitCode(), replayed.toString());
        assertArrayEquals(recorded.stdout().getBytes(StandardCharsets.ISO_8859_1),
                replayed.stdout().getBytes(StandardCharsets.ISO_8859_1), "byte-identical serial output");
        assertTrue(replayed.stderr().contains("limu: replay: the same run as recorded: 3 input(s), " + blocks
                + " blocks, " + recorded.stdout().length() + " bytes of output"), replayed.stderr());
        replayed.assertNoStackTrace();
    }

    @Test
    void anotherKernelAChangedInputOrAChangedTimeIsADivergenceWithWhereItHappened() throws Exception {
        Path rec = dir.resolve("echo.rec");
        assertEquals(33, recordTyping(rec).exitCode());
        String text = Files.readString(rec);

        Limu.Result other = Limu.run("replay", rec.toString(), "--kernel", Limu.kernel("serial-echo-release.elf")
                .toString());
        assertEquals(34, other.exitCode(), other.toString());
        assertTrue(other.stderr().contains("limu: replay diverged before it started: kernel ")
                && other.stderr().contains("serial-echo-release.elf has SHA-256 ")
                && other.stderr().contains("; the recorded run's had "), other.stderr());
        assertEquals("", other.stdout());

        // the first input arrives 4 ns later than the replay gets to its loop turn
        String first = inputLines(rec).get(0);
        String[] w = first.split(" ");
        Path late = dir.resolve("late.rec");
        Files.writeString(late, text.replace(first, "in " + w[1] + " " + (Long.parseLong(w[2]) + 4) + " " + w[3] + " "
                + w[4]));
        Limu.Result shifted = Limu.run("replay", late.toString());
        assertEquals(34, shifted.exitCode(), shifted.toString());
        assertTrue(shifted.stderr().contains("limu: replay diverged: the input recorded at loop turn " + w[1]
                + ", virtual time " + (Long.parseLong(w[2]) + 4) + " ns, is due while the replay is at virtual time "
                + w[2] + " ns (CPU 0 next)"), shifted.stderr());

        // "hello" becomes "hellp": the guest takes it as it took the other, but prints something else
        Path changed = dir.resolve("changed.rec");
        Files.writeString(changed, text.replace(" 68656c6c6f0a ", " 68656c6c700a "));
        Limu.Result differs = Limu.run("replay", changed.toString());
        assertEquals(34, differs.exitCode(), differs.toString());
        assertTrue(differs.stdout().contains("hellp\n"), differs.stdout());
        assertTrue(differs.stderr().contains("limu: replay diverged: the serial output differs (SHA-256 "),
                differs.stderr());
        differs.assertNoStackTrace();
    }

    @Test
    void aCorruptOrTruncatedRecordingIsNamedWithItsLineAndARecordingCutOffAtItsEndStillReplays() throws Exception {
        Path rec = dir.resolve("echo.rec");
        Limu.Result recorded = recordTyping(rec);
        byte[] bytes = Files.readAllBytes(rec);
        String text = new String(bytes, StandardCharsets.US_ASCII);

        Path header = dir.resolve("header.rec");
        Files.writeString(header, text.substring(0, text.indexOf("start\n")));
        Limu.Result r = Limu.run("replay", header.toString());
        assertEquals(2, r.exitCode(), r.toString());
        assertEquals("limu: replay: " + header + ": the recording ends inside its header (no 'start' line)\n",
                r.stderr());

        Path bad = dir.resolve("bad.rec");
        Files.writeString(bad, text.replaceFirst("(?m)^in (\\d+) ", "in x$1 "));
        r = Limu.run("replay", bad.toString());
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.stderr().matches("(?s)limu: replay: .*bad\\.rec line \\d+: loop turn 'x\\d+' is not a number\n"),
                r.stderr());

        Path elf = Limu.kernel(ECHO);
        r = Limu.run("replay", elf.toString());
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("not a limu recording"), r.stderr());
        r = Limu.run("replay", dir.resolve("missing.rec").toString());
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("missing.rec: no such file"), r.stderr());

        // killed while writing its end: the inputs are all there, the end is not
        Path cut = dir.resolve("cut.rec");
        Files.write(cut, java.util.Arrays.copyOf(bytes, text.lastIndexOf("end ") + 20));
        r = Limu.run("replay", cut.toString());
        assertEquals(33, r.exitCode(), r.toString());
        assertEquals(recorded.stdout(), r.stdout());
        assertTrue(r.stderr().contains("its last line is cut off") && r.stderr().contains("the recording has no end")
                && r.stderr().contains("every input delivered as recorded (no recorded end to compare with): 3"
                + " input(s)"), r.stderr());
        r.assertNoStackTrace();
    }

    @Test
    void aRunStoppedByItsTimeoutReplaysToTheSameBlockAndCode() throws Exception {
        Path rec = dir.resolve("timeout.rec");
        Running r = start("run", Limu.kernel(ECHO).toString(), "--record", rec.toString(), "--timeout", "3s");
        try (OutputStream stdin = r.process().getOutputStream()) {
            r.await("serial-echo: ready\n");
            stdin.write("abc\n".getBytes(StandardCharsets.US_ASCII));
            stdin.flush();
            r.await("abc\n");
            assertEquals(10, r.finish().exitCode());   // stdin still open: the guest waits until the timeout
        }
        Limu.Result replayed = Limu.run("replay", rec.toString());
        assertEquals(10, replayed.exitCode(), replayed.toString());
        assertEquals("serial-echo: ready\nabc\n", replayed.stdout());
        assertTrue(replayed.stderr().contains("limu: reached the end of the recording (the recorded run: timeout after"
                + " 3s") && replayed.stderr().contains("the same run as recorded: 1 input(s), " + recordedBlocks(rec)
                + " blocks"), replayed.stderr());
    }

    @Test
    void aRunStoppedWithCtrlCLeavesARecordingWithItsEndThatReplaysToTheSameBlock() throws Exception {
        Path rec = dir.resolve("ctrl-c.rec");
        Running r = start("run", Limu.kernel(ECHO).toString(), "--record", rec.toString(), "--timeout", "60s");
        Limu.Result recorded;
        try (OutputStream stdin = r.process().getOutputStream()) {
            r.await("serial-echo: ready\n");
            stdin.write("typed, then Ctrl-C\n".getBytes(StandardCharsets.US_ASCII));
            stdin.flush();
            r.await("typed, then Ctrl-C\n");
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(r.process().pid())).start();
            assertEquals(0, kill.waitFor());
            recorded = r.finish();
        }
        assertEquals(14, recorded.exitCode(), recorded.toString());
        assertTrue(Files.readString(rec).contains(" stop=Interrupted stop-exit=14 "), Files.readString(rec));
        Limu.Result replayed = Limu.run("replay", rec.toString());
        assertEquals(14, replayed.exitCode(), replayed.toString());
        assertEquals(recorded.stdout(), replayed.stdout());
        assertTrue(replayed.stderr().contains("limu: reached the end of the recording (the recorded run: stopped by"
                + " request)") && replayed.stderr().contains("the same run as recorded: " + inputLines(rec).size()
                + " input(s), " + recordedBlocks(rec) + " blocks"), replayed.stderr());
    }

    @Test
    void aModuleOrAnInternalModuleThatChangedSinceTheRecordingIsADivergenceBeforeTheRun() throws Exception {
        Path kernelDir = Files.createDirectories(dir.resolve("target/debug"));
        Path moduleDir = Files.createDirectories(dir.resolve("modules"));
        Path kernel = Files.copy(Limu.kernel("module-paths.elf"), kernelDir.resolve("module-paths"));
        Files.writeString(kernelDir.resolve("beside.txt"), "sibling binary");
        Files.writeString(kernelDir.resolve("rooted.txt"), "at the root");
        Files.writeString(moduleDir.resolve("from-dir.txt"), "from the module dir");
        Path extra = Files.writeString(dir.resolve("extra.bin"), "given with --module");
        Path rec = dir.resolve("modules.rec");
        Limu.Result recorded = Limu.run("run", kernel.toString(), "--module-dir", moduleDir.toString(), "--module",
                extra + ",the cmdline", "--record", rec.toString(), "--timeout", "30s");
        assertTrue(recorded.stdout().contains("module-paths: 4 modules"), recorded.toString());
        String text = Files.readString(rec);
        assertTrue(text.contains("\nmodule ") && text.contains("\nloaded ") && text.contains(" /beside.txt\n"), text);
        Limu.Result same = Limu.run("replay", rec.toString());
        assertEquals(recorded.exitCode(), same.exitCode(), same.toString());
        assertEquals(recorded.stdout(), same.stdout());

        Files.writeString(kernelDir.resolve("beside.txt"), "sibling binary, rebuilt");
        Limu.Result internal = Limu.run("replay", rec.toString());
        assertEquals(34, internal.exitCode(), internal.toString());
        assertTrue(internal.stderr().contains("limu: replay diverged before it started: the kernel was handed /beside.txt"
                + " (SHA-256 "), internal.stderr());
        assertEquals("", internal.stdout());

        Files.writeString(extra, "given with --module, changed");
        Limu.Result module = Limu.run("replay", rec.toString());
        assertEquals(34, module.exitCode(), module.toString());
        assertTrue(module.stderr().contains("limu: replay diverged before it started: module " + extra
                + " has SHA-256 "), module.stderr());
    }

    @Test
    void withCountInstructionsTheReplayExecutesTheRecordedInstructionCount() throws Exception {
        Path rec = dir.resolve("count.rec");
        Limu.Result recorded = Limu.run("run", Limu.kernel("hello-release.elf").toString(), "--cmdline",
                "compute 2000", "--count-instructions", "--record", rec.toString());
        assertEquals(33, recorded.exitCode(), recorded.toString());
        Matcher m = Pattern.compile("(?m)^end .* instructions=(\\d+) ").matcher(Files.readString(rec));
        assertTrue(m.find(), Files.readString(rec));
        long instructions = Long.parseLong(m.group(1));
        assertTrue(instructions > 2000, "the compute loop's instructions were counted: " + instructions);
        Limu.Result replayed = Limu.run("replay", rec.toString());
        assertEquals(33, replayed.exitCode(), replayed.toString());
        assertEquals(recorded.stdout(), replayed.stdout());
        assertTrue(replayed.stderr().contains(" " + instructions + " instructions, "), replayed.stderr());
        Path other = dir.resolve("other.rec");
        Files.writeString(other, Files.readString(rec).replace("instructions=" + instructions + " ",
                "instructions=" + (instructions + 1) + " "));
        Limu.Result off = Limu.run("replay", other.toString());
        assertEquals(34, off.exitCode(), off.toString());
        assertTrue(off.stderr().contains("limu: replay diverged: " + instructions
                + " instructions counted; the recorded run counted " + (instructions + 1)), off.stderr());
    }

    @Test
    void recordRefusesWallTimeAndGdbAndAnUnwritableFile() {
        String kernel = Limu.kernel("hello.elf").toString();
        Limu.Result wall = Limu.run("run", kernel, "--record", dir.resolve("w.rec").toString(), "--time", "wall");
        assertEquals(2, wall.exitCode(), wall.toString());
        assertTrue(wall.stderr().contains("--record needs --time virtual"), wall.stderr());
        Limu.Result gdb = Limu.run("run", kernel, "--record", dir.resolve("g.rec").toString(), "--gdb=0");
        assertEquals(2, gdb.exitCode(), gdb.toString());
        assertTrue(gdb.stderr().contains("--record cannot be used with --gdb"), gdb.stderr());
        Limu.Result nowhere = Limu.run("run", kernel, "--record", dir.resolve("no/such/dir.rec").toString());
        assertEquals(2, nowhere.exitCode(), nowhere.toString());
        assertTrue(nowhere.stderr().contains("--record " + dir.resolve("no/such/dir.rec") + ": cannot write"),
                nowhere.stderr());
        nowhere.assertNoStackTrace();
    }

    @Test
    void gdbOnAReplayGoesBackAcrossTheRecordedInputsAndForwardAgainToTheRecordedOutput() throws Exception {
        Path rec = dir.resolve("echo.rec");
        Limu.Result recorded = recordTyping(rec);
        GdbSessions.Listening listening = GdbSessions.launch(limu("replay", rec.toString(),
                "--gdb=" + GdbSessions.freePort(), "--gdb-wait", "--timeout", "120s"));
        Running replay = collectingStdout(listening.process(), listening.err(), listening.errReader());
        String out = GdbSessions.gdb(listening.address().port(), replay.process(), replay.err()::toString, ECHO,
                // late: the quit message, after every input
                "break serial_echo::say", "continue", "echo @LATE\\n",
                "print serial_echo::IRQS",
                // back across the inputs: each one raised IRQ 4 once
                "break serial_echo::com1_interrupt", "reverse-continue", "echo @BACK1\\n",
                "print serial_echo::IRQS", "reverse-continue", "reverse-continue",
                "echo @BACK3\\n", "print serial_echo::IRQS", "reverse-stepi",
                "echo @STEP\\n", "print $pc == serial_echo::com1_interrupt", "delete",
                "continue");
        Limu.Result r = replay.finish();
        String late = out.substring(out.indexOf("@LATE"));
        assertTrue(late.startsWith("@LATE\n$1 = 3\n"), "three inputs, three interrupts by the quit message:\n" + out);
        assertTrue(out.contains("@BACK1\n$2 = 2\n"), "back to the third input's interrupt:\n" + out);
        assertTrue(out.contains("@BACK3\n$3 = 0\n"), "back to the first input's interrupt:\n" + out);
        // one instruction before the handler's breakpoint: the handler's prologue, past its first instruction
        assertTrue(out.contains("@STEP\n$4 = false\n"), out);
        assertTrue(out.contains("exited with code 041"), "forward again to the guest's exit (33):\n" + out);
        assertEquals(33, r.exitCode(), r.toString());
        // going forward again prints only what was not printed yet: stdout is the recorded run's, byte for byte
        assertEquals(recorded.stdout(), r.stdout(), r.stderr());
        assertTrue(r.stderr().contains("the output and exit code are the recorded ones"), r.stderr());
    }
}
