// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

/** A translation block a CPU executed: its linear start address, its size in bytes and how often it ran. */
public record ExecutedBlock(long address, int size, long count) {
    /** The linear address just past the block's last byte. */
    public long end() {
        return address + size;
    }
}
