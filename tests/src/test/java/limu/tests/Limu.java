// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs the packaged {@code limu} command line as its own process, the way a user does. */
final class Limu {
    static final Path HOME = Path.of(System.getProperty("limu.home", "..")).toAbsolutePath().normalize();
    static final Path KERNELS = HOME.resolve("kernel-images/out");

    record Result(int exitCode, String stdout, String stderr, long millis) {
        /** limu's own messages never include a Java stack trace. */
        void assertNoStackTrace() {
            assertFalse(stderr.contains("\tat ") || stderr.contains("Exception in thread"),
                    "stack trace on stderr:\n" + stderr);
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr;
        }
    }

    private Limu() {
    }

    /** A kernel built by kernel-images/build.sh; fails (not skips) when it is missing. */
    static Path kernel(String name) {
        Path p = KERNELS.resolve(name);
        if (!Files.isRegularFile(p)) {
            fail(p + " is missing: build the kernels with kernel-images/build.sh (scripts/test.sh does)");
        }
        return p;
    }

    static Result run(String... args) {
        return run(Map.of(), args);
    }

    static Result run(Map<String, String> env, String... args) {
        return runWithClasspath("", env, args);
    }

    /** As {@link #run}, with {@code extra} (jars, ':'-separated) on the classpath, as LIMU_CLASSPATH does. */
    static Result runWithClasspath(String extra, Map<String, String> env, String... args) {
        return exec(command(extra, args), env);
    }

    /** The java command line of the packaged limu with {@code args}, as ./limu runs it. */
    static List<String> command(String extraClasspath, String... args) {
        Path jar = HOME.resolve("emulator/target/limu-emulator.jar");
        assertTrue(Files.isRegularFile(jar), jar + " missing: the emulator module is packaged before these tests");
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dlimu.home=" + HOME,
                "-cp", jar + ":" + HOME.resolve("emulator/target/lib") + "/*"
                        + (extraClasspath.isEmpty() ? "" : ":" + extraClasspath),
                "limu.emulator.cli.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    static Result exec(List<String> cmd, Map<String, String> env) {
        return exec(cmd, env, HOME);
    }

    /** As {@link #exec(List, Map)}, in the folder {@code dir}. */
    static Result exec(List<String> cmd, Map<String, String> env, Path dir) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
            pb.environment().remove("LIMU_UNICORN_LIB");
            pb.environment().putAll(env);
            long t0 = System.nanoTime();
            Process p = pb.start();
            p.getOutputStream().close();
            CompletableFuture<String> out = drain(p.getInputStream());
            CompletableFuture<String> err = drain(p.getErrorStream());
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("limu did not finish within 120 s: " + cmd);
            }
            return new Result(p.exitValue(), out.join(), err.join(), (System.nanoTime() - t0) / 1_000_000);
        } catch (IOException e) {
            throw new AssertionError("cannot start " + cmd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                in.transferTo(b);
                return b.toString(StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "<" + e + ">";
            }
        });
    }
}
