// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import limu.emulator.unicorn.DescriptorTable;
import limu.emulator.unicorn.Register;
import limu.emulator.unicorn.SystemSegment;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The delivery rules of Intel SDM vol. 3 ch. 6 on a fake engine (paging off,
 * linear = physical): gate decoding and checks, stack choice, frame layout,
 * RFLAGS, error codes and the escalation table.
 */
class IdtDeliveryTest {
    static final long GDT = 0x1000, IDT = 0x2000, TSS = 0x4000;
    static final long KERNEL_STACK = 0x80000, RSP0 = 0x90000, IST1 = 0xa0008, HANDLER = 0xffffffff80001000L;
    FakeEngine e;
    IdtDelivery d;

    @BeforeEach
    void setUp() {
        e = new FakeEngine();
        e.put(GDT + 0x08, 0x00209a0000000000L);    // kernel code
        e.put(GDT + 0x10, 0x0000920000000000L);    // kernel data
        e.put(GDT + 0x18, 0x0000f20000000000L);    // user data
        e.put(GDT + 0x20, 0x0020fa0000000000L);    // user code
        e.put(GDT + 0x38, 0x00409a0000000000L);    // 32-bit code: not a valid target
        e.gdtr = new DescriptorTable(GDT, 0x3f);
        e.idtr = new DescriptorTable(IDT, 256 * 16 - 1);
        e.put(TSS + 4, RSP0);
        e.put(TSS + 0x24, IST1);
        e.tr = new SystemSegment(0x28, TSS, 0x67, 0x8b);
        e.write(Register.RSP, KERNEL_STACK + 8);
        e.write(Register.RIP, 0xffffffff80000500L);
        e.write(Register.RFLAGS, 0x246 | (1 << 8) | (1 << 14) | (1 << 16));   // IF TF NT RF
        e.write(Register.CS, 0x08);
        e.write(Register.SS, 0x10);
        d = new IdtDelivery(0, e, engine -> "registers");
    }

    void gate(int vector, long handler, int dpl, int ist, int type, boolean present, int selector) {
        long lo = (handler & 0xffff) | ((long) selector << 16) | ((long) ist << 32) | ((long) type << 40)
                | ((long) dpl << 45) | (present ? 1L << 47 : 0) | (((handler >>> 16) & 0xffff) << 48);
        e.put(IDT + vector * 16L, lo);
        e.put(IDT + vector * 16L + 8, handler >>> 32);
    }

    void gate(int vector, int dpl, int ist, int type) {
        gate(vector, HANDLER + vector, dpl, ist, type, true, 0x08);
    }

    long[] frame(int words) {
        long rsp = e.read(Register.RSP);
        long[] f = new long[words];
        for (int i = 0; i < words; i++) {
            f[i] = e.u64(rsp + 8L * i);
        }
        return f;
    }

    @Test
    void aFaultWithAnErrorCodePushesSixWordsOnTheAlignedStack() {
        gate(13, 0, 0, 0xe);
        assertTrue(d.deliver(13, 0x48, IdtDelivery.Kind.EXCEPTION));
        assertEquals(KERNEL_STACK - 48, e.read(Register.RSP), "RSP aligned down to 16, then 6 pushes");
        long[] f = frame(6);
        assertEquals(0x48, f[0], "error code");
        assertEquals(0xffffffff80000500L, f[1], "RIP");
        assertEquals(0x08, f[2], "CS");
        assertEquals(0x246 | (1 << 8) | (1 << 14) | (1 << 16), f[3], "RFLAGS as before");
        assertEquals(KERNEL_STACK + 8, f[4], "old RSP");
        assertEquals(0x10, f[5], "SS");
        assertEquals(HANDLER + 13, e.read(Register.RIP));
        assertEquals(0x46, e.read(Register.RFLAGS), "IF, TF, NT, RF cleared by an interrupt gate");
        assertEquals(0x08, e.cs.selector());
        assertNull(e.ss, "same privilege: SS unchanged");
    }

    @Test
    void aTrapGateKeepsIfAndSoftwareInterruptsPushNoErrorCode() {
        gate(13, 0, 0, 0xf);
        assertTrue(d.deliver(13, 0x1234, IdtDelivery.Kind.SOFTWARE));   // INT 13: no error code
        assertEquals(KERNEL_STACK - 40, e.read(Register.RSP));
        assertEquals(0x246, e.read(Register.RFLAGS), "trap gate: IF stays; TF NT RF cleared");
    }

    @Test
    void fromRing3TheStackSwitchesToRsp0AndSsBecomesNull() {
        gate(0x80, 3, 0, 0xe);
        e.cpl = 3;
        e.write(Register.CS, 0x23);
        e.write(Register.SS, 0x1b);
        assertTrue(d.deliver(0x80, 0, IdtDelivery.Kind.SOFTWARE));
        assertEquals(RSP0 - 40, e.read(Register.RSP));
        long[] f = frame(5);
        assertEquals(0x23, f[1]);
        assertEquals(KERNEL_STACK + 8, f[3]);
        assertEquals(0x1b, f[4]);
        assertEquals(0, e.ss.selector(), "null SS with RPL 0");
        assertEquals(0, e.cpl);
    }

    @Test
    void anIstGateUsesItsStackAlignedTo16() {
        gate(8, 0, 1, 0xe);
        assertTrue(d.deliver(8, 0, IdtDelivery.Kind.EXCEPTION));
        assertEquals((IST1 & ~15L) - 48, e.read(Register.RSP));
    }

    @Test
    void softwareInterruptThroughAGateOfLowerDplIsGpWithTheIdtErrorCode() {
        gate(0x81, 0, 0, 0xe);
        gate(13, 0, 0, 0xe);
        e.cpl = 3;
        e.write(Register.RIP, 0x1002);                 // after "int 0x81" at 0x1000
        e.ram[0x1000] = (byte) 0xcd;
        e.ram[0x1001] = (byte) 0x81;
        assertTrue(d.deliver(0x81, 0, IdtDelivery.Kind.SOFTWARE));
        assertEquals(HANDLER + 13, e.read(Register.RIP));
        long[] f = frame(6);
        assertEquals(0x81 * 8 + 2, f[0], "IDT bit set, EXT clear (software)");
        assertEquals(0x1000, f[1], "the fault points at the INT instruction");
    }

    @Test
    void aGateNotPresentIsNpWithExtForAnException() {
        gate(6, HANDLER, 0, 0, 0xe, false, 0x08);
        gate(11, 0, 0, 0xe);
        assertTrue(d.deliver(6, 0, IdtDelivery.Kind.EXCEPTION));
        assertEquals(HANDLER + 11, e.read(Register.RIP), "#UD is benign: the #NP is delivered");
        assertEquals(6 * 8 + 2 + 1, frame(6)[0], "IDT | EXT");
    }

    @Test
    void aPageFaultWhoseGateIsMissingBecomesADoubleFault() {
        gate(14, HANDLER, 0, 0, 0xe, false, 0x08);
        gate(11, 0, 0, 0xe);
        gate(8, 0, 1, 0xe);
        assertTrue(d.deliver(14, 2, IdtDelivery.Kind.EXCEPTION));
        assertEquals(HANDLER + 8, e.read(Register.RIP), "#PF then #NP (contributory): #DF");
    }

    @Test
    void targetCodeSegmentChecks() {
        gate(13, 0, 0, 0xe);
        gate(3, HANDLER, 0, 0, 0xe, true, 0x38);      // 32-bit code segment
        assertTrue(d.deliver(3, 0, IdtDelivery.Kind.SOFTWARE));
        assertEquals(0x38, frame(6)[0], "#GP(selector)");
        gate(4, HANDLER, 0, 0, 0xe, true, 0x48);      // beyond the GDT limit
        assertTrue(d.deliver(4, 0, IdtDelivery.Kind.SOFTWARE));
        assertEquals(0x48, frame(6)[0]);
        gate(5, HANDLER, 0, 0, 0x6, true, 0x08);      // a 16-bit interrupt gate type
        assertTrue(d.deliver(5, 0, IdtDelivery.Kind.SOFTWARE));
        assertEquals(5 * 8 + 2, frame(6)[0]);
    }

    @Test
    void noIdtEndsInATripleFaultWithTheChain() {
        e.idtr = new DescriptorTable(0, 0);
        e.write(Register.CR2, 0xdead000);
        assertFalse(d.deliver(14, 2, IdtDelivery.Kind.EXCEPTION));
        ExceptionChain c = d.shutdown();
        assertNotNull(c);
        List<Integer> vectors = c.links().stream().map(ExceptionChain.Link::vector).toList();
        assertEquals(List.of(14, 13, 8, 13), vectors);
        assertEquals(0xdead000, c.links().get(0).cr2());
        assertEquals(2, c.links().get(0).errorCode());
        assertEquals(14 * 8 + 3, c.links().get(1).errorCode());
        assertEquals(0, c.links().get(2).errorCode());
        assertTrue(c.summary(a -> "").startsWith("CPU 0: triple fault after unhandled #PF page fault (vector 14)"));
        assertTrue(c.report(a -> " <f>").contains("vector 14 is beyond the IDT limit"));
        assertEquals(List.of("exceptionHandled"), e.log);
    }

    @Test
    void aStackThatCannotBeWrittenEscalatesToDoubleFaultOnItsIst() {
        // paging on: the only stack page is not present, the #DF gate uses IST1 (present)
        long pml4 = 0x10000, pdpt = 0x11000, pd = 0x12000;
        e.put(pml4, pdpt | 3);
        e.put(pdpt, pd | 3);
        e.put(pd, 0x83);                                // 2 MiB identity page at 0 ...
        e.put(pml4 + 511 * 8, pdpt | 3);                // ... and the same tables for the top of memory
        e.put(pdpt + 510 * 8, pd | 3);
        e.write(Register.CR3, pml4);
        e.write(Register.CR0, 0x80010011L);
        e.write(Register.RSP, 0x200000 + 0x100);        // beyond the 2 MiB page: not present
        gate(14, 0, 0, 0xe);
        gate(8, 0, 1, 0xe);
        assertTrue(d.deliver(14, 2, IdtDelivery.Kind.EXCEPTION));
        assertEquals(HANDLER + 8, e.read(Register.RIP));
        assertEquals(0x200000 + 0xf8, e.read(Register.CR2), "CR2 from the failed push");
        assertEquals(0, frame(6)[0], "#DF error code 0");
    }

    @Test
    void theEscalationTable() {
        assertEquals(Vectors.DF, Vectors.combine(Vectors.GP, Vectors.NP));
        assertEquals(Vectors.DF, Vectors.combine(Vectors.DE, Vectors.TS));
        assertEquals(Vectors.PF, Vectors.combine(Vectors.GP, Vectors.PF), "contributory then #PF: serial");
        assertEquals(Vectors.DF, Vectors.combine(Vectors.PF, Vectors.PF));
        assertEquals(Vectors.DF, Vectors.combine(Vectors.PF, Vectors.GP));
        assertEquals(Vectors.GP, Vectors.combine(Vectors.BP, Vectors.GP), "benign first: serial");
        assertEquals(Vectors.NP, Vectors.combine(0x80, Vectors.NP));
        assertEquals(-1, Vectors.combine(Vectors.DF, Vectors.PF));
        assertEquals(-1, Vectors.combine(Vectors.DF, Vectors.GP));
    }
}
