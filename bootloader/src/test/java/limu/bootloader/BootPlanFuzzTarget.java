// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Jazzer target: a whole boot plan from a kernel file's bytes (ELF parsing, relocations, the request scan, every
 * response, page tables), then the debugging information a crash report would read. Bad bytes may only give a
 * one-line {@link BootException} naming the file; anything else thrown is a finding.
 */
class BootPlanFuzzTarget {
    @FuzzTest(maxDuration = "1s")
    void fuzz(byte[] elf) {
        BootPlan plan;
        try {
            plan = LimineBoot.load(elf, "kernel.elf", new TestMachine(64L << 20).cmdline("fuzz").fiveLevelPaging(true),
                    BootVolume.NONE, new SparseMemory(RamLayout.forSize(64L << 20), 0));
        } catch (BootException e) {
            assertTrue(e.getMessage().startsWith("kernel.elf: ") && !e.getMessage().contains("\n"), e.getMessage());
            return;
        }
        ElfFile kernel = plan.kernel();
        long rip = plan.bsp().rip();
        kernel.symbolize(rip);
        kernel.symbolize(0);
        kernel.symbolStart(rip);
        kernel.lines().at(rip);
        kernel.inlines().at(rip);
    }
}
