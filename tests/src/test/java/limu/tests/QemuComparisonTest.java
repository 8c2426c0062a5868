// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code limu bench} next to real QEMU + Limine 9.x: the ISO scripts, {@code --vs-qemu} and the
 * project benchmark's side-by-side section. The tests that need qemu-system-x86_64, xorriso and
 * Limine's binaries (scripts/limine-binaries.sh, never part of limu) skip when one is missing; the
 * one about missing pieces runs everywhere.
 */
class QemuComparisonTest {
    private static final Pattern FIGURES = Pattern.compile("best +([0-9.]+) ms +median +([0-9.]+) ms");

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    private static void assumeQemuAndLimine() {
        assumeTrue(onPath("qemu-system-x86_64"), "qemu-system-x86_64 is not installed");
        assumeTrue(onPath("xorriso") && onPath("gcc"), "xorriso or gcc is not installed");
        Limu.Result r = Limu.exec(List.of("bash", Limu.HOME.resolve("scripts/limine-binaries.sh").toString()), Map.of());
        assumeTrue(r.exitCode() == 0, "no Limine 9.x binaries: " + r.stderr());
    }

    /** The figures of the line starting with {@code side} after {@code from}: best and median, both positive. */
    private static double[] figures(String out, String from, String side) {
        int at = out.indexOf(from);
        assertTrue(at >= 0, "no '" + from + "' in:\n" + out);
        for (String line : out.substring(at).split("\n")) {
            if (line.strip().startsWith(side + " ")) {
                Matcher m = FIGURES.matcher(line);
                assertTrue(m.find(), "no figures in: " + line + "\n" + out);
                double best = Double.parseDouble(m.group(1));
                double median = Double.parseDouble(m.group(2));
                assertTrue(best > 0 && median >= best, line);
                return new double[] {best, median};
            }
        }
        throw new AssertionError("no '" + side + "' line after '" + from + "' in:\n" + out);
    }

    @Test
    void limineIsoBootsUnderQemuWithSeaBiosAndOvmf() throws IOException {
        assumeQemuAndLimine();
        Path iso = Files.createTempFile("limu-test", ".iso");
        try {
            Limu.Result built = Limu.exec(List.of("bash", Limu.HOME.resolve("scripts/limine-iso.sh").toString(),
                    Limu.kernel("hello-release.elf").toString(), iso.toString(), "--cmdline", "compute 1000"), Map.of());
            assertEquals(0, built.exitCode(), built.toString());
            for (List<String> firmware : List.of(List.<String>of(), List.of("-bios", "/usr/share/ovmf/OVMF.fd"))) {
                if (!firmware.isEmpty() && !Files.isRegularFile(Path.of(firmware.get(1)))) {
                    continue;
                }
                List<String> cmd = new java.util.ArrayList<>(List.of("timeout", "60", "qemu-system-x86_64", "-M", "pc",
                        "-m", "256M", "-cdrom", iso.toString(), "-serial", "stdio", "-display", "none", "-monitor",
                        "none", "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"));
                cmd.addAll(firmware);
                Limu.Result r = Limu.exec(cmd, Map.of());
                // the cmdline reached the kernel through limine.conf; hello exits with 0x10 after the loop
                assertTrue(r.stdout().contains("hello: compute 1000 iterations"), r.toString());
                assertTrue(r.stdout().contains("hello: compute done"), r.toString());
                assertEquals(33, r.exitCode(), firmware + "\n" + r);
            }
        } finally {
            Files.deleteIfExists(iso);
        }
    }

    @Test
    void versusQemuBuildsTheIsoAndPrintsBothSides() {
        assumeQemuAndLimine();
        Limu.Result r = Limu.run("bench", "--vs-qemu", "--kernel", Limu.kernel("hello-release.elf").toString(),
                "--until", "hello: \\d+ checks", "--runs", "2", "--cpus", "2", "--memory", "128M");
        assertEquals(0, r.exitCode(), r.toString());
        figures(r.stdout(), "limu ", "limu");
        assertTrue(r.stdout().contains("128M, 2 CPUs"), r.toString());
        figures(r.stdout(), "qemu ", "qemu");
        assertTrue(Pattern.compile("limu / qemu: best [0-9.]+, median [0-9.]+").matcher(r.stdout()).find(), r.toString());
    }

    @Test
    void projectBenchmarkPrintsQemuNextToLimu() {
        assumeQemuAndLimine();
        Limu.Result r = Limu.run("bench", "--qemu-only", "--runs", "1", "--compute-iterations", "5000000");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains("SeaBIOS + Limine 9."), r.toString());
        for (String section : List.of("dev build, 500,000 iterations", "release build, 5,000,000 iterations",
                "boot: chapter kernel")) {
            figures(r.stdout(), section, "limu");
            figures(r.stdout(), section, "qemu");
        }
        assertTrue(r.stdout().contains("million instructions/s"), r.toString());
        assertFalse(r.stdout().contains("never came"), r.toString());
    }

    @Test
    void missingLimineIsSaidAndLimuFiguresStay() throws IOException {
        Path empty = Files.createTempDirectory("no-limine");
        try {
            Limu.Result r = Limu.run(Map.of("LIMINE_DIR", empty.toString()), "bench", "--vs-qemu", "--kernel",
                    Limu.kernel("hello-release.elf").toString(), "--until", "hello: \\d+ checks", "--runs", "1");
            assertEquals(0, r.exitCode(), r.toString());
            figures(r.stdout(), "limu ", "limu");
            assertTrue(r.stdout().contains("qemu-system-x86_64 is not on PATH")
                    || r.stdout().contains("does not hold Limine 9.x's binaries"), r.toString());
            assertFalse(r.stdout().contains("limu / qemu"), r.toString());
            r.assertNoStackTrace();

            Limu.Result iso = Limu.exec(List.of("bash", Limu.HOME.resolve("scripts/limine-iso.sh").toString(),
                    Limu.kernel("hello.elf").toString(), empty.resolve("x.iso").toString()),
                    Map.of("LIMINE_DIR", empty.toString()));
            assertEquals(3, iso.exitCode(), iso.toString());
            assertTrue(iso.stderr().contains("Limine 9.x") || iso.stderr().contains("is not installed"), iso.toString());
            assertFalse(Files.exists(empty.resolve("x.iso")), iso.toString());
        } finally {
            Files.deleteIfExists(empty.resolve("x.iso"));
            Files.deleteIfExists(empty);
        }
    }
}
