// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

/** A kernel booted into a sparse RAM, with helpers to inspect the result. */
record Booted(SparseMemory ram, BootPlan plan) {
    static final long MIB = 1L << 20;
    static final long GIB = 1L << 30;

    static TestMachine config(long memory) {
        return new TestMachine(memory).bootEpochSeconds(1_700_000_000L);
    }

    static Booted boot(byte[] elf) throws BootException {
        return boot(elf, config(64 * MIB));
    }

    static Booted boot(byte[] elf, TestMachine cfg) throws BootException {
        SparseMemory ram = SparseMemory.filled(cfg.memoryBytes(), 0xAA);
        BootPlan plan = LimineBoot.load(elf, "kernel.elf", cfg, cfg.volume(), ram);
        return new Booted(ram, plan);
    }

    /** Physical address of a kernel virtual address. */
    long phys(long vaddr) {
        return plan.kernelPhysicalBase() + (vaddr - plan.kernelVirtualBase());
    }

    long u64AtVirtual(long vaddr) {
        return ram.u64(phys(vaddr));
    }

    /** Follows an HHDM pointer. */
    long fromHhdm(long pointer) {
        long p = pointer - plan.hhdmOffset();
        if (p < 0 || p >= (1L << 40)) {
            throw new AssertionError("not an HHDM pointer: 0x" + Long.toHexString(pointer));
        }
        return p;
    }

    /** Physical address of the response of the request at {@code requestVaddr}, or -1 if NULL. */
    long response(long requestVaddr) {
        long pointer = u64AtVirtual(requestVaddr + 40);
        return pointer == 0 ? -1 : fromHhdm(pointer);
    }

    PageWalker walker() {
        return new PageWalker(ram, plan.bsp().control().cr3(), plan.pagingLevels());
    }

    MemoryType typeAt(long paddr) {
        for (MemoryMapEntry e : plan.memoryMap()) {
            if (paddr >= e.base() && paddr < e.end()) {
                return e.type();
            }
        }
        return null;
    }
}
