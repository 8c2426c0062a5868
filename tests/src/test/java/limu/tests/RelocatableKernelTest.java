// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Kernels people build today: a static-PIE kernel relocated (and slid with --kaslr) and checking that from the
 * inside, a kernel on the newest limine crate asking for base revision 6, QEMU's ACPI table set, and crafted PIE
 * files refused with one clear line.
 */
class RelocatableKernelTest {
    private static final Pattern VIRTUAL_BASE = Pattern.compile("pie: executable address: virtual (0x[0-9a-f]+)");

    @TempDir
    Path tmp;

    private static void assertPassed(Limu.Result r, String last) {
        assertEquals(33, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains(last), r.toString());
        assertFalse(r.stdout().contains("FAILED"), r.toString());
        r.assertNoStackTrace();
    }

    private static String virtualBase(Limu.Result r) {
        Matcher m = VIRTUAL_BASE.matcher(r.stdout());
        assertTrue(m.find(), r.toString());
        return m.group(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"pie.elf", "pie-release.elf"})
    void aPieKernelLinkedLowIsRelocatedIntoTheTopTwoGib(String name) {
        Limu.Result r = Limu.run("run", Limu.kernel(name).toString(), "--timeout", "30s", "-v");
        assertPassed(r, "pie: all checks passed");
        assertEquals("0xffffffff80000000", virtualBase(r));
        assertTrue(r.stderr().contains("limu: kernel is position-independent: slid by 0xffffffff80000000 from its"
                + " link addresses"), r.toString());
    }

    @Test
    void kaslrSeedsChooseTheSlideAndTheSameSeedGivesTheSameOne() {
        String kernel = Limu.kernel("pie.elf").toString();
        Limu.Result one = Limu.run("run", kernel, "--kaslr=1", "--timeout", "30s");
        Limu.Result two = Limu.run("run", kernel, "--kaslr=2", "--timeout", "30s");
        Limu.Result oneAgain = Limu.run("run", kernel, "--kaslr=1", "--timeout", "30s");
        Limu.Result defaultSeed = Limu.run("run", kernel, "--kaslr", "--timeout", "30s");
        for (Limu.Result r : new Limu.Result[]{one, two, oneAgain, defaultSeed}) {
            assertPassed(r, "pie: all checks passed");
            long base = Long.parseUnsignedLong(virtualBase(r).substring(2), 16);
            assertTrue(Long.compareUnsigned(base, 0xffff_ffff_8000_0000L) >= 0, r.toString());
            assertEquals(0, base % 4096, "page granular");
        }
        assertNotEquals(virtualBase(one), virtualBase(two), "two seeds, two places");
        assertEquals(virtualBase(one), virtualBase(oneAgain), "the same seed, the same place");
        assertEquals(virtualBase(one), virtualBase(defaultSeed), "--kaslr alone is --kaslr=1");
        assertNotEquals("0xffffffff80000000", virtualBase(two));
    }

    @Test
    void theNewestLimineCrateGetsBaseRevisionSix() {
        Limu.Result r = Limu.run("run", Limu.kernel("revision-six.elf").toString(), "--timeout", "30s", "-v");
        assertPassed(r, "revision-six: all checks passed");
        assertTrue(r.stdout().contains("revision-six: base revision 6 supported, loaded revision 6"), r.toString());
        assertTrue(r.stdout().contains("revision-six: TSC frequency 1000000000 Hz"), r.toString());
        assertTrue(r.stdout().contains("revision-six: XSDT FACP APIC HPET WAET\n"), r.toString());
        assertTrue(r.stderr().contains("limu: base revision 6 requested, 6 used (supported)"), r.toString());
        Limu.Result release = Limu.run("run", Limu.kernel("revision-six-release.elf").toString(), "--timeout", "30s");
        assertPassed(release, "revision-six: all checks passed");
    }

    private static String entropyLine(Limu.Result r) {
        return r.stdout().lines().filter(l -> l.startsWith("revision-six: entropy")).findFirst().orElseThrow();
    }

    @Test
    void entropyFollowsTheSeed() {
        String kernel = Limu.kernel("revision-six.elf").toString();
        Limu.Result seven = Limu.run("run", kernel, "--seed", "7", "--timeout", "30s");
        Limu.Result sevenAgain = Limu.run("run", kernel, "--seed", "7", "--timeout", "30s");
        Limu.Result eight = Limu.run("run", kernel, "--seed", "8", "--timeout", "30s");
        assertPassed(seven, "revision-six: all checks passed");
        assertPassed(eight, "revision-six: all checks passed");
        assertEquals(entropyLine(seven), entropyLine(sevenAgain));
        assertNotEquals(entropyLine(seven), entropyLine(eight));
    }

    @Test
    void spcrIsListedAfterQemusTablesOnlyWhenAskedFor() {
        Limu.Result r = Limu.run("run", Limu.kernel("revision-six.elf").toString(), "--acpi-table", "spcr",
                "--timeout", "30s");
        assertPassed(r, "revision-six: XSDT FACP APIC HPET WAET SPCR");
        // The acpi crate still parses the set, with and without the SPCR.
        Limu.Result acpi = Limu.run("run", Limu.kernel("acpi-x2apic.elf").toString(), "--timeout", "60s");
        assertTrue(acpi.stdout().contains("acpi: revision 2, tables: FACP APIC HPET WAET\r\n"), acpi.toString());
        Limu.Result acpiSpcr = Limu.run("run", Limu.kernel("acpi-x2apic.elf").toString(), "--acpi-table", "SPCR",
                "--timeout", "60s");
        assertTrue(acpiSpcr.stdout().contains("acpi: revision 2, tables: FACP APIC HPET WAET SPCR"),
                acpiSpcr.toString());
        // The platform kernel checks the SPCR it finds.
        Limu.Result platform = Limu.run("run", Limu.kernel("platform.elf").toString(), "--acpi-table", "spcr",
                "--timeout", "60s");
        assertEquals(33, platform.exitCode(), platform.toString());
        assertTrue(platform.stdout().contains("  spcr: revision 4 interface 0 space 1"), platform.toString());
        Limu.Result bad = Limu.run("run", Limu.kernel("platform.elf").toString(), "--acpi-table", "mcfg");
        assertEquals(2, bad.exitCode(), bad.toString());
        assertTrue(bad.stderr().contains("limu: --acpi-table mcfg: limu can add spcr"), bad.toString());
    }

    @Test
    void limuTestTakesTheSameBootChoicesAsLimuRun(@TempDir Path tmp) throws Exception {
        String six = Limu.kernel("revision-six.elf").toString();
        String pie = Limu.kernel("pie.elf").toString();
        Limu.Result t = Limu.run("test", "--success-exit-code", "33", "--log-dir", tmp.resolve("a").toString(),
                "--kaslr=3", "--seed", "7", "--acpi-table", "spcr", six, pie);
        assertEquals(0, t.exitCode(), t.toString());
        String sixLog = Files.readString(tmp.resolve("a/revision-six.log"));
        assertTrue(sixLog.contains("revision-six: XSDT FACP APIC HPET WAET SPCR"), sixLog);
        Limu.Result run = Limu.run("run", six, "--seed", "7", "--timeout", "30s");
        assertTrue(sixLog.contains(entropyLine(run)), "--seed 7 as limu run gives it\n" + sixLog);
        Limu.Result kaslr = Limu.run("run", pie, "--kaslr=3", "--timeout", "30s");
        String pieLog = Files.readString(tmp.resolve("a/pie.log"));
        assertEquals(virtualBase(kaslr), virtualBase(new Limu.Result(0, pieLog, "", 0)), "--kaslr=3 as limu run");

        Limu.Result bad = Limu.run("test", "--acpi-table", "mcfg", six);
        assertEquals(2, bad.exitCode(), bad.toString());
        assertTrue(bad.stderr().contains("limu: --acpi-table mcfg: limu can add spcr"), bad.toString());
    }

    // --- crafted files -------------------------------------------------------------------------------------

    /** The pie kernel's bytes with its dynamic section's RELA table located (it is linked at 0). */
    private static final class PieFile {
        final byte[] bytes;
        final ByteBuffer b;
        long relaOffset;
        long relaSizeAt;
        long secondLoadHeader;

        PieFile() throws IOException {
            bytes = Files.readAllBytes(Limu.kernel("pie.elf"));
            b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            long phoff = b.getLong(32);
            int phnum = b.getShort(56) & 0xFFFF;
            long dynamic = -1;
            int loads = 0;
            for (int i = 0; i < phnum; i++) {
                int p = (int) (phoff + 56L * i);
                int type = b.getInt(p);
                if (type == 2) {
                    dynamic = b.getLong(p + 8);
                } else if (type == 1 && ++loads == 2) {
                    secondLoadHeader = p;
                }
            }
            for (int d = (int) dynamic; b.getLong(d) != 0; d += 16) {
                if (b.getLong(d) == 7) {
                    relaOffset = fileOffset(b.getLong(d + 8));
                } else if (b.getLong(d) == 8) {
                    relaSizeAt = d + 8;
                }
            }
        }

        long fileOffset(long vaddr) {
            long phoff = b.getLong(32);
            for (int i = 0; i < (b.getShort(56) & 0xFFFF); i++) {
                int p = (int) (phoff + 56L * i);
                long v = b.getLong(p + 16);
                if (b.getInt(p) == 1 && vaddr >= v && vaddr < v + b.getLong(p + 32)) {
                    return b.getLong(p + 8) + vaddr - v;
                }
            }
            throw new AssertionError("0x" + Long.toHexString(vaddr) + " is not in the file");
        }
    }

    private Limu.Result runCrafted(PieFile f) throws IOException {
        Path p = tmp.resolve("crafted-pie.elf");
        Files.write(p, f.bytes);
        Limu.Result r = Limu.run("run", p.toString(), "--timeout", "30s");
        assertEquals(4, r.exitCode(), r.toString());
        assertEquals(1, r.stderr().lines().count(), "one line: " + r);
        r.assertNoStackTrace();
        return r;
    }

    @Test
    void anUnsupportedRelocationTypeIsNamed() throws IOException {
        PieFile f = new PieFile();
        long offset = f.b.getLong((int) f.relaOffset);
        f.b.putLong((int) f.relaOffset + 8, 2); // R_X86_64_PC32
        Limu.Result r = runCrafted(f);
        assertTrue(r.stderr().startsWith("limu: crafted-pie.elf: unsupported relocation R_X86_64_PC32 at 0x"
                + Long.toHexString(offset) + " (DT_RELA entry 0)"), r.toString());
    }

    @Test
    void aRelocationOutsideTheImageIsRefused() throws IOException {
        PieFile f = new PieFile();
        f.b.putLong((int) f.relaOffset + 24, 0x7000_0000L);
        Limu.Result r = runCrafted(f);
        assertTrue(r.stderr().startsWith("limu: crafted-pie.elf: relocation outside the image: DT_RELA entry 1"
                + " (R_X86_64_RELATIVE at 0x70000000)"), r.toString());
    }

    @Test
    void aRelaTableOutsideTheFileIsRefused() throws IOException {
        PieFile f = new PieFile();
        f.b.putLong((int) f.relaSizeAt, 24L << 32);
        Limu.Result r = runCrafted(f);
        assertTrue(r.stderr().contains("the DT_RELA table at 0x") && r.stderr().contains("lies outside the file"),
                r.toString());
    }

    @Test
    void overlappingSegmentsAreRefused() throws IOException {
        PieFile f = new PieFile();
        f.b.putLong((int) f.secondLoadHeader + 16, 0x100); // p_vaddr inside the first segment
        Limu.Result r = runCrafted(f);
        assertTrue(r.stderr().contains("overlap"), r.toString());
    }
}
