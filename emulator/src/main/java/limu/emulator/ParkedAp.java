// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import limu.bootloader.CpuEntryState;

/**
 * An application processor parked the way Limine parks it: it waits until the
 * kernel writes its {@code goto_address}, then enters there with RDI = its MP
 * info, RSP = the info's {@code reserved} stack top minus 8 (a zero pushed),
 * and the BSP's paging, GDT and control registers. limu watches the field
 * between slices instead of spinning a guest loop.
 *
 * @param gotoAddressPhysical where the kernel writes the entry point
 * @param template the entry state, RIP left to be the goto_address
 */
record ParkedAp(int cpu, long gotoAddressPhysical, CpuEntryState template) {
    CpuEntryState enteringAt(long rip) {
        return template.withRip(rip);
    }
}
