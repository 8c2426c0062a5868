// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import limu.emulator.unicorn.CpuHooks;
import limu.emulator.unicorn.HostMemory;
import limu.emulator.unicorn.MemoryAccess;
import limu.emulator.unicorn.Register;
import limu.emulator.unicorn.UnicornEngine;
import limu.emulator.unicorn.UnicornLibrary;
import org.junit.jupiter.api.Test;

/**
 * Delivery's {@link PageWalker} (Java) and the shim's page walk that fills the TLB (C) give the
 * same physical address or the same #PF error code for every page, access and privilege of a
 * table that mixes 4 KiB, 2 MiB and 1 GiB pages, user and supervisor, read-only, no-execute,
 * absent and reserved-bit entries; with CR0.WP and SMEP on and off.
 */
class PageWalkerAgreementTest {
    static final long NX = 1L << 63;

    @Test
    void bothWalksAgreeOnEveryPageAccessAndPrivilege() {
        UnicornLibrary lib = UnicornLibrary.load(Optional.empty());
        try (HostMemory ram = new HostMemory(lib, 8L << 20);
             UnicornEngine cpu = new UnicornEngine(lib, new CpuHooks() {
                 @Override
                 public int portIn(int port, int size) {
                     return 0;
                 }

                 @Override
                 public boolean portOut(int port, int size, int value) {
                     return false;
                 }
             }, false)) {
            assertTrue(cpu.guestPaging());
            cpu.mapRam(0, 8L << 20, ram.address());
            ram.writeLong(0x1000, 0x2000 | 7);                   // PML4[0]: user, writable
            ram.writeLong(0x1000 + 8, 0x5000 | 3);               // PML4[1]: supervisor
            ram.writeLong(0x1000 + 16, 0x5000 | 7 | 0x80);       // PML4[2]: PS is reserved here
            ram.writeLong(0x2000, 0x3000 | 7);                   // PDPT[0] -> PD
            ram.writeLong(0x2000 + 8, 0x40000000L | 0x87);       // PDPT[1]: 1 GiB page, user
            ram.writeLong(0x2000 + 16, 0x40001000L | 0x87);      // PDPT[2]: 1 GiB page with reserved low bits
            ram.writeLong(0x3000, 0x4000 | 7);                   // PD[0] -> PT
            ram.writeLong(0x3000 + 8, 0x200000 | 0x85 | NX);     // PD[1]: 2 MiB user read-only NX
            ram.writeLong(0x3000 + 16, 0x400000 | 0x83);         // PD[2]: 2 MiB supervisor RWX
            ram.writeLong(0x3000 + 24, 0x600000 | 0x87 | 1L << 45); // PD[3]: reserved address bit
            long[] leaf = {0x10000 | 7, 0x11000 | 5, 0x12000 | 3, 0x13000 | 1, 0x14000 | 7 | NX, 0x15000 | 3 | NX, 0,
                0x16000 | 0x7 | 1L << 52, 0x17000 | 6};
            for (int i = 0; i < leaf.length; i++) {
                ram.writeLong(0x4000 + 8L * i, leaf[i]);
            }
            ram.writeLong(0x5000, 0x3000 | 7);                   // PML4[1] -> PDPT 0x5000 -> the same PD
            long[] pages = new long[leaf.length + 8];
            for (int i = 0; i < leaf.length; i++) {
                pages[i] = 0x1000L * i;
            }
            long[] large = {0x200000, 0x400000, 0x600000, 0x40000000L + 0x12345000L, 0x80000000L, 0x8000000000L,
                0x10000000000L, 0x18000};
            System.arraycopy(large, 0, pages, leaf.length, large.length);
            cpu.write(Register.CR3, 0x1000);
            cpu.writeMsr(0xC0000080, 0xd00);
            int checked = 0;
            for (long cr4 : new long[] {0x20, 0x20 | 1 << 20}) {
                for (long cr0 : new long[] {0x80010011L, 0x80000011L}) {
                    cpu.write(Register.CR4, cr4);
                    cpu.write(Register.CR0, cr0);
                    PageWalker java = new PageWalker(cpu);
                    for (long page : pages) {
                        for (PageWalker.Access access : PageWalker.Access.values()) {
                            for (boolean user : new boolean[] {false, true}) {
                                long linear = page + 0x18;
                                String where = String.format("0x%x %s %s cr0 0x%x cr4 0x%x", linear, access,
                                        user ? "user" : "supervisor", cr0, cr4);
                                assertEquals(javaWalk(java, linear, access, user), cWalk(cpu, linear, access, user), where);
                                checked++;
                            }
                        }
                    }
                }
            }
            assertEquals(4 * 17 * 3 * 2, checked);
        }
    }

    /** "phys 0x..." or "#PF 0x<error>" from delivery's walker. */
    static String javaWalk(PageWalker walker, long linear, PageWalker.Access access, boolean user) {
        try {
            return String.format("phys 0x%x", walker.translate(linear, access, user));
        } catch (GuestFault f) {
            return String.format("#%d 0x%x", f.vector, f.errorCode);
        }
    }

    static String cWalk(UnicornEngine cpu, long linear, PageWalker.Access access, boolean user) {
        MemoryAccess kind = switch (access) {
            case READ -> MemoryAccess.READ;
            case WRITE -> MemoryAccess.WRITE;
            case FETCH -> MemoryAccess.FETCH;
        };
        UnicornEngine.Translation t = cpu.translate(linear, kind, user ? 3 : 0);
        return t.faults() ? String.format("#%d 0x%x", t.vector(), t.errorCode()) : String.format("phys 0x%x", t.physical());
    }
}
