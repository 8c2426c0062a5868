// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the gdb tests share: {@code limu run --gdb=PORT} on a free loopback port, started as a user starts it and
 * watched until its stub listens, and gdb 13 in batch mode against it.
 */
final class GdbSessions {
    private GdbSessions() {
    }

    /** A running limu with its gdb port; stdout and stderr collected. */
    record Running(Process process, int port, CompletableFuture<String> out, StringBuffer err) {
        Limu.Result finish() throws InterruptedException {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("limu did not finish within 60 s after the gdb session\n" + err);
            }
            return new Limu.Result(process.exitValue(), out.join(), err.toString(), 0);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** {@code limu run KERNEL --gdb=PORT --timeout 60s EXTRA...}, returned once its stub listens. */
    static Running limu(String kernel, String... extra) throws Exception {
        List<String> cmd = Limu.command("", "run", Limu.kernel(kernel).toString(), "--gdb=" + freePort(),
                "--timeout", "60s");
        cmd.addAll(List.of(extra));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(Limu.HOME.toFile());
        pb.environment().remove("LIMU_UNICORN_LIB");
        Listening limu = launch(pb);
        Process p = limu.process();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> drain(p.getInputStream()));
        return new Running(p, limu.address().port(), out, limu.err());
    }

    /** Where a gdb stub listens, as limu's {@code limu: gdb: listening on HOST:PORT} line says. */
    record Address(String host, int port) {
    }

    /** A started limu whose gdb stub listens at {@code address}; {@code errReader} collects its stderr into {@code err}. */
    record Listening(Process process, Address address, StringBuffer err, Thread errReader) {
    }

    private static final Pattern LISTENING = Pattern.compile("limu: gdb: listening on (\\S+):(\\d+)(?:;|\\R)");

    /**
     * Starts {@code pb}, a limu with a gdb stub, with its stdin closed, and returns once the stub says where it
     * listens. Its stderr is collected from the start; its stdout is left to the caller, to read as it comes or to
     * redirect in {@code pb}.
     */
    static Listening launch(ProcessBuilder pb) throws Exception {
        Process p = pb.start();
        p.getOutputStream().close();
        StringBuffer err = new StringBuffer();
        Thread reader = collect(p.getErrorStream(), err);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Matcher m;
        while (!(m = LISTENING.matcher(err.toString())).find()) {
            if (!p.isAlive() || System.nanoTime() > until) {
                p.destroyForcibly();
                fail("limu did not start listening\n" + err);
            }
            Thread.sleep(20);
        }
        return new Listening(p, new Address(m.group(1), Integer.parseInt(m.group(2))), err, reader);
    }

    /** Appends what {@code in} gives to {@code into} as it comes, on the daemon thread returned, until it ends. */
    static Thread collect(InputStream in, StringBuffer into) {
        Thread t = new Thread(() -> {
            byte[] b = new byte[4096];
            try (in) {
                for (int n; (n = in.read(b)) > 0; ) {
                    into.append(new String(b, 0, n, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                into.append("<" + e + ">");
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Everything a stream holds until it ends. */
    static String drain(InputStream in) {
        try (in) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            in.transferTo(b);
            return b.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "<" + e + ">";
        }
    }

    /** gdb -batch with these commands against the running limu; its stdout and stderr together. */
    static String gdb(Running limu, String kernel, String... commands) throws Exception {
        return gdb(limu.port(), limu.process(), limu.err()::toString, kernel, commands);
    }

    /** As {@link #gdb(Running, String, String...)} against any limu process whose stub listens on {@code port}. */
    static String gdb(int port, Process limu, Supplier<String> limuErr, String kernel, String... commands)
            throws Exception {
        List<String> cmd = new ArrayList<>(List.of("gdb", "-batch", "-nx", "-ex", "set confirm off",
                "-ex", "set pagination off", "-ex", "target remote 127.0.0.1:" + port));
        for (String c : commands) {
            cmd.add("-ex");
            cmd.add(c);
        }
        cmd.add(Limu.kernel(kernel).toString());
        Process g = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        g.getOutputStream().close();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> drain(g.getInputStream()));
        if (!g.waitFor(120, TimeUnit.SECONDS)) {
            g.destroyForcibly();
            limu.destroyForcibly();
            fail("gdb did not finish within 120 s\n" + out.getNow("") + "\n--- limu ---\n" + limuErr.get());
        }
        return out.join();
    }

    static void contains(String output, String what) {
        assertTrue(output.contains(what), "expected '" + what + "' in:\n" + output);
    }
}
