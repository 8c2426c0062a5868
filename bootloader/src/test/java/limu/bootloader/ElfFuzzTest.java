// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Damaged kernels may only ever produce a BootException: never an IndexOutOfBounds, NegativeArraySize or OOM. */
class ElfFuzzTest {
    private static final long[] NASTY = {0, 1, 7, 8, 0x38, 0x40, 0xFFFF, 0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFFL,
        0x1_0000_0000L, Long.MAX_VALUE, Long.MIN_VALUE, -1, -8, -0x1000, 0xffff_ffff_8000_0000L, 0x4000_0000L};

    private static byte[] seed() {
        TestKernel k = new TestKernel().withRequestsSection();
        k.baseRevision(3);
        k.request(TestKernel.HHDM, 0);
        k.request(TestKernel.MEMMAP, 0);
        k.request(TestKernel.PAGING_MODE, 1, 0, 1, 0);
        k.request(TestKernel.STACK_SIZE, 0, 0x10000);
        return k.builder().func("_RNvCs1_6kernel4main", TestKernel.ENTRY, 0x10).build();
    }

    private static int boots;

    private static void tryBoot(byte[] elf) {
        try {
            BootPlan plan = LimineBoot.load(elf, "kernel.elf", new TestMachine(64L << 20).cmdline("x")
                    .fiveLevelPaging(true), BootVolume.NONE, new SparseMemory(RamLayout.forSize(64L << 20), 0));
            plan.kernel().symbolize(plan.bsp().rip());
            plan.kernel().symbolize(0);
            boots++;
        } catch (BootException e) {
            assertTrue(e.getMessage().startsWith("kernel.elf: ") && !e.getMessage().contains("\n"), e.getMessage());
        } catch (RuntimeException | Error e) {
            throw new AssertionError("input made load() throw " + e, e);
        }
    }

    @Test
    void everyHeaderFieldWithNastyValues() {
        byte[] seed = seed();
        // ELF header fields, the three program headers, the first section headers: every 2-, 4- and 8-byte field.
        int[][] fields = {
            {16, 2}, {18, 2}, {20, 4}, {24, 8}, {32, 8}, {40, 8}, {48, 4}, {52, 2}, {54, 2}, {56, 2}, {58, 2},
            {60, 2}, {62, 2}};
        for (int[] f : fields) {
            for (long v : NASTY) {
                tryBoot(patch(seed, f[0], f[1], v));
            }
        }
        for (int ph = 0; ph < 3; ph++) {
            int base = 64 + 56 * ph;
            int[][] phFields = {{0, 4}, {4, 4}, {8, 8}, {16, 8}, {24, 8}, {32, 8}, {40, 8}, {48, 8}};
            for (int[] f : phFields) {
                for (long v : NASTY) {
                    tryBoot(patch(seed, base + f[0], f[1], v));
                }
            }
        }
        int shoff = (int) LittleEndian.u64(seed, 40);
        int shnum = LittleEndian.u16(seed, 60);
        for (int sh = 0; sh < shnum; sh++) {
            int base = shoff + 64 * sh;
            int[][] shFields = {{0, 4}, {4, 4}, {8, 8}, {16, 8}, {24, 8}, {32, 8}, {40, 4}, {44, 4}, {56, 8}};
            for (int[] f : shFields) {
                for (long v : NASTY) {
                    tryBoot(patch(seed, base + f[0], f[1], v));
                }
            }
        }
        assertTrue(boots > 0, "some mutants still boot");
    }

    @Test
    void randomBytesAndTruncations() {
        byte[] seed = seed();
        Random random = new Random(42);
        for (int i = 0; i < 1500; i++) {
            byte[] elf = seed.clone();
            int flips = 1 + random.nextInt(8);
            for (int j = 0; j < flips; j++) {
                // Bias towards the headers, where the structure is.
                int at = random.nextBoolean() ? random.nextInt(Math.min(elf.length, 300)) : random.nextInt(elf.length);
                elf[at] = (byte) random.nextInt(256);
            }
            tryBoot(elf);
        }
        for (int len = 0; len < seed.length; len += 1 + len / 16) {
            tryBoot(Arrays.copyOf(seed, len));
        }
    }

    private static byte[] patch(byte[] seed, int offset, int width, long value) {
        byte[] b = seed.clone();
        for (int i = 0; i < width; i++) {
            b[offset + i] = (byte) (value >>> (8 * i));
        }
        return b;
    }
}
