// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

import java.util.ArrayList;
import java.util.List;

/**
 * Where Unicorn keeps the exact address of a memory access whose TLB fill failed. With the
 * virtual TLB (limu_shim.c, "Guest paging") the fill hook is only given the page, but CR2 must
 * hold the address itself (SDM vol. 3A, 4.7); Unicorn records it in {@code uc_struct.invalid_addr}
 * (unicorn_vtlb.c, raise_mmu_exception), which has no API. As with {@link ContextLayout}, its
 * offset is found at run time, once per JVM: two throw-away engines read from two marker
 * addresses that are not mapped, and the one offset holding each marker after its fault wins.
 * When none or several match, engines keep Unicorn's own MMU ({@link UnicornEngine#guestPaging()}).
 */
final class FaultAddressLayout {
    /** Bytes of uc_struct searched: invalid_addr sits well before its 64 jump buffers (uc_priv.h). */
    private static final int SEARCH = 2048;
    private static final long CODE = 0x400000;
    private static final long FIRST = 0x00007f3c5a9e1bc8L, SECOND = 0x00006e2d4b8f0ad0L;

    private static Integer offset;

    private FaultAddressLayout() {
    }

    /** True when the offset is known (calibrating on first use) and handed to the shim. */
    static synchronized boolean found(UnicornLibrary library) {
        if (offset == null) {
            offset = calibrate(library);
            if (offset >= 0) {
                Shim.setFaultAddressOffset(offset);
            }
        }
        return offset >= 0;
    }

    private static int calibrate(UnicornLibrary library) {
        byte[] first = faultAt(library, FIRST);
        byte[] second = faultAt(library, SECOND);
        if (first == null || second == null) {
            return -1;
        }
        List<Integer> hits = new ArrayList<>();
        for (int o = 0; o + 8 <= SEARCH; o += 8) {
            if (ContextLayout.i64(first, o) == FIRST && ContextLayout.i64(second, o) == SECOND) {
                hits.add(o);
            }
        }
        return hits.size() == 1 ? hits.get(0) : -1;
    }

    /** Runs {@code mov rax, address; mov rax, [rax]} with limu's page walk; uc_struct's bytes after the fault. */
    private static byte[] faultAt(UnicornLibrary library, long address) {
        try (HostMemory ram = new HostMemory(library, 4 << 20);
             UnicornEngine cpu = new UnicornEngine(library, new CpuHooks() {
                 @Override
                 public int portIn(int port, int size) {
                     return 0;
                 }

                 @Override
                 public boolean portOut(int port, int size, int value) {
                     return true;
                 }
             }, false, true, true)) {
            cpu.mapRam(0, 4 << 20, ram.address());
            ram.writeLong(0x1000, 0x2000 | 3);          // PML4[0] -> PDPT -> PD -> PT: CODE at 0x100000
            ram.writeLong(0x2000, 0x3000 | 3);
            ram.writeLong(0x3000 + 2 * 8, 0x4000 | 3);
            ram.writeLong(0x4000, 0x100000 | 3);
            byte[] code = new byte[13];
            code[0] = 0x48;
            code[1] = (byte) 0xb8;
            for (int i = 0; i < 8; i++) {
                code[2 + i] = (byte) (address >>> (8 * i));
            }
            code[10] = 0x48;
            code[11] = (byte) 0x8b;
            code[12] = 0x00;
            ram.write(0x100000, code, 0, code.length);
            cpu.write(Register.CR4, 0x20);
            cpu.writeMsr(0xC0000080, 0xd00);
            cpu.write(Register.CR3, 0x1000);
            cpu.write(Register.CR0, 0x80010011L);
            cpu.write(Register.RIP, CODE);
            Slice s = cpu.run(100);
            if (s.exit() != RunExit.INTERRUPT || s.vector() != 14 || cpu.read(Register.RIP) != CODE + 10) {
                return null;
            }
            return Shim.engineBytes(cpu.shim, SEARCH);
        } catch (UnicornException e) {
            return null;
        }
    }
}
