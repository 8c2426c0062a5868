// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

/**
 * The state a CPU must be in when it starts executing the kernel, as the Limine protocol's entry machine state
 * describes it. General-purpose registers not listed here are zero.
 *
 * @param rip      where it starts
 * @param rsp      its stack pointer
 * @param rdi      the one argument register Limine sets (an AP's MP info; zero on the BSP)
 * @param rflags   flags at entry
 * @param control  paging and operating-mode registers
 * @param gdtr     the GDT the selectors index
 * @param idtr     the IDT (Limine leaves it empty)
 * @param segments selectors and the FS/GS bases
 */
public record CpuEntryState(long rip, long rsp, long rdi, long rflags, ControlRegisters control,
                            TableRegister gdtr, TableRegister idtr, Segments segments) {
    /**
     * CR0, CR3, CR4 and the two MSRs that decide the operating mode and memory types with them.
     *
     * @param efer IA32_EFER (long mode, NX)
     * @param pat  IA32_PAT (the memory types the page tables' PAT/PCD/PWT bits select)
     */
    public record ControlRegisters(long cr0, long cr3, long cr4, long efer, long pat) {
    }

    /** GDTR or IDTR: a descriptor table's linear base and its limit (size in bytes minus one). */
    public record TableRegister(long base, int limit) {
    }

    /**
     * Segment selectors into the GDT at {@link #gdtr}; their hidden parts are what those descriptors say (CS:
     * 64-bit code, DPL 0; the others: flat writable data). FS and GS bases come from their MSRs.
     */
    public record Segments(int cs, int ds, int es, int fs, int gs, int ss, long fsBase, long gsBase) {
    }

    /** This state with another instruction pointer. */
    public CpuEntryState withRip(long newRip) {
        return new CpuEntryState(newRip, rsp, rdi, rflags, control, gdtr, idtr, segments);
    }
}
