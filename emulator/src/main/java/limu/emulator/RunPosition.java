// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

/**
 * An exact moment of a run under gdb: inside slice number {@code slice} (slices counted from boot, every CPU's
 * turns in the order the run loop gave them), before the instruction at {@code rip} once the slice had counted
 * {@code blocks} translation blocks; with {@code blocks} 0, between slices, right after slice {@code slice - 1}.
 * One block never holds the same address twice, so (blocks, rip) names one instruction of a slice.
 */
public record RunPosition(long slice, long blocks, long rip) {
    /** Right after slice {@code slice - 1}, before the next one. */
    public static RunPosition before(long slice) {
        return new RunPosition(slice, 0, 0);
    }

    public boolean betweenSlices() {
        return blocks == 0;
    }
}
