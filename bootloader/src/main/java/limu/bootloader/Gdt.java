// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

/** The GDT Limine leaves loaded at entry (raw descriptors as observed under QEMU; docs/limine-notes.md, "CPU state at entry"). */
final class Gdt {
    static final long[] DESCRIPTORS = {
        0,
        0x00009b000000ffffL, // 0x08: 16-bit code
        0x000093000000ffffL, // 0x10: 16-bit data
        0x00cf9b000000ffffL, // 0x18: 32-bit code
        0x00cf93000000ffffL, // 0x20: 32-bit data
        0x00209b0000000000L, // 0x28: 64-bit code (L=1)
        0x0000930000000000L, // 0x30: 64-bit data
    };
    static final int SIZE = 8 * DESCRIPTORS.length;
    static final int LIMIT = SIZE - 1;
    static final int KERNEL_CODE = 0x28;
    static final int KERNEL_DATA = 0x30;

    private Gdt() {
    }

    static byte[] bytes() {
        byte[] b = new byte[SIZE];
        for (int i = 0; i < DESCRIPTORS.length; i++) {
            LittleEndian.putU64(b, 8 * i, DESCRIPTORS[i]);
        }
        return b;
    }
}
