// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

/**
 * Windows ACPI Emulated Devices Table ({@code WAET}, Microsoft's WAET specification 1.0), 40 bytes, as QEMU's
 * {@code pc} machine builds it: revision 1 and a flags word with only bit 1 set, "the ACPI PM timer is good" (one
 * read gives a correct value, so no OS needs to read it repeatedly to work around broken timers); bit 0, "the RTC
 * needs no acknowledgement of its interrupt", stays clear as in QEMU.
 */
final class Waet {
    static final int REVISION = 1;
    static final int SIZE = 40;
    static final int FLAGS = 36;
    static final int RTC_NO_ACK = 1;
    static final int PM_TIMER_GOOD = 1 << 1;

    private Waet() {
    }

    static byte[] bytes() {
        return new AcpiTable("WAET", REVISION).u32(PM_TIMER_GOOD).bytes();
    }
}
