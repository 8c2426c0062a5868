// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static limu.bootloader.Booted.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MpRequestTest {
    private static final long PAGE = 4096;

    private static Booted boot(int cpus, long flags, long stackSize, TestMachine cfg) throws BootException {
        TestKernel k = new TestKernel();
        k.baseRevision(3);
        k.request(TestKernel.MP, 0, flags);
        if (stackSize > 0) {
            k.request(TestKernel.STACK_SIZE, 0, stackSize);
        }
        return Booted.boot(k.build(), cfg.cpus(cpus));
    }

    @Test
    void oneCpuGetsAResponseWithTheBspOnly() throws Exception {
        TestKernel k = new TestKernel();
        long req = k.request(TestKernel.MP, 0, 0);
        Booted b = Booted.boot(k.build());
        SparseMemory ram = b.ram();
        long r = b.response(req);
        assertEquals(0, ram.u64(r), "revision");
        assertEquals(0, LittleEndian.u32(ram.bytes(r + 8, 4), 0), "flags");
        assertEquals(0, LittleEndian.u32(ram.bytes(r + 12, 4), 0), "BSP LAPIC ID");
        assertEquals(1, ram.u64(r + 16));
        long info = b.fromHhdm(ram.u64(b.fromHhdm(ram.u64(r + 24))));
        assertEquals(0, ram.u64(info), "processor_id 0, lapic_id 0");
        assertEquals(0, ram.u64(info + 8), "reserved");
        assertEquals(0, ram.u64(info + 16), "goto_address");
        assertEquals(0, ram.u64(info + 24), "extra_argument");
        assertTrue(b.plan().aps().isEmpty());
        assertEquals(1, b.plan().cpuCount());
        assertTrue(b.plan().answeredRequests().contains("MP"));
    }

    @Test
    void fourCpusAreParkedWithTheirOwnStacks() throws Exception {
        Booted b = boot(4, 0, 256 * 1024, Booted.config(64 * MIB));
        BootPlan plan = b.plan();
        SparseMemory ram = b.ram();
        long r = b.response(TestKernel.DATA + 8L * 3 + 0); // first request after the 3-word tag
        assertEquals(4, ram.u64(r + 16));
        long list = b.fromHhdm(ram.u64(r + 24));
        long first = b.fromHhdm(ram.u64(list));
        List<long[]> stacks = new ArrayList<>();
        for (int cpu = 0; cpu < 4; cpu++) {
            long info = b.fromHhdm(ram.u64(list + 8L * cpu));
            assertEquals(first + 32L * cpu, info, "contiguous, stride 32");
            assertEquals(MemoryType.BOOTLOADER_RECLAIMABLE, b.typeAt(info));
            byte[] ids = ram.bytes(info, 8);
            assertEquals(cpu, LittleEndian.u32(ids, 0), "processor_id = ACPI UID");
            assertEquals(cpu, LittleEndian.u32(ids, 4), "lapic_id");
            assertEquals(0, ram.u64(info + 16), "goto_address NULL at entry");
            assertEquals(0, ram.u64(info + 24));
            if (cpu == 0) {
                assertEquals(0, ram.u64(info + 8));
                continue;
            }
            long top = b.fromHhdm(ram.u64(info + 8));
            assertEquals(0, top % PAGE);
            assertEquals(0, ram.u64(top - 8), "zero return address at top - 8");
            for (long a = top - 256 * 1024; a < top; a += PAGE) {
                assertEquals(MemoryType.BOOTLOADER_RECLAIMABLE, b.typeAt(a), "AP stack page");
            }
            stacks.add(new long[]{top - 256 * 1024, top});

            ApStart ap = plan.aps().get(cpu - 1);
            assertEquals(cpu, ap.cpuIndex());
            assertEquals(cpu, ap.lapicId());
            assertEquals(info + 16, ap.gotoAddressPhysical());
            assertEquals(b.plan().hhdmOffset() + info, ap.infoAddress());
            assertEquals(ram.u64(info + 8), ap.stackTop());
            CpuEntryState s = ap.entryAt(0xffff_ffff_8000_0040L);
            CpuEntryState bsp = plan.bsp();
            assertEquals(0xffff_ffff_8000_0040L, s.rip());
            assertEquals(ap.stackTop() - 8, s.rsp());
            assertEquals(ap.infoAddress(), s.rdi());
            assertEquals(bsp.control(), s.control(), "CR0, CR3, CR4, EFER and PAT as on the BSP");
            assertEquals(bsp.gdtr(), s.gdtr());
            assertEquals(bsp.segments(), s.segments());
            assertEquals(0x28, s.segments().cs());
            assertEquals(0x30, s.segments().ss());
            assertEquals(0x2, s.rflags());
            // The AP's stack and info are reachable through the shared page tables (revision 3 HHDM).
            PageWalker w = b.walker();
            assertEquals(top - 8, w.physical(s.rsp()));
            assertEquals(info, w.physical(s.rdi()));
        }
        assertEquals(3, plan.aps().size());
        stacks.add(new long[]{b.fromHhdm(plan.bsp().rsp()) + 8 - 256 * 1024, b.fromHhdm(plan.bsp().rsp()) + 8});
        for (int i = 0; i < stacks.size(); i++) {
            for (int j = i + 1; j < stacks.size(); j++) {
                assertTrue(stacks.get(i)[1] <= stacks.get(j)[0] || stacks.get(j)[1] <= stacks.get(i)[0],
                        "stacks " + i + " and " + j + " are disjoint");
            }
        }
        assertFalse(plan.x2apicEnabled());
        LimineBootTest.checkWellFormed(plan.memoryMap());
    }

    @Test
    void x2apicIsEnabledOnlyIfAskedAndSupported() throws Exception {
        Booted asked = boot(2, 1, 0, Booted.config(64 * MIB));
        long r = asked.response(TestKernel.DATA + 24);
        assertEquals(1, LittleEndian.u32(asked.ram().bytes(r + 8, 4), 0));
        assertTrue(asked.plan().x2apicEnabled());

        Booted unsupported = boot(2, 1, 0, Booted.config(64 * MIB).x2apic(false));
        r = unsupported.response(TestKernel.DATA + 24);
        assertEquals(0, LittleEndian.u32(unsupported.ram().bytes(r + 8, 4), 0));
        assertFalse(unsupported.plan().x2apicEnabled());

        Booted notAsked = boot(2, 0, 0, Booted.config(64 * MIB));
        assertFalse(notAsked.plan().x2apicEnabled());
    }

    @Test
    void withoutTheRequestApsWaitForSipiAndGetNoStacks() throws Exception {
        TestKernel k = new TestKernel();
        k.baseRevision(3);
        Booted b = Booted.boot(k.build(), Booted.config(64 * MIB).cpus(4));
        assertTrue(b.plan().aps().isEmpty());
        assertEquals(4, b.plan().cpuCount());
        long blr = b.plan().memoryMap().stream().filter(e -> e.type() == MemoryType.BOOTLOADER_RECLAIMABLE)
                .mapToLong(MemoryMapEntry::length).sum();
        Booted with = boot(4, 0, 0, Booted.config(64 * MIB));
        long blrWith = with.plan().memoryMap().stream().filter(e -> e.type() == MemoryType.BOOTLOADER_RECLAIMABLE)
                .mapToLong(MemoryMapEntry::length).sum();
        assertTrue(blrWith >= blr + 3 * 64 * 1024, "three 64 KiB AP stacks");
    }

    @Test
    void sixtyFourCpus() throws Exception {
        Booted b = boot(64, 0, 0, Booted.config(64 * MIB));
        assertEquals(63, b.plan().aps().size());
        assertEquals(63, b.plan().aps().get(62).lapicId());
    }
}
