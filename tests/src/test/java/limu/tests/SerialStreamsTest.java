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
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * COM1's input from a pipe, a file and a TCP client, and its output to a file, with the serial-echo kernel, which
 * sends back every byte it receives (by interrupt, IRQ 4): nothing lost, nothing doubled, in order.
 */
class SerialStreamsTest {
    private static final byte[] READY = "serial-echo: ready\n".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    private static Path echoKernel() {
        return Limu.kernel("serial-echo-release.elf");
    }

    /** 1 MiB of every byte value, in a fixed pseudo-random order: no line in it is a command of the kernel. */
    private static byte[] mebibyte() {
        byte[] data = new byte[1 << 20];
        new Random(20260101).nextBytes(data);
        String text = new String(data, StandardCharsets.ISO_8859_1);
        assertTrue(!text.matches("(?s).*[\r\n](quit|crash)[\r\n].*"), "the data holds a command line");
        return data;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = new byte[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private static CompletableFuture<byte[]> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return in.readAllBytes();
            } catch (IOException e) {
                return ("<" + e + ">").getBytes(StandardCharsets.UTF_8);
            }
        });
    }

    private static Process start(ProcessBuilder pb) throws IOException {
        pb.environment().remove("LIMU_UNICORN_LIB");
        return pb.directory(Limu.HOME.toFile()).start();
    }

    @Test
    void aMebibytePipedInIsEchoedByteForByteAndItsEndLetsTheGuestRunOn() throws Exception {
        byte[] data = mebibyte();
        long t0 = System.nanoTime();
        Process p = start(new ProcessBuilder(Limu.command("", "run", echoKernel().toString(), "--timeout", "120s",
                "--verbose")));
        CompletableFuture<byte[]> out = drain(p.getInputStream());
        CompletableFuture<byte[]> err = drain(p.getErrorStream());
        try (OutputStream stdin = p.getOutputStream()) {
            for (int i = 0; i < data.length; i += 4096) {   // written as it comes, not before the guest starts
                stdin.write(data, i, 4096);
            }
        }
        assertTrue(p.waitFor(150, TimeUnit.SECONDS), "limu did not end");
        long millis = (System.nanoTime() - t0) / 1_000_000;
        String errors = new String(err.get(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), errors);
        assertTrue(errors.contains("limu: serial (COM1): input ended after 1048576 bytes; the guest runs on"), errors);
        assertTrue(errors.contains("all CPUs halted"), "input at its end, the waiting guest halts for good: " + errors);
        byte[] got = out.get();
        assertEquals(READY.length + data.length, got.length, "bytes echoed");
        assertArrayEquals(concat(READY, data), got);
        System.out.printf("1 MiB through a pipe echoed in %d ms%n", millis);
    }

    @Test
    void inputFromAFileGivesTheSameRunEveryTimeAndTheHarnessJudgesIt() throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            text.append("line ").append(i).append(i % 7 == 0 ? "\r\n" : "\n");
        }
        text.append("quit\n");
        Path input = dir.resolve("input.txt");
        Files.writeString(input, text);
        List<String> outputs = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            Process p = start(new ProcessBuilder(Limu.command("", "run", echoKernel().toString(), "--timeout", "120s",
                    "--expect", "quit after \\d+ bytes", "--success-exit-code", "33"))
                    .redirectInput(input.toFile()));
            CompletableFuture<byte[]> out = drain(p.getInputStream());
            CompletableFuture<byte[]> err = drain(p.getErrorStream());
            assertTrue(p.waitFor(150, TimeUnit.SECONDS), "limu did not end");
            String errors = new String(err.get(), StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), errors);
            outputs.add(new String(out.get(), StandardCharsets.ISO_8859_1));
        }
        String first = outputs.get(0);
        assertTrue(first.startsWith("serial-echo: ready\n" + text), first);
        Matcher m = Pattern.compile("quit after (\\d+) bytes, (\\d+) interrupts").matcher(first);
        assertTrue(m.find(), first);
        assertEquals(text.length(), Integer.parseInt(m.group(1)));
        assertEquals(first, outputs.get(1), "the same file, the same run: bytes and interrupt count alike");
    }

    @Test
    void serialInputFromAFileAndOutputToAFileLeaveStdoutAlone() throws Exception {
        Path input = dir.resolve("in.txt");
        Files.writeString(input, "one\ntwo\nquit\n");
        Path log = dir.resolve("com1.log");
        Limu.Result r = Limu.run("run", echoKernel().toString(), "--timeout", "120s", "--serial-input",
                input.toString(), "--serial", "file:" + log);
        assertEquals(33, r.exitCode(), r.toString());
        assertEquals("", r.stdout(), r.toString());
        assertEquals("serial-echo: ready\none\ntwo\nquit\n\nserial-echo: quit after 13 bytes, ",
                Files.readString(log).replaceAll("\\d+ interrupts\n$", ""));
        Path plain = dir.resolve("plain.log");
        Limu.Result old = Limu.run("run", Limu.kernel("hello.elf").toString(), "--timeout", "120s", "--serial",
                plain.toString());
        assertEquals(33, old.exitCode(), old.toString());
        assertTrue(Files.readString(plain).contains("hello"), "a bare path is still a file");
    }

    @Test
    void badSerialValuesAreUsageErrors() {
        Limu.Result r = Limu.run("run", echoKernel().toString(), "--serial", "tcp:localhost:http");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("'http' is not a port"), r.stderr());
        Limu.Result w = Limu.run("run", echoKernel().toString(), "--serial", "tcp::0,nowait");
        assertEquals(2, w.exitCode(), w.toString());
        assertTrue(w.stderr().contains("unknown option 'nowait'"), w.stderr());
    }

    @Test
    void aTcpClientTypesAndReadsTheEchoAndWaitHoldsTheKernelUntilItConnects() throws Exception {
        Process p = start(new ProcessBuilder(Limu.command("", "run", echoKernel().toString(), "--timeout", "120s",
                "--serial", "tcp::0,wait")));
        p.getOutputStream().close();
        CompletableFuture<byte[]> out = drain(p.getInputStream());
        try {
            int port = listeningPort(p);
            Thread.sleep(300);
            assertTrue(p.isAlive(), "limu waits for its client");
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                client.setSoTimeout(60_000);
                InputStream in = client.getInputStream();
                // output while nobody is connected is dropped: the banner arriving shows the kernel waited
                assertEquals("serial-echo: ready\n", readUntil(in, "ready\n"));
                client.getOutputStream().write("ping\r".getBytes(StandardCharsets.US_ASCII));
                assertEquals("ping\r", readUntil(in, "ping\r"));
                client.getOutputStream().write("quit\n".getBytes(StandardCharsets.US_ASCII));
                assertTrue(readUntil(in, "interrupts\n").startsWith("quit\n\nserial-echo: quit after 10 bytes, "));
            }
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "limu did not end");
            assertEquals(33, p.exitValue());
            assertEquals(0, out.get().length, "nothing on stdout: COM1 is the client's");
        } finally {
            p.destroyForcibly();
        }
    }

    /** Reads the port from limu's "listening on 127.0.0.1:PORT" line. */
    private static int listeningPort(Process p) throws IOException {
        StringBuilder line = new StringBuilder();
        InputStream err = p.getErrorStream();
        Pattern listening = Pattern.compile("limu: serial \\(COM1\\): listening on 127\\.0\\.0\\.1:(\\d+)");
        for (int c; (c = err.read()) >= 0; ) {
            if (c != '\n') {
                line.append((char) c);
                continue;
            }
            Matcher m = listening.matcher(line);
            if (m.find()) {
                drain(err);
                return Integer.parseInt(m.group(1));
            }
            line.setLength(0);
        }
        fail("limu ended without listening: " + line);
        return -1;
    }

    private static String readUntil(InputStream in, String end) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (!got.toString(StandardCharsets.ISO_8859_1).endsWith(end)) {
            int c = in.read();
            if (c < 0) {
                fail("connection closed after " + got.toString(StandardCharsets.ISO_8859_1));
            }
            got.write(c);
        }
        return got.toString(StandardCharsets.ISO_8859_1);
    }
}
