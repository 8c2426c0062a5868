// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.gdb;

import limu.emulator.unicorn.Engine;
import limu.emulator.unicorn.Register;

/**
 * The registers of {@link TargetDescription} read from and written to one CPU's
 * engine. Writable: the general registers, rip, eflags, fs_base, gs_base,
 * k_gs_base, cr2 and cr8. Selectors, cr0/cr3/cr4, EFER and the x87/SSE state
 * are read-only (a write of the value they already hold is accepted): writing
 * a selector loads a descriptor through the guest's tables from outside the
 * engine's run, which Unicorn cannot survive when the tables are bad.
 */
final class RegisterFile {
    static final int COUNT = 66;
    static final int FPU_FIRST = 33;
    static final int MSR_EFER = 0xC0000080;
    static final int MSR_KERNEL_GS_BASE = 0xC0000102;
    private static final Register[] SEGMENTS = {Register.CS, Register.SS, Register.DS, Register.ES, Register.FS,
        Register.GS};
    private static final Register[] SYSTEM = {null, Register.CR0, Register.CR2, Register.CR3, Register.CR4,
        Register.CR8, null};

    private RegisterFile() {
    }

    /** The size of register {@code n} in bytes, or 0 when there is no such register. */
    static int size(int n) {
        if (n < 0 || n >= COUNT) {
            return 0;
        }
        if (n <= 16 || (n >= 24 && n <= 32)) {
            return 8;
        }
        if (n >= 33 && n <= 40) {
            return 10;
        }
        if (n >= 49 && n <= 64) {
            return 16;
        }
        return 4;
    }

    /** The offset of register {@code n} in the FPU blob of {@link Engine#readFpu}. */
    private static int fpuOffset(int n) {
        if (n <= 40) {
            return (n - 33) * 10;
        }
        if (n <= 48) {
            return 80 + (n - 41) * 4;
        }
        if (n <= 64) {
            return 112 + (n - 49) * 16;
        }
        return 368;
    }

    static String read(Engine e, int n, byte[] fpu) {
        if (n >= FPU_FIRST) {
            return Rsp.hex(fpu, fpuOffset(n), size(n));
        }
        return Rsp.le(value(e, n), size(n));
    }

    /** Registers 0-32 as numbers. */
    static long value(Engine e, int n) {
        if (n < 16) {
            return e.read(Register.GENERAL[n]);
        }
        return switch (n) {
            case 16 -> e.read(Register.RIP);
            case 17 -> e.read(Register.RFLAGS) & 0xffffffffL;
            case 18, 19, 20, 21, 22, 23 -> e.read(SEGMENTS[n - 18]) & 0xffff;
            case 24 -> e.read(Register.FS_BASE);
            case 25 -> e.read(Register.GS_BASE);
            case 26 -> e.readMsr(MSR_KERNEL_GS_BASE);
            case 32 -> e.readMsr(MSR_EFER);
            default -> e.read(SYSTEM[n - 26]);
        };
    }

    /** All registers, the {@code g} reply (608 bytes, 1216 hex digits). */
    static String readAll(Engine e) {
        byte[] fpu = e.readFpu();
        StringBuilder s = new StringBuilder(1216);
        for (int n = 0; n < COUNT; n++) {
            s.append(read(e, n, fpu));
        }
        return s.toString();
    }

    /** Writes register {@code n} from its little-endian bytes; false when it is read-only and would change. */
    static boolean write(Engine e, int n, byte[] bytes) {
        if (bytes.length != size(n)) {
            return false;
        }
        if (n >= FPU_FIRST) {
            byte[] fpu = e.readFpu();
            return java.util.Arrays.equals(fpu, fpuOffset(n), fpuOffset(n) + size(n), bytes, 0, size(n));
        }
        long v = Rsp.le(bytes, 0, bytes.length);
        if (n < 16) {
            e.write(Register.GENERAL[n], v);
            return true;
        }
        switch (n) {
            case 16 -> e.write(Register.RIP, v);
            case 17 -> e.write(Register.RFLAGS, v | 2);
            case 24 -> e.write(Register.FS_BASE, v);
            case 25 -> e.write(Register.GS_BASE, v);
            case 26 -> e.writeMsr(MSR_KERNEL_GS_BASE, v);
            case 28 -> e.write(Register.CR2, v);
            case 31 -> e.write(Register.CR8, v);
            default -> {
                return value(e, n) == v;
            }
        }
        return true;
    }

    /** The {@code G} packet: every register; false (nothing more written) at the first read-only change. */
    static boolean writeAll(Engine e, byte[] all) {
        int offset = 0;
        for (int n = 0; n < COUNT && offset < all.length; n++) {
            int size = size(n);
            if (offset + size > all.length) {
                return false;
            }
            if (!write(e, n, java.util.Arrays.copyOfRange(all, offset, offset + size))) {
                return false;
            }
            offset += size;
        }
        return true;
    }
}
