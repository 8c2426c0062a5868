// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Re-measures, on the libunicorn limu really loads, the Unicorn behaviour the
 * machine relies on (docs/unicorn-notes.md): the guest's own page tables translate,
 * HLT returns with RIP after it, exceptions reach the interrupt hook with the
 * faulting RIP and CR2, IN/OUT hooks see RIP at the instruction, and the
 * shim's stops (port, budget, unmapped physical memory) say why.
 */
class UnicornEngineTest {
    static final long CODE = 0xffffffff80000000L;     // -> phys 0x200000
    static final long DATA = 0xffffffff80200000L;     // -> phys 0x600000
    static final long MMIO = 0xffffffff80400000L;     // -> phys 0xfee00000, not RAM
    static final long RAM = 16L << 20;

    final List<String> portLog = new ArrayList<>();
    final List<Long> ripInHook = new ArrayList<>();
    boolean stopOnOut;
    int inValue = 0x5a;
    HostMemory ram;
    UnicornEngine cpu;

    @BeforeEach
    void setUp() {
        UnicornLibrary lib = UnicornLibrary.load(java.util.Optional.empty());
        ram = new HostMemory(lib, RAM);
        cpu = new UnicornEngine(lib, new CpuHooks() {
            @Override
            public int portIn(int port, int size) {
                portLog.add("in " + Integer.toHexString(port) + "/" + size);
                ripInHook.add(cpu.read(Register.RIP));
                return inValue;
            }

            @Override
            public boolean portOut(int port, int size, int value) {
                portLog.add("out " + Integer.toHexString(port) + "/" + size + "=" + Integer.toHexString(value));
                ripInHook.add(cpu.read(Register.RIP));
                return stopOnOut;
            }

            @Override
            public long mmioRead(long address, int size) {
                portLog.add("mmio read " + Long.toHexString(address) + "/" + size);
                return 0x11223344L;
            }

            @Override
            public boolean mmioWrite(long address, int size, long value) {
                portLog.add("mmio write " + Long.toHexString(address) + "/" + size + "=" + Long.toHexString(value));
                return stopOnOut;
            }
        }, false);
        cpu.mapRam(0, RAM, ram.address());
        // 4-level tables: PML4 0x1000, PDPT 0x2000, PD 0x3000, 2 MiB pages
        ram.writeLong(0x1000 + 511 * 8, 0x2000 | 3);
        ram.writeLong(0x2000 + 510 * 8, 0x3000 | 3);
        ram.writeLong(0x3000, 0x200000 | 0x83);
        ram.writeLong(0x3000 + 8, 0x600000 | 0x83);
        ram.writeLong(0x3000 + 16, 0xfee00000L | 0x83);
        cpu.write(Register.CR4, 0x20);
        cpu.writeMsr(0xC0000080, 0xd00);
        cpu.write(Register.CR3, 0x1000);
        cpu.write(Register.CR0, 0x80010011L);
        cpu.write(Register.RSP, DATA + 0x1000);
        cpu.write(Register.RIP, CODE);
    }

    @AfterEach
    void tearDown() {
        cpu.close();
        ram.close();
    }

    void code(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) bytes[i];
        }
        ram.write(0x200000, b, 0, b.length);
    }

    static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) {
            n += p.length;
        }
        int[] r = new int[n];
        int i = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, r, i, p.length);
            i += p.length;
        }
        return r;
    }

    static int[] movImm64(int opcode, long v) {   // 48 B8+r imm64
        int[] r = new int[10];
        r[0] = 0x48;
        r[1] = opcode;
        for (int i = 0; i < 8; i++) {
            r[2 + i] = (int) (v >>> (8 * i)) & 0xff;
        }
        return r;
    }

    @Test
    void guestPageTablesTranslateAndHltReturnsAfterIt() {
        code(concat(movImm64(0xb8, 0x1122334455667788L), movImm64(0xbb, DATA + 0x10),
                new int[] {0x48, 0x89, 0x03, 0xf4}));   // mov [rbx], rax; hlt
        Slice s = cpu.run(1000);
        assertEquals(RunExit.RETURNED, s.exit());
        assertEquals(0x1122334455667788L, ram.readLong(0x600010), "store went through PD[1] to phys 0x600010");
        assertEquals(CODE + 24, cpu.read(Register.RIP), "RIP is just past the hlt");
        byte[] viaVirtual = new byte[8];
        assertTrue(cpu.readVirtual(DATA + 0x10, viaVirtual));
        assertEquals(0x88, viaVirtual[0] & 0xff);
        assertFalse(cpu.readVirtual(0x0000100000000000L, viaVirtual), "unmapped linear address");
    }

    @Test
    void outHookSeesPortSizeValueAndRipAtTheInstruction() {
        code(0xb0, 0x42, 0xe6, 0xf4, 0x66, 0xba, 0xf8, 0x03, 0x66, 0xb8, 0x34, 0x12, 0x66, 0xef, 0xf4);
        // mov al,0x42; out 0xf4,al; mov dx,0x3f8; mov ax,0x1234; out dx,ax; hlt
        Slice s = cpu.run(1000);
        assertEquals(RunExit.RETURNED, s.exit());
        assertEquals(List.of("out f4/1=42", "out 3f8/2=1234"), portLog);
        assertEquals(List.of(CODE + 2, CODE + 12), ripInHook);
    }

    @Test
    void inHookValueLandsInTheRegister() {
        code(0x48, 0x31, 0xc0, 0xe4, 0x60, 0xf4);         // xor rax,rax; in al,0x60; hlt
        cpu.run(1000);
        assertEquals(List.of("in 60/1"), portLog);
        assertEquals(0x5a, cpu.read(Register.RAX));
        assertEquals(List.of(CODE + 3), ripInHook);
    }

    @Test
    void aPortWriteCanStopTheMachine() {
        stopOnOut = true;
        code(0xb0, 0x10, 0xe6, 0xf4, 0xeb, 0xfe);        // mov al,0x10; out 0xf4,al; jmp $
        Slice s = cpu.run(1_000_000);
        assertEquals(RunExit.PORT_STOP, s.exit());
        assertEquals(List.of("out f4/1=10"), portLog);
    }

    @Test
    void pageFaultReachesTheHookWithFaultingRipAndCr2() {
        code(concat(movImm64(0xbb, 0x0000100000000000L), new int[] {0x48, 0x8b, 0x03, 0xf4}));
        Slice s = cpu.run(1000);
        assertEquals(RunExit.INTERRUPT, s.exit());
        assertEquals(14, s.vector());
        assertEquals(CODE + 10, cpu.read(Register.RIP), "a fault reports the faulting instruction");
        assertEquals(0x0000100000000000L, cpu.read(Register.CR2));
    }

    @Test
    void int3IsATrapWithRipAfterIt() {
        code(0x90, 0xcc, 0xf4);
        Slice s = cpu.run(1000);
        assertEquals(RunExit.INTERRUPT, s.exit());
        assertEquals(3, s.vector());
        assertEquals(CODE + 2, cpu.read(Register.RIP));
    }

    @Test
    void ud2IsAnInvalidOpcode() {
        code(0x90, 0x0f, 0x0b);
        Slice s = cpu.run(1000);
        assertEquals(RunExit.INVALID_OPCODE, s.exit());
        assertEquals(6, s.vector());
    }

    @Test
    void aSpinningGuestEndsTheSliceOnItsBudget() {
        code(0xeb, 0xfe);                                  // jmp $
        Slice s = cpu.run(5000);
        assertEquals(RunExit.BUDGET, s.exit());
        assertEquals(5000, s.blocks());
        assertEquals(CODE, cpu.read(Register.RIP));
        s = cpu.run(10);
        assertEquals(RunExit.BUDGET, s.exit(), "and it resumes where it stopped");
    }

    @Test
    void aRequestedStopEndsTheSlice() {
        code(0xeb, 0xfe);
        cpu.requestStop();
        assertEquals(RunExit.REQUESTED, cpu.run(1_000_000).exit());
        assertEquals(RunExit.BUDGET, cpu.run(100).exit(), "a request is consumed by one slice");
    }

    @Test
    void accessToUnbackedPhysicalMemoryIsReportedWithItsAddress() {
        code(concat(movImm64(0xbb, MMIO + 0x20), new int[] {0x8b, 0x03, 0xf4}));   // mov eax,[rbx]
        Slice s = cpu.run(1000);
        assertEquals(RunExit.UNMAPPED, s.exit());
        assertEquals(0xfee00020L, s.address());
        assertEquals(MemoryAccess.READ, s.access());
        assertEquals(4, s.size());
    }

    @Test
    void deviceWindowsReachTheHooksWithPhysicalAddresses() {
        cpu.mapMmio(0xfee00000L, 0x1000);
        // mov rbx, MMIO+0x20; mov eax,[rbx]; mov dword [rbx+0x10], 0xabcd; mov rcx,[rbx+0x30]; hlt
        code(concat(movImm64(0xbb, MMIO + 0x20), new int[] {0x8b, 0x03, 0xc7, 0x43, 0x10, 0xcd, 0xab, 0, 0,
            0x48, 0x8b, 0x4b, 0x30, 0xf4}));
        Slice s = cpu.run(1000);
        assertEquals(RunExit.RETURNED, s.exit());
        assertEquals(0x11223344L, cpu.read(Register.RAX));
        assertEquals(List.of("mmio read fee00020/4", "mmio write fee00030/4=abcd", "mmio read fee00050/4",
                "mmio read fee00054/4"), portLog, "an 8-byte read arrives as two 4-byte ones");
        assertEquals(0x1122334411223344L, cpu.read(Register.RCX));
    }

    @Test
    void aDeviceWindowWriteCanStopTheMachineAtTheNextBlock() {
        cpu.mapMmio(0xfee00000L, 0x1000);
        stopOnOut = true;
        // mov rbx, MMIO; mov dword [rbx], 1; jmp $
        code(concat(movImm64(0xbb, MMIO), new int[] {0xc7, 0x03, 1, 0, 0, 0, 0xeb, 0xfe}));
        Slice s = cpu.run(1_000_000);
        assertEquals(RunExit.PORT_STOP, s.exit());
        assertEquals(List.of("mmio write fee00000/4=1"), portLog, "the write happened exactly once");
    }

    @Test
    void msrsAndDescriptorTablesRoundTrip() {
        cpu.writeMsr(0x277, 0x0000010500070406L);
        assertEquals(0x0000010500070406L, cpu.readMsr(0x277));
        assertEquals(0xd00, cpu.readMsr(0xC0000080) & 0xd00);
        cpu.writeGdtr(new DescriptorTable(DATA + 0x100, 0x37));
        assertEquals(new DescriptorTable(DATA + 0x100, 0x37), cpu.readGdtr());
        cpu.writeIdtr(new DescriptorTable(DATA + 0x200, 0xfff));
        assertEquals(new DescriptorTable(DATA + 0x200, 0xfff), cpu.readIdtr());
        cpu.write(Register.CR8, 5);
        assertEquals(5, cpu.read(Register.CR8));
        assertEquals(0x1000, cpu.read(Register.CR3));
        assertEquals(0x20, cpu.read(Register.CR4));
        assertEquals(0x80010011L, cpu.read(Register.CR0));
        assertEquals(0, cpu.readTr().selector(), "no task register loaded");
        assertEquals(0, cpu.readLdtr().selector());
    }

    @Test
    void aJavaExceptionInAHookPropagatesAndStops() {
        UnicornEngine bad = new UnicornEngine(UnicornLibrary.load(java.util.Optional.empty()), new CpuHooks() {
            @Override
            public int portIn(int port, int size) {
                return 0;
            }

            @Override
            public boolean portOut(int port, int size, int value) {
                throw new IllegalStateException("device exploded");
            }
        }, false);
        try {
            bad.mapRam(0, RAM, ram.address());
            bad.write(Register.CR4, 0x20);
            bad.writeMsr(0xC0000080, 0xd00);
            bad.write(Register.CR3, 0x1000);
            bad.write(Register.CR0, 0x80010011L);
            bad.write(Register.RIP, CODE);
            code(0xe6, 0x80, 0xeb, 0xfe);                 // out 0x80,al; jmp $
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> bad.run(1_000_000));
            assertEquals("device exploded", e.getMessage());
        } finally {
            bad.close();
        }
    }

    @Test
    void countingModeCountsInstructions() {
        UnicornEngine counting = new UnicornEngine(UnicornLibrary.load(java.util.Optional.empty()),
                new CpuHooks() {
                    @Override
                    public int portIn(int port, int size) {
                        return 0;
                    }

                    @Override
                    public boolean portOut(int port, int size, int value) {
                        return false;
                    }
                }, true);
        try {
            counting.mapRam(0, RAM, ram.address());
            counting.write(Register.CR4, 0x20);
            counting.writeMsr(0xC0000080, 0xd00);
            counting.write(Register.CR3, 0x1000);
            counting.write(Register.CR0, 0x80010011L);
            counting.write(Register.RIP, CODE);
            // mov ecx,100; loop: dec ecx; jnz loop; hlt  => 1 + 2*100 + 1 instructions
            code(0xb9, 100, 0, 0, 0, 0xff, 0xc9, 0x75, 0xfc, 0xf4);
            Slice s = counting.run(1_000_000);
            assertEquals(RunExit.RETURNED, s.exit());
            assertEquals(202, s.instructions());
        } finally {
            counting.close();
        }
    }
}
