// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cpu;

import limu.emulator.unicorn.Engine;
import limu.emulator.unicorn.Register;

/**
 * Linear-to-physical translation through the guest's own page tables, for the
 * memory the CPU itself touches while delivering an event (IDT, GDT, TSS, the
 * new stack). Its faults carry the error code the hardware would push (SDM
 * vol. 3, 4.7): P, W/R, U/S, RSVD, I/D, with MAXPHYADDR 40 as CPUID reports.
 * Accessed/dirty bits are not set. The guest's own instructions are translated
 * by the shim's page walk (limu_shim.c, "Guest paging"), which applies the
 * same rights and error codes; GuestPagingTest and PageWalkerAgreementTest
 * hold the two to each other.
 */
final class PageWalker {
    static final int MAXPHYADDR = 40;
    private static final long ADDRESS = ((1L << MAXPHYADDR) - 1) & ~0xfffL;
    private static final long RESERVED_HIGH = ((1L << 52) - 1) & ~((1L << MAXPHYADDR) - 1);
    private static final long NX = 1L << 63;

    enum Access { READ, WRITE, FETCH }

    private final Engine engine;
    private final long cr0;
    private final long cr3;
    private final long cr4;
    private final long efer;
    private final byte[] eight = new byte[8];

    PageWalker(Engine engine) {
        this.engine = engine;
        this.cr0 = engine.read(Register.CR0);
        this.cr3 = engine.read(Register.CR3);
        this.cr4 = engine.read(Register.CR4);
        this.efer = engine.readMsr(0xC0000080);
    }

    static boolean canonical(long linear, boolean fiveLevel) {
        int bits = fiveLevel ? 57 : 48;
        return (linear >> (bits - 1)) == 0 || (linear >> (bits - 1)) == -1;
    }

    boolean fiveLevel() {
        return (cr4 & (1 << 12)) != 0;
    }

    /** The last page translated (one delivery touches the same IDT, GDT and stack pages again and again). */
    private long cachedPage = -1;
    private long cachedFrame;
    private Access cachedAccess;
    private boolean cachedUser;

    /** The physical address of {@code linear}, or a #PF exactly as the CPU would raise it. */
    long translate(long linear, Access access, boolean user) {
        if ((cr0 & (1L << 31)) == 0) {
            return linear;
        }
        long page = linear & ~0xfffL;
        if (page == cachedPage && access == cachedAccess && user == cachedUser) {
            return cachedFrame | (linear & 0xfff);
        }
        long physical = walk(linear, access, user);
        cachedPage = page;
        cachedFrame = physical & ~0xfffL;
        cachedAccess = access;
        cachedUser = user;
        return physical;
    }

    private long walk(long linear, Access access, boolean user) {
        boolean nxe = (efer & (1 << 11)) != 0;
        long reserved = RESERVED_HIGH | (nxe ? 0 : NX);
        int levels = fiveLevel() ? 5 : 4;
        long table = cr3 & ADDRESS;
        boolean writable = true;
        boolean userOk = true;
        boolean noExec = false;
        long physical = -1;
        for (int level = levels; level >= 1; level--) {
            int shift = 12 + 9 * (level - 1);
            long entry = readPhysical(table + ((linear >>> shift) & 0x1ff) * 8);
            if ((entry & 1) == 0) {
                throw fault(linear, access, user, false, false);
            }
            boolean large = (entry & 0x80) != 0 && (level == 2 || level == 3);
            long rsvd = reserved;
            if ((entry & 0x80) != 0 && level >= 4) {
                rsvd |= 0x80;                                  // PS is reserved in PML4/PML5 entries
            }
            if (large) {
                rsvd |= ((1L << (shift - 1)) - 1) & ~0x1fffL;  // bits 13..shift-1 of a large-page entry
            }
            if ((entry & rsvd) != 0) {
                throw fault(linear, access, user, true, true);
            }
            writable &= (entry & 2) != 0;
            userOk &= (entry & 4) != 0;
            noExec |= nxe && (entry & NX) != 0;
            if (large || level == 1) {
                long mask = (1L << shift) - 1;
                physical = (entry & ADDRESS & ~mask) | (linear & mask);
                break;
            }
            table = entry & ADDRESS;
        }
        boolean wp = (cr0 & (1 << 16)) != 0;
        if ((user && !userOk)
                || (access == Access.WRITE && !writable && (user || wp))
                || (access == Access.FETCH && (noExec || (!user && userOk && (cr4 & (1 << 20)) != 0)))) {
            throw fault(linear, access, user, true, false);
        }
        return physical;
    }

    private GuestFault fault(long linear, Access access, boolean user, boolean present, boolean rsvd) {
        int code = (present ? 1 : 0) | (access == Access.WRITE ? 2 : 0) | (user ? 4 : 0) | (rsvd ? 8 : 0);
        boolean nxe = (efer & (1 << 11)) != 0;
        if (access == Access.FETCH && (nxe || (cr4 & (1 << 20)) != 0)) {
            code |= 0x10;
        }
        return new GuestFault(Vectors.PF, code, linear, String.format("page fault on the CPU's own %s of 0x%016x",
                access == Access.WRITE ? "write" : "read", linear));
    }

    long readPhysical(long physical) {
        engine.readPhysical(physical, eight);
        return le(eight);
    }

    long read64(long linear, boolean user) {
        long p = translate(linear, Access.READ, user);
        if ((linear & 0xfff) > 0xff8) {                       // crosses a page: two halves
            byte[] b = new byte[8];
            for (int i = 0; i < 8; i++) {
                byte[] one = new byte[1];
                engine.readPhysical(translate(linear + i, Access.READ, user), one);
                b[i] = one[0];
            }
            return le(b);
        }
        return readPhysical(p);
    }

    void write64(long linear, long value, boolean user) {
        long p = translate(linear, Access.WRITE, user);
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (value >>> (8 * i));
        }
        if ((linear & 0xfff) > 0xff8) {
            long p2 = translate((linear | 0xfff) + 1, Access.WRITE, user);
            int first = (int) (0x1000 - (linear & 0xfff));
            engine.writePhysical(p, java.util.Arrays.copyOfRange(b, 0, first));
            engine.writePhysical(p2, java.util.Arrays.copyOfRange(b, first, 8));
            return;
        }
        engine.writePhysical(p, b);
    }

    /** Writes 8-byte words from {@code linear} up, in one host write when they share a page. */
    void writeWords(long linear, long[] words, boolean user) {
        int n = words.length * 8;
        if ((linear & 0xfff) + n > 0x1000) {
            for (int i = words.length - 1; i >= 0; i--) {
                write64(linear + 8L * i, words[i], user);
            }
            return;
        }
        // the highest word first, as the CPU pushes SS first: a fault reports that address in CR2
        long p = translate(linear + n - 8, Access.WRITE, user) - (n - 8);
        byte[] b = new byte[n];
        for (int w = 0; w < words.length; w++) {
            for (int i = 0; i < 8; i++) {
                b[w * 8 + i] = (byte) (words[w] >>> (8 * i));
            }
        }
        engine.writePhysical(p, b);
    }

    /** Reads {@code count} 8-byte words from {@code linear}, in one host read when they share a page. */
    long[] readWords(long linear, int count, boolean user) {
        long[] r = new long[count];
        if ((linear & 0xfff) + 8L * count > 0x1000) {
            for (int i = 0; i < count; i++) {
                r[i] = read64(linear + 8L * i, user);
            }
            return r;
        }
        byte[] b = new byte[8 * count];
        engine.readPhysical(translate(linear, Access.READ, user), b);
        for (int w = 0; w < count; w++) {
            long v = 0;
            for (int i = 7; i >= 0; i--) {
                v = v << 8 | (b[w * 8 + i] & 0xff);
            }
            r[w] = v;
        }
        return r;
    }

    static long le(byte[] b) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | (b[i] & 0xff);
        }
        return v;
    }
}
