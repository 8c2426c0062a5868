// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The whole Limine protocol, the framebuffer, SMP and modules, checked from inside our kernels. */
class ProtocolTest {
    @TempDir
    Path tmp;

    private static void assertPassed(Limu.Result r) {
        assertEquals(33, r.exitCode(), r.toString());
        assertFalse(r.stdout().contains("FAIL"), r.toString());
        r.assertNoStackTrace();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 4})
    void everyRequestIsAnsweredAsLimineAnswersIt(int cpus) throws IOException {
        Path module = Files.write(tmp.resolve("m.bin"), new byte[] {1, 2, 3});
        Limu.Result r = Limu.run("run", Limu.kernel("protocol.elf").toString(), "--cpus", String.valueOf(cpus),
                "--module", module + ",first", "--cmdline", "cpus=" + cpus + " modules=1", "--timeout", "30s");
        assertPassed(r);
    }

    @Test
    void theFramebufferPatternArrivesInThePng() throws IOException {
        Path png = tmp.resolve("fb.png");
        Limu.Result r = Limu.run("run", Limu.kernel("framebuffer.elf").toString(), "--framebuffer", "640x480",
                "--screenshot", png.toString(), "--timeout", "30s");
        assertPassed(r);
        assertTrue(r.stdout().contains("framebuffer: 640x480"), r.toString());
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(640, img.getWidth());
        assertEquals(480, img.getHeight());
        int w = img.getWidth();
        int h = img.getHeight();
        for (int y = 0; y < h; y += 7) {
            for (int x = 0; x < w; x += 5) {
                assertEquals(FramebufferPattern.expected(x, y, w, h), img.getRGB(x, y) & 0xffffff,
                        "pixel (" + x + ", " + y + ")");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4, 16})
    void apsStartAndAtomicCountersAreExact(int cpus) {
        Limu.Result r = Limu.run("run", Limu.kernel("smp.elf").toString(), "--cpus", String.valueOf(cpus),
                "--timeout", "60s");
        assertPassed(r);
        assertTrue(r.stdout().contains("smp: " + cpus + " CPUs, counter " + (cpus * 1_000_000L)), r.toString());
        for (int i = 1; i < cpus; i++) {
            assertTrue(r.stdout().contains("hello from CPU " + i), "CPU " + i + " did not report\n" + r);
        }
    }

    @Test
    void smpOutputIsIdenticalFromRunToRun() {
        String first = Limu.run("run", Limu.kernel("smp.elf").toString(), "--cpus", "4", "--timeout", "60s").stdout();
        for (int i = 0; i < 2; i++) {
            assertEquals(first, Limu.run("run", Limu.kernel("smp.elf").toString(), "--cpus", "4",
                    "--timeout", "60s").stdout());
        }
    }

    @Test
    void modulesArriveWithTheirBytesAndCmdlines() throws IOException {
        byte[] a = "the first module\n".getBytes();
        byte[] b = new byte[100_000];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        Path pa = Files.write(tmp.resolve("alpha.txt"), a);
        Path pb = Files.write(tmp.resolve("beta.bin"), b);
        String expect = "expect=alpha.txt:" + crc(a) + ",beta.bin:" + crc(b);
        Limu.Result r = Limu.run("run", Limu.kernel("modules.elf").toString(), "--module", pa + ",hello alpha",
                "--module", pb.toString(), "--cmdline", expect, "--timeout", "30s");
        assertPassed(r);
        assertTrue(r.stdout().contains("cmdline \"hello alpha\""), r.toString());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 4})
    void aChapterShapedKernelRunsWithFramebufferTextAndAllCpus(int cpus) throws IOException {
        Path png = tmp.resolve("chapter.png");
        Limu.Result r = Limu.run("run", Limu.kernel("chapter.elf").toString(), "--cpus", String.valueOf(cpus),
                "--screenshot", png.toString(), "--timeout", "60s");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains("Hello World!"), r.toString());
        for (int i = 1; i < cpus; i++) {
            assertTrue(r.stdout().contains("Hello from CPU " + i), r.toString());
        }
        assertTrue(r.stdout().contains("All " + cpus + " CPUs said hello"), r.toString());
        Limu.Result again = Limu.run("run", Limu.kernel("chapter.elf").toString(), "--cpus", String.valueOf(cpus),
                "--timeout", "60s");
        assertEquals(r.stdout(), again.stdout(), "serial output identical from run to run");
        BufferedImage img = ImageIO.read(png.toFile());
        int lit = 0;
        for (int y = 0; y < 100; y++) {
            for (int x = 0; x < 400; x++) {
                if ((img.getRGB(x, y) & 0xffffff) != 0) {
                    lit++;
                }
            }
        }
        assertTrue(lit > 200, "text drawn in the top-left of the framebuffer: " + lit + " lit pixels");
    }

    @Test
    void badMachineOptionsAreRejectedBeforeTheGuestRuns() {
        Path k = Limu.kernel("hello.elf");
        Limu.Result r = Limu.run("run", k.toString(), "--cpus", "0");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("--cpus 0 is out of range"), r.toString());
        r = Limu.run("run", k.toString(), "--cpus", "65");
        assertEquals(2, r.exitCode(), r.toString());
        r = Limu.run("run", k.toString(), "--framebuffer", "10x10");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("framebuffer 10x10 is out of range"), r.toString());
        r = Limu.run("run", k.toString(), "--module", tmp.resolve("absent.bin").toString());
        assertEquals(4, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("absent.bin: no such file"), r.toString());
        assertEquals("", r.stdout());
        r.assertNoStackTrace();
    }

    private static String crc(byte[] b) {
        CRC32 c = new CRC32();
        c.update(b);
        return Long.toHexString(c.getValue());
    }
}
