// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

/**
 * Fixed ACPI Description Table ({@code FACP}), revision 6 (ACPI 6.4, 276 bytes, §5.2.9). The fixed-hardware
 * blocks are QEMU's PIIX4 ones: SCI on IRQ 9, PM1a event block 0xB000, PM1a control 0xB004, PM timer 0xB008
 * (24-bit), GPE0 0xAFE0; flags 0x80A5 as QEMU. SMI_CMD is 0: the machine is always in ACPI mode, so an OS never
 * has to hand over from SMM. The 64-bit X_ register blocks are left zero (the 32-bit ones apply); X_DSDT and
 * X_FIRMWARE_CTRL repeat the 32-bit pointers. Not hardware-reduced, so a FACS is provided.
 */
final class Fadt {
    static final int REVISION = 6;
    static final int MINOR_REVISION = 4;
    static final int SIZE = 276;

    static final int FIRMWARE_CTRL = 36;
    static final int DSDT = 40;
    static final int SCI_INT = 46;
    static final int SMI_CMD = 48;
    static final int PM1A_EVT_BLK = 56;
    static final int PM1A_CNT_BLK = 64;
    static final int PM_TMR_BLK = 76;
    static final int GPE0_BLK = 80;
    static final int PM1_EVT_LEN = 88;
    static final int PM1_CNT_LEN = 89;
    static final int PM_TMR_LEN = 91;
    static final int GPE0_BLK_LEN = 92;
    static final int CENTURY = 108;
    static final int IAPC_BOOT_ARCH = 109;
    static final int FLAGS = 112;
    static final int FADT_MINOR_VERSION = 131;
    static final int X_FIRMWARE_CTRL = 132;
    static final int X_DSDT = 140;

    static final int SCI_IRQ = 9;
    static final int PM1A_EVENT_PORT = 0xB000;
    static final int PM1A_CONTROL_PORT = 0xB004;
    static final int PM_TIMER_PORT = 0xB008;
    static final int GPE0_PORT = 0xAFE0;
    /** WBINVD | PROC_C1 | SLP_BUTTON | RTC_S4 | USE_PLATFORM_CLOCK, as QEMU's FADT. */
    static final int FEATURE_FLAGS = 0x80A5;
    /** IA-PC boot architecture: LEGACY_DEVICES (COM1 is not enumerable) | VGA Not Present. */
    static final int BOOT_ARCH_FLAGS = 0x0005;
    /** The RTC CMOS register holding the century, as on a PC. */
    static final int RTC_CENTURY_INDEX = 0x32;
    /** C2/C3 latencies above 100/1000 µs mean "not supported". */
    private static final int NO_C_STATE = 0x0FFF;

    private Fadt() {
    }

    static byte[] bytes(long dsdt, long facs) {
        if ((dsdt | facs) >>> 32 != 0) {
            throw new IllegalArgumentException("DSDT or FACS above 4 GiB");
        }
        AcpiTable t = new AcpiTable("FACP", REVISION);
        t.u32(facs); // FIRMWARE_CTRL
        t.u32(dsdt); // DSDT
        t.u8(0); // reserved (ACPI 1.0 INT_MODEL)
        t.u8(0); // Preferred_PM_Profile: unspecified
        t.u16(SCI_IRQ);
        t.u32(0); // SMI_CMD: none, always in ACPI mode
        t.u8(0).u8(0).u8(0).u8(0); // ACPI_ENABLE, ACPI_DISABLE, S4BIOS_REQ, PSTATE_CNT
        t.u32(PM1A_EVENT_PORT).u32(0); // PM1a/PM1b_EVT_BLK
        t.u32(PM1A_CONTROL_PORT).u32(0); // PM1a/PM1b_CNT_BLK
        t.u32(0); // PM2_CNT_BLK
        t.u32(PM_TIMER_PORT);
        t.u32(GPE0_PORT).u32(0); // GPE0/GPE1_BLK
        t.u8(4).u8(2).u8(0).u8(4).u8(4).u8(0); // PM1_EVT, PM1_CNT, PM2_CNT, PM_TMR, GPE0, GPE1 lengths
        t.u8(0).u8(0); // GPE1_BASE, CST_CNT
        t.u16(NO_C_STATE).u16(NO_C_STATE); // P_LVL2_LAT, P_LVL3_LAT
        t.u16(0).u16(0); // FLUSH_SIZE, FLUSH_STRIDE
        t.u8(0).u8(0); // DUTY_OFFSET, DUTY_WIDTH
        t.u8(0).u8(0).u8(RTC_CENTURY_INDEX); // DAY_ALRM, MON_ALRM, CENTURY
        t.u16(BOOT_ARCH_FLAGS);
        t.u8(0); // reserved
        t.u32(FEATURE_FLAGS);
        t.gas(0, 0, 0, 0, 0); // RESET_REG: none
        t.u8(0); // RESET_VALUE
        t.u16(0); // ARM_BOOT_ARCH
        t.u8(MINOR_REVISION);
        t.u64(facs); // X_FIRMWARE_CTRL
        t.u64(dsdt); // X_DSDT
        t.zeros(10 * 12); // X_PM1a_EVT .. X_GPE1, SLEEP_CONTROL_REG, SLEEP_STATUS_REG: use the 32-bit blocks
        t.u64(0); // Hypervisor Vendor Identity
        byte[] b = t.bytes();
        if (b.length != SIZE) {
            throw new IllegalStateException("FADT is " + b.length + " bytes");
        }
        return b;
    }
}
