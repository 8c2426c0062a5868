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
        int port = freePort();
        List<String> cmd = Limu.command("", "run", Limu.kernel(kernel).toString(), "--gdb=" + port,
                "--timeout", "60s");
        cmd.addAll(List.of(extra));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(Limu.HOME.toFile());
        pb.environment().remove("LIMU_UNICORN_LIB");
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> drain(p.getInputStream()));
        StringBuffer err = new StringBuffer();
        Thread t = new Thread(() -> {
            byte[] b = new byte[4096];
            try (InputStream in = p.getErrorStream()) {
                for (int n; (n = in.read(b)) > 0; ) {
                    err.append(new String(b, 0, n, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                err.append("<" + e + ">");
            }
        });
        t.setDaemon(true);
        t.start();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!err.toString().contains("limu: gdb: listening on")) {
            if (!p.isAlive() || System.nanoTime() > until) {
                p.destroyForcibly();
                fail("limu did not start listening\n" + err);
            }
            Thread.sleep(20);
        }
        return new Running(p, port, out, err);
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
