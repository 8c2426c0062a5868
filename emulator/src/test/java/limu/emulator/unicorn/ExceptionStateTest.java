// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The engine state limu reaches through the calibrated context layout: the
 * error code handed to the exception hook, the "exception in flight" that Unicorn
 * never resets by itself (cleared by exceptionHandled; docs/unicorn-notes.md), and the CPL that enterHandler loads.
 */
class ExceptionStateTest {
    static final long CODE = 0xffffffff80000000L;     // -> phys 0x200000 (2 MiB page)
    static final long DATA = 0xffffffff80200000L;     // -> phys 0x600000
    HostMemory ram;
    UnicornEngine cpu;
    final List<String> seen = new ArrayList<>();
    boolean clear = true;

    @BeforeEach
    void setUp() {
        start(true);
    }

    /** {@code guestPaging}: limu's page walk fills the TLB (the default); false: Unicorn's own MMU. */
    void start(boolean guestPaging) {
        if (cpu != null) {
            tearDown();
        }
        UnicornLibrary lib = UnicornLibrary.load(java.util.Optional.empty());
        ram = new HostMemory(lib, 16L << 20);
        cpu = new UnicornEngine(lib, new CpuHooks() {
            @Override
            public int portIn(int port, int size) {
                return 0;
            }

            @Override
            public boolean portOut(int port, int size, int value) {
                return true;
            }

            @Override
            public boolean exception(int vector, int errorCode, boolean software) {
                seen.add(vector + "/" + Integer.toHexString(errorCode) + (software ? "/int" : ""));
                if (!software) {
                    cpu.write(Register.RIP, cpu.read(Register.RIP) + 7);   // skip the 7-byte store
                }
                if (clear) {
                    cpu.exceptionHandled();
                }
                return seen.size() < 5;
            }
        }, false, false, guestPaging);
        cpu.mapRam(0, 16L << 20, ram.address());
        ram.writeLong(0x1000 + 511 * 8, 0x2000 | 3);
        ram.writeLong(0x2000 + 510 * 8, 0x3000 | 3);
        ram.writeLong(0x3000, 0x200000 | 0x83);
        ram.writeLong(0x3000 + 8, 0x600000 | 0x81);      // read-only data
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

    // mov byte [0xffffffff80200010], al  = 88 04 25 10 00 20 80 (disp32 sign-extended)
    static final int[] STORE_RO = {0x88, 0x04, 0x25, 0x10, 0x00, 0x20, 0x80};
    // mov byte [0xffffffff80400010], al: not mapped
    static final int[] STORE_ABSENT = {0x88, 0x04, 0x25, 0x10, 0x00, 0x40, 0x80};

    @Test
    void theHookGetsThePageFaultErrorCodeAndConsecutiveFaultsStayPageFaults() {
        code(concat(STORE_RO, STORE_ABSENT, STORE_RO, new int[] {0xcc, 0xf4}));
        Slice s = cpu.run(100);
        assertEquals(RunExit.RETURNED, s.exit());
        assertEquals(List.of("14/3", "14/2", "14/3", "3/0/int"), seen);
    }

    @Test
    void withoutClearingTheSecondFaultArrivesAsDoubleFault() {
        start(false);
        clear = false;
        code(concat(STORE_RO, STORE_ABSENT, new int[] {0xf4}));
        cpu.run(100);
        assertEquals(List.of("14/3", "8/0"), seen, "Unicorn's stale exception in flight, which exceptionHandled() works around");
    }

    @Test
    void pageFaultsOfThePageWalkNeverCountAsAnExceptionInFlight() {
        clear = false;
        code(concat(STORE_RO, STORE_ABSENT, new int[] {0xf4}));
        assertEquals(RunExit.RETURNED, cpu.run(100).exit());
        assertEquals(List.of("14/3", "14/2"), seen);
    }

    @Test
    void enterHandlerChangesTheCpl() {
        assertEquals(0, cpu.cpl());
        cpu.enterHandler(new Segment(0x23, 0, 0xffffffff, 0x0020fb00), new Segment(0x1b, 0, 0xffffffff, 0x00c0f300));
        assertEquals(3, cpu.cpl());
        cpu.enterHandler(new Segment(0x08, 0, 0xffffffff, 0x00209b00), new Segment(0, 0, 0, 0));
        assertEquals(0, cpu.cpl());
    }

    static int[] concat(int[]... parts) {
        return UnicornEngineTest.concat(parts);
    }
}
