// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution as a user gets it: scripts/dist.sh's tarball unpacked into
 * an empty folder, run through a symlink from another folder, with a PATH
 * that holds the unpacked bin/ and the system's tools but not the clone.
 */
class DistributionTest {
    @TempDir
    static Path tmp;

    private static Path unpacked;
    private static Path work;

    @BeforeAll
    static void buildAndUnpack() throws IOException {
        Path out = tmp.resolve("out");
        Limu.Result dist = Limu.exec(List.of(Limu.HOME.resolve("scripts/dist.sh").toString(), "--no-build",
                "--out", out.toString()), Map.of());
        assertEquals(0, dist.exitCode(), dist.toString());
        Path tarball = Path.of(dist.stdout().strip());
        assertTrue(tarball.getFileName().toString().matches("limu-.+-linux-x86_64\\.tar\\.gz"), tarball.toString());
        Path into = Files.createDirectory(tmp.resolve("unpacked"));
        Limu.Result tar = Limu.exec(List.of("tar", "-xzf", tarball.toString()), Map.of(), into);
        assertEquals(0, tar.exitCode(), tar.toString());
        try (Stream<Path> s = Files.list(into)) {
            List<Path> top = s.toList();
            assertEquals(1, top.size(), "one top-level folder: " + top);
            unpacked = top.get(0);
        }
        work = Files.createDirectory(tmp.resolve("work"));
        Files.copy(Limu.kernel("hello.elf"), work.resolve("hello.elf"));
        Files.copy(Limu.kernel("hello-release.elf"), work.resolve("hello-release.elf"));
        Files.createDirectory(work.resolve("links"));
        Files.createSymbolicLink(work.resolve("links/limu"), unpacked.resolve("bin/limu"));
    }

    /** bin/ of the distribution first, then the system's tools (java, gdb, cargo), never the clone. */
    private static Map<String, String> userEnvironment() {
        String path = unpacked.resolve("bin") + ":/usr/local/bin:/usr/bin:/bin";
        assertFalse(path.contains(Limu.HOME.toString()), path);
        Map<String, String> env = new HashMap<>();
        env.put("PATH", path);
        env.put("JAVA_HOME", "");
        return env;
    }

    private static Limu.Result limu(String... args) {
        List<String> cmd = new ArrayList<>(List.of(work.resolve("links/limu").toString()));
        cmd.addAll(List.of(args));
        return Limu.exec(cmd, userEnvironment(), work);
    }

    @Test
    void theTarballHoldsTheLauncherJarsNativeLibrariesAndLicenses() {
        for (String f : List.of("bin/limu", "lib/limu-emulator.jar", "lib/native/liblimu_shim.so",
                "lib/native/libunicorn.so.2", "lib/native/libjnidispatch.so", "lib/native/SHA256SUMS", "README.md",
                "LICENSE", "NOTICE",
                "licenses/unicorn/COPYING", "licenses/jna/AL2.0", "licenses/jna/LGPL2.1", "licenses/picocli/LICENSE")) {
            assertTrue(Files.isRegularFile(unpacked.resolve(f)), f + " is missing from " + unpacked);
        }
        assertTrue(Files.isExecutable(unpacked.resolve("bin/limu")));
    }

    @Test
    void runsAKernelThroughASymlinkFromAnotherFolder() {
        Limu.Result r = limu("run", "hello.elf", "--timeout", "30s");
        assertEquals(33, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains("hello: 44 checks, 0 failed"), r.toString());
        r.assertNoStackTrace();
    }

    @Test
    void versionNamesLimuUnicornFromTheDistributionAndTheJavaRuntime() throws IOException {
        Limu.Result r = limu("--version");
        assertEquals(0, r.exitCode(), r.toString());
        List<String> lines = r.stdout().lines().toList();
        assertEquals(3, lines.size(), r.toString());
        assertTrue(Pattern.matches("limu " + Pattern.quote(System.getProperty("limu.version"))
                + " \\(commit ([0-9a-f]{12}(-dirty)?|unknown)\\)", lines.get(0)), r.toString());
        assertEquals("Unicorn 2.1.4 from " + unpacked.resolve("lib/native/libunicorn.so.2").toRealPath()
                + " (bundled with limu)", lines.get(1));
        assertTrue(lines.get(2).startsWith("Java 17") || lines.get(2).matches("Java (1[89]|[2-9]\\d).*"), r.toString());

        // LIMU_UNICORN_LIB still wins over the bundled library
        Path other = Limu.HOME.resolve(".limu/unicorn/lib/libunicorn.so.2");
        Map<String, String> env = userEnvironment();
        env.put("LIMU_UNICORN_LIB", other.toString());
        r = Limu.exec(List.of(work.resolve("links/limu").toString(), "--version"), env, work);
        assertEquals("Unicorn 2.1.4 from " + other + " (from LIMU_UNICORN_LIB)", r.stdout().lines().toList().get(1),
                r.toString());
    }

    @Test
    void findsJavaThroughJavaHomeAlone() {
        String javaHome = System.getProperty("java.home");
        Limu.Result r = Limu.exec(List.of("/bin/bash", work.resolve("links/limu").toString(), "--version"),
                Map.of("PATH", coreutilsWithoutJava().toString(), "JAVA_HOME", javaHome), work);
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains(", " + javaHome), r.toString());
    }

    /** A folder with the few tools the launcher uses, and no java. */
    private static synchronized Path coreutilsWithoutJava() {
        Path bin = tmp.resolve("coreutils");
        try {
            if (!Files.isDirectory(bin)) {
                Files.createDirectory(bin);
                for (String tool : List.of("readlink", "dirname", "sed")) {
                    Path p = Files.writeString(bin.resolve(tool), "#!/bin/sh\nexec /usr/bin/" + tool + " \"$@\"\n");
                    p.toFile().setExecutable(true);
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return bin;
    }

    @Test
    void withoutJavaTheLauncherSaysWhatItNeeds() {
        Limu.Result r = Limu.exec(List.of("/bin/bash", work.resolve("links/limu").toString(), "--version"),
                Map.of("PATH", coreutilsWithoutJava().toString(), "JAVA_HOME", ""), work);
        assertEquals(6, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("limu: no Java runtime found: install Java 17 or newer, or set JAVA_HOME"),
                r.toString());
    }

    /**
     * A class-data-sharing archive at lib/limu.jsa is handed to the JVM: one
     * made by a first run (a dynamic archive) is then mapped, which
     * {@code -Xshare:on} insists on and the class-loading log shows.
     */
    @Test
    void aClassDataSharingArchiveInLibIsUsed() throws IOException {
        Path archive = unpacked.resolve("lib/limu.jsa");
        try {
            Map<String, String> env = userEnvironment();
            env.put("LIMU_JAVA_OPTS", "-XX:ArchiveClassesAtExit=" + archive);
            Limu.Result made = Limu.exec(List.of(work.resolve("links/limu").toString(), "devices"), env, work);
            assertEquals(0, made.exitCode(), made.toString());
            assertTrue(Files.isRegularFile(archive), made.toString());

            env.put("LIMU_JAVA_OPTS", "-Xshare:on -Xlog:class+load=info");
            Limu.Result r = Limu.exec(List.of(work.resolve("links/limu").toString(), "devices"), env, work);
            assertEquals(0, r.exitCode(), r.toString());
            assertTrue(Pattern.compile("limu\\.emulator\\.cli\\.Main source: shared objects file")
                    .matcher(r.stdout()).find(), r.stdout());
        } finally {
            Files.deleteIfExists(archive);
        }
    }

    @Test
    void limuTestRunsKernelsInParallel() {
        Limu.Result r = limu("test", "--success-exit-code", "33", "--log-dir", "logs", "hello.elf", "hello-release.elf");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains("PASS") && r.stdout().contains("hello-release"), r.toString());
        assertTrue(Files.isRegularFile(work.resolve("logs/hello.log")), "logs go to the current folder");
    }

    @Test
    void gdbDebugsAKernelThroughTheDistribution() throws Exception {
        Path kernel = Limu.kernel("gdb-target.elf");
        ProcessBuilder pb = new ProcessBuilder(work.resolve("links/limu").toString(), "run", kernel.toString(),
                "--gdb=" + GdbSessions.freePort(), "--gdb-wait", "--timeout", "60s").directory(work.toFile());
        pb.environment().remove("LIMU_UNICORN_LIB");
        pb.environment().putAll(userEnvironment());
        GdbSessions.Listening listening = GdbSessions.launch(pb);
        Process limu = listening.process();
        int port = listening.address().port();
        StringBuffer err = listening.err();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> drain(limu.getInputStream()));
        try {
            Limu.Result gdb = Limu.exec(List.of("gdb", "-batch", "-nx", "-ex", "set confirm off",
                    "-ex", "target remote 127.0.0.1:" + port, "-ex", "break gdb_target::leaf", "-ex", "continue",
                    "-ex", "bt", "-ex", "detach", kernel.toString()), userEnvironment(), work);
            String g = gdb.stdout() + gdb.stderr();
            assertTrue(g.contains("Breakpoint 1, gdb_target::leaf (depth=0, p=...) at gdb-target/src/main.rs:67"), g);
            assertTrue(g.contains("gdb_target::kmain () at gdb-target/src/main.rs:"), g);
            assertTrue(g.contains("[Inferior 1 (Remote target) detached]"), g);
            assertTrue(limu.waitFor(60, TimeUnit.SECONDS), "limu runs on to the end after detach\n" + err);
            assertEquals(33, limu.exitValue(), err.toString());
            assertTrue(out.join().contains("gdb-target: total 98 counter 4"), out.join());
        } finally {
            limu.destroyForcibly();
        }
    }

    /** kernel-images/cargo-test's `cargo test` with a bare `limu` runner found on PATH, as a user's crate has it. */
    @Test
    void cargoRunsTheInKernelTestsWithLimuFromPath() {
        Map<String, String> env = userEnvironment();
        // cargo reads a target's runner from the environment before .cargo/config.toml; words split on spaces
        env.put("CARGO_TARGET_X86_64_UNKNOWN_NONE_RUNNER",
                "limu run --success-exit-code 33 --fail-on panicked --timeout 60s --framebuffer none");
        Limu.Result r = Limu.exec(List.of(Limu.HOME.resolve("kernel-images/cargo-test/test.sh").toString()), env, work);
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains("test result: ok. 5 passed"), r.toString());
        assertTrue(r.stderr().contains("limu: passed: guest exit status 33"), r.toString());
        assertFalse(r.stderr().contains("[limu] building limu"), "the clone's launcher must not run\n" + r);
    }

    private static String drain(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "<" + e + ">";
        }
    }
}
