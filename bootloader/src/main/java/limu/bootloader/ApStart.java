// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

/**
 * An application processor parked by the MP request: it waits for the kernel to store a non-zero address into its
 * {@code limine_mp_info.goto_address} ({@link #gotoAddressPhysical}), then starts there in {@link #entryAt} state:
 * the BSP's control registers, CR3, GDT, PAT and selectors, RSP = {@code stackTop - 8} (a zero qword is stored
 * there, the return address Limine's trampoline pushes), RDI = {@link #infoAddress}, other GPRs zero, RFLAGS 0x2.
 *
 * @param cpuIndex            0-based CPU number (the BSP is 0, so APs start at 1)
 * @param lapicId             its local APIC ID (= ACPI processor UID = cpuIndex)
 * @param gotoAddressPhysical guest-physical address of its 8-byte {@code goto_address} field (watch writes here)
 * @param infoAddress         HHDM address of its {@code limine_mp_info}, passed in RDI
 * @param stackTop            HHDM address of the top of its stack (also stored in {@code limine_mp_info.reserved})
 * @param entryState          its entry state with RIP 0, to be replaced by the written goto address
 */
public record ApStart(int cpuIndex, int lapicId, long gotoAddressPhysical, long infoAddress, long stackTop,
                      CpuEntryState entryState) {
    /** The state to start the AP in once the kernel stored {@code gotoAddress}. */
    public CpuEntryState entryAt(long gotoAddress) {
        return entryState.withRip(gotoAddress);
    }
}
