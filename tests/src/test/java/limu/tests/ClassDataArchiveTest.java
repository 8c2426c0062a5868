// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ./limu launcher's class-data-sharing archive: made when missing or stale, then mapped by the
 * JVM; a damaged archive never stops limu from running, and never prints on stdout.
 */
class ClassDataArchiveTest {
    private static final String MAKING = "[limu] making a class-data-sharing archive";
    private static final Pattern MAPPED =
            Pattern.compile("limu\\.emulator\\.cli\\.Main source: shared objects file");

    @TempDir
    Path dir;

    private Limu.Result launcher(Path archive, String javaOpts, String... args) {
        Map<String, String> env = new HashMap<>(Map.of("LIMU_NO_REBUILD", "1", "LIMU_CDS_ARCHIVE", archive.toString()));
        if (!javaOpts.isEmpty()) {
            env.put("LIMU_JAVA_OPTS", javaOpts);
        }
        List<String> cmd = new java.util.ArrayList<>(List.of("bash", Limu.HOME.resolve("limu").toString()));
        cmd.addAll(Arrays.asList(args));
        return Limu.exec(cmd, env);
    }

    /** `limu devices` ran and printed its list; nothing from the JVM's archive handling reached stdout. */
    private static void assertDevicesListed(Limu.Result r) {
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.stdout().startsWith("isa-debugcon"), r.toString());
        assertFalse(r.stdout().contains("warning") || r.stdout().contains("cds"), r.toString());
    }

    @Test
    void madeOnFirstUseThenMapped() {
        Path archive = dir.resolve("limu.jsa");
        Limu.Result first = launcher(archive, "", "devices");
        assertDevicesListed(first);
        assertTrue(first.stderr().contains(MAKING), first.toString());
        assertTrue(Files.isRegularFile(archive), first.toString());

        Limu.Result second = launcher(archive, "-Xlog:class+load=info", "devices");
        assertEquals(0, second.exitCode(), second.toString());
        assertFalse(second.stderr().contains(MAKING), second.toString());
        assertTrue(MAPPED.matcher(second.stdout()).find(), second.stdout());
        // picocli's classes are Java 5 class files: a static archive holds them, a dynamic one would not
        assertTrue(second.stdout().contains("picocli.CommandLine source: shared objects file"), second.stdout());
    }

    @Test
    void theRunThatMakesTheArchiveGetsItsInputNotTheTrainingRun() throws Exception {
        Path archive = dir.resolve("limu.jsa");
        ProcessBuilder pb = new ProcessBuilder("bash", Limu.HOME.resolve("limu").toString(), "run",
                Limu.kernel("serial-echo-release.elf").toString(), "--timeout", "60s")
                .redirectError(dir.resolve("err.txt").toFile());
        pb.environment().putAll(Map.of("LIMU_NO_REBUILD", "1", "LIMU_CDS_ARCHIVE", archive.toString()));
        pb.environment().remove("LIMU_UNICORN_LIB");
        Process p = pb.start();
        try (java.io.OutputStream stdin = p.getOutputStream()) {   // a pipe, read as it comes
            stdin.write("hello\nquit\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "limu did not end");
        String err = Files.readString(dir.resolve("err.txt"));
        assertTrue(err.contains(MAKING), err);
        assertEquals(33, p.exitValue(), out + err);
        assertTrue(out.contains("serial-echo: ready\nhello\nquit\n"), out);
    }

    @Test
    void madeAgainWhenOlderThanTheJars() throws IOException {
        Path archive = dir.resolve("limu.jsa");
        assertDevicesListed(launcher(archive, "", "devices"));
        FileTime jar = Files.getLastModifiedTime(Limu.HOME.resolve("emulator/target/limu-emulator.jar"));
        FileTime before = FileTime.from(jar.toMillis() - TimeUnit.HOURS.toMillis(1), TimeUnit.MILLISECONDS);
        Files.setLastModifiedTime(archive, before);

        Limu.Result r = launcher(archive, "-Xlog:class+load=info", "devices");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains(MAKING), r.toString());
        assertTrue(Files.getLastModifiedTime(archive).compareTo(jar) >= 0, "the archive was not made again");
        assertTrue(MAPPED.matcher(r.stdout()).find(), r.stdout());
    }

    @Test
    void aTruncatedArchiveIsMadeAgainNotMapped() throws IOException {
        Path archive = dir.resolve("limu.jsa");
        assertDevicesListed(launcher(archive, "", "devices"));
        byte[] whole = Files.readAllBytes(archive);
        // a JVM handed a truncated archive dies with SIGBUS: the launcher must notice before
        Files.write(archive, Arrays.copyOf(whole, 4096));

        Limu.Result r = launcher(archive, "", "devices");
        assertDevicesListed(r);
        assertTrue(r.stderr().contains(MAKING), r.toString());
        // the new archive is whole again (archives of the same classes differ a little in size)
        assertTrue(Files.size(archive) > whole.length / 2, "archive of " + Files.size(archive) + " bytes");
        assertEquals(Long.toString(Files.size(archive)), Files.readString(Path.of(archive + ".size")).strip());
    }

    @Test
    void anArchiveTheJvmRejectsIsRunWithout() throws IOException {
        Path archive = dir.resolve("limu.jsa");
        assertDevicesListed(launcher(archive, "", "devices"));
        // same size and a fresh date, so the launcher trusts it, but not an archive at all
        byte[] garbage = new byte[(int) Files.size(archive)];
        new java.util.Random(1).nextBytes(garbage);
        Files.write(archive, garbage);
        Files.setLastModifiedTime(archive, FileTime.fromMillis(System.currentTimeMillis()));

        Limu.Result r = launcher(archive, "-Xlog:class+load=info", "devices");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains("isa-debugcon"), r.toString());
        assertFalse(MAPPED.matcher(r.stdout()).find(), r.stdout());
        assertArrayEquals(garbage, Files.readAllBytes(archive), "the launcher trusted it, as intended");
    }

    @Test
    void runsWithoutAnArchiveWhereNoneCanBeMade() throws IOException {
        // a folder below a regular file cannot be made, even by root
        Path file = Files.writeString(dir.resolve("a-file"), "");
        Path archive = file.resolve("sub/limu.jsa");
        Limu.Result r = launcher(archive, "", "run", Limu.kernel("hello.elf").toString(), "--timeout", "60s");
        assertEquals(33, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains("hello: 44 checks, 0 failed"), r.toString());
        assertFalse(Files.exists(archive));
    }

    @Test
    void offMeansNoArchive() {
        Path archive = dir.resolve("limu.jsa");
        Map<String, String> env = Map.of("LIMU_NO_REBUILD", "1", "LIMU_CDS_ARCHIVE", archive.toString(),
                "LIMU_CDS", "off");
        Limu.Result r = Limu.exec(List.of("bash", Limu.HOME.resolve("limu").toString(), "devices"), env);
        assertDevicesListed(r);
        assertFalse(Files.exists(archive), r.toString());
    }
}
