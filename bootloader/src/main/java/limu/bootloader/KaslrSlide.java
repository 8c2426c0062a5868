// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static limu.bootloader.LittleEndian.hex;

import java.util.OptionalLong;
import java.util.SplittableRandom;

/**
 * How far a relocatable kernel is moved from its link addresses, chosen as Limine's {@code elf64_load} chooses it
 * (docs/relocatable-kernels.md):
 * <ul>
 * <li>A static executable ({@code ET_EXEC}) is never moved.</li>
 * <li>A relocatable one linked in the top 2 GiB stays where it was linked unless KASLR is on (Limine 10 and later
 * leave KASLR off by default for relocatable kernels).</li>
 * <li>One linked below the top 2 GiB is moved so its lowest segment starts at 0xffffffff80000000; its segments may
 * not mix both halves.</li>
 * <li>With KASLR, a 32-bit random number rounded down to the largest {@code p_align} of the PT_LOAD segments is
 * added (on top of the move above); numbers that would push the image's end past 2^64 are drawn again, at most
 * 0x10000 times. So the slide is a multiple of that alignment below 4 GiB, and for a kernel linked at
 * 0xffffffff80000000 it keeps the whole image below 2^64.</li>
 * </ul>
 * Limine draws from a Mersenne Twister seeded from the TSC and RDRAND; limu draws from {@link SplittableRandom}
 * seeded with the {@code --kaslr} seed, so the same seed gives the same slide.
 */
final class KaslrSlide {
    static final long HIGHER_HALF = KernelImage.HIGHER_HALF_KERNEL;
    static final int MAX_TRIES = 0x10000;

    private KaslrSlide() {
    }

    /** The slide for {@code elf} as linked; {@code seed} present means KASLR is on. */
    static long choose(ElfFile elf, OptionalLong seed) throws BootException {
        if (elf.type() != ElfFile.ET_DYN) {
            return 0;
        }
        long min = -1;
        long max = 0;
        long maxAlign = 0;
        boolean low = false;
        boolean high = false;
        for (ElfFile.Segment s : elf.segments()) {
            if (!s.isLoad() || s.memSize() == 0) {
                continue;
            }
            if (Long.compareUnsigned(s.vaddr(), HIGHER_HALF) < 0) {
                low = true;
            } else {
                high = true;
            }
            if (Long.compareUnsigned(s.vaddr(), min) < 0) {
                min = s.vaddr();
            }
            if (Long.compareUnsigned(s.vend(), max) > 0) {
                max = s.vend();
            }
            maxAlign = Math.max(maxAlign, s.align());
        }
        if (min == -1) {
            return 0; // no PT_LOAD segment: KernelImage says so
        }
        if (low && high) {
            throw new BootException(elf.name() + ": relocatable kernel with segments both below and in the top 2 GiB;"
                    + " Limine refuses such a mix");
        }
        long base = low ? HIGHER_HALF - min : 0;
        long size = max - min;
        if (low && Long.compareUnsigned(size, -HIGHER_HALF) > 0) {
            throw new BootException(elf.name() + ": relocatable kernel of " + hex(size) + " bytes does not fit in"
                    + " the top 2 GiB");
        }
        if (seed.isEmpty()) {
            return base;
        }
        long mask = maxAlign <= 1 ? -1L : -Long.highestOneBit(maxAlign);
        SplittableRandom random = new SplittableRandom(seed.getAsLong());
        for (int tries = 0; tries < MAX_TRIES; tries++) {
            long slide = ((random.nextInt() & 0xFFFF_FFFFL) & mask) + base;
            // The image must still end at or below 2^64 (its end, min + slide + size, must not wrap below the top
            // 2 GiB): Limine's check, which relies on that wrap.
            if (Long.compareUnsigned(min + slide + size, HIGHER_HALF) >= 0) {
                return slide;
            }
        }
        throw new BootException(elf.name() + ": no KASLR slide keeps the " + hex(size) + "-byte kernel below the top"
                + " of the address space");
    }
}
