package limu.bootloader;

/**
 * The state a CPU must be in when it starts executing the kernel (FACTS 1.5).
 * General-purpose registers not listed here are zero. Segment registers hold
 * selectors into the GDT at {@code gdtrBase}; their hidden parts are what those
 * descriptors say (CS: 64-bit code, DPL 0; the others: flat writable data).
 */
public record CpuEntryState(long rip, long rsp, long rdi, long rflags, long cr0, long cr3, long cr4, long efer, long pat,
                            long gdtrBase, int gdtrLimit, long idtrBase, int idtrLimit,
                            int cs, int ds, int es, int fs, int gs, int ss, long fsBase, long gsBase) {
    /** This state with another instruction pointer. */
    public CpuEntryState withRip(long newRip) {
        return new CpuEntryState(newRip, rsp, rdi, rflags, cr0, cr3, cr4, efer, pat, gdtrBase, gdtrLimit, idtrBase,
                idtrLimit, cs, ds, es, fs, gs, ss, fsBase, gsBase);
    }
}
