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
        CpuEntryState t = template;
        return new CpuEntryState(rip, t.rsp(), t.rdi(), t.rflags(), t.cr0(), t.cr3(), t.cr4(), t.efer(), t.pat(),
                t.gdtrBase(), t.gdtrLimit(), t.idtrBase(), t.idtrLimit(), t.cs(), t.ds(), t.es(), t.fs(), t.gs(),
                t.ss(), t.fsBase(), t.gsBase());
    }
}
