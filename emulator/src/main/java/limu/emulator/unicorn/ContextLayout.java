// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

import java.util.ArrayList;
import java.util.List;

/**
 * Where Unicorn keeps the CPU state limu must reach but that has no API: the
 * error code of the exception in flight, whether it came from an INT
 * instruction, the "exception in flight" marker that Unicorn never resets,
 * QEMU's hidden flags (CPL, interrupt shadow) and the segment caches.
 * {@code uc_context_save} copies QEMU's CPUX86State (uc.c), whose layout
 * depends on how the library was compiled, so the offsets are found at run
 * time, once per JVM (docs/unicorn-notes.md): marker values written into
 * known registers, and a few faults with known error codes taken on
 * throw-away engines.
 *
 * <p>Layout in 2.1.4 (qemu/target/i386/cpu.h): regs[16], eip, eflags, ...,
 * hflags, hflags2, segs[6] (SegmentCache: u32 selector, base at +8, u32 limit
 * at +16, u32 flags at +20), ..., then error_code, exception_is_int, ...,
 * old_exception, all before end_reset_fields, where the blob ends.
 */
record ContextLayout(int errorCode, int isInt, int oldException, int hflags, int segs, int segStride) {
    static final int HF_LMA = 1 << 14;
    static final int HF_CS64 = 1 << 15;

    private static ContextLayout known;

    /** The layout, calibrating on first use and handing it to the shim. */
    static synchronized ContextLayout of(UnicornLibrary library) {
        if (known == null) {
            ContextLayout l = calibrate(library);
            Shim.setLayout(l.errorCode, l.isInt, l.oldException, l.hflags, l.segs, l.segStride);
            known = l;
        }
        return known;
    }

    private static final long CODE = 0x400000, STACK = 0x401000, READ_ONLY = 0x402000, ABSENT = 0x403000,
            NO_EXEC = 0x404000;

    private static ContextLayout calibrate(UnicornLibrary library) {
        int[] segs = findSegments(library);
        byte[] write = fault(library, new int[] {0x88, 0x04, 0x25, 0x00, 0x30, 0x40, 0x00}); // mov [ABSENT], al
        byte[] readOnly = fault(library, new int[] {0x88, 0x04, 0x25, 0x00, 0x20, 0x40, 0x00}); // mov [READ_ONLY], al
        byte[] fetch = fault(library, new int[] {0xe9, 0xfb, 0x3f, 0x00, 0x00});             // jmp NO_EXEC
        byte[] int3 = fault(library, new int[] {0xcc});
        // error codes: not-present write 0x2, write to read-only 0x3, fetch from NX 0x11
        List<Integer> error = matching(write.length, o -> i32(write, o) == 2 && i32(readOnly, o) == 3
                && i32(fetch, o) == 0x11 && i32(int3, o) == 0 && i32(int3, o + 4) == 1 && i32(write, o + 4) == 0);
        if (error.size() != 1) {
            throw new UnicornException("cannot locate the exception error code in Unicorn's CPU state (candidates "
                    + error + "); this libunicorn build is not supported");
        }
        int e = error.get(0);
        // old_exception: 14 after each page fault, still -1 (its reset value) after an INT3
        List<Integer> old = matching(write.length, o -> o > e + 4 && i32(write, o) == 14 && i32(readOnly, o) == 14
                && i32(fetch, o) == 14 && i32(int3, o) == -1);
        if (old.size() != 1) {
            throw new UnicornException("cannot locate the exception-in-flight state in Unicorn's CPU state"
                    + " (candidates " + old + ")");
        }
        return new ContextLayout(e, e + 4, old.get(0), segs[0], segs[1], segs[2]);
    }

    /** {hflags, segs, stride} from markers in ES/CS/SS/DS and FS_BASE, checked against long mode. */
    private static int[] findSegments(UnicornLibrary library) {
        try (Probe p = new Probe(library)) {
            UnicornEngine cpu = p.cpu;
            cpu.write(Register.RAX, 0x1122334455667788L);
            int[] selectors = {0x7a18, 0x7a28, 0x7a38, 0x7a48};   // ES, CS, SS, DS: selector only in 64-bit mode
            cpu.write(Register.ES, selectors[0]);
            cpu.write(Register.CS, selectors[1]);
            cpu.write(Register.SS, selectors[2]);
            cpu.write(Register.DS, selectors[3]);
            cpu.write(Register.FS_BASE, 0x5566778899aabbccL);
            byte[] b = Shim.context(cpu.shim);
            if (i64(b, 0) != 0x1122334455667788L) {
                throw new UnicornException("Unicorn's CPU state does not start with RAX; unsupported libunicorn");
            }
            for (int es = 0; es + 4 * 48 < b.length; es += 4) {
                if (i32(b, es) != selectors[0]) {
                    continue;
                }
                for (int stride = 8; stride <= 48; stride += 8) {
                    if (i32(b, es + stride) == selectors[1] && i32(b, es + 2 * stride) == selectors[2]
                            && i32(b, es + 3 * stride) == selectors[3]
                            && i64(b, es + 4 * stride + 8) == 0x5566778899aabbccL) {
                        // hflags precedes hflags2 and segs; in long mode at CPL 0 it has LMA and CS64
                        int hflags = i32(b, es - 8);
                        if ((hflags & (HF_LMA | HF_CS64 | 3)) != (HF_LMA | HF_CS64)) {
                            throw new UnicornException(String.format("Unicorn's hidden flags (0x%x) are not where"
                                    + " limu expects them", hflags));
                        }
                        return new int[] {es - 8, es, stride};
                    }
                }
            }
            throw new UnicornException("cannot locate the segment registers in Unicorn's CPU state");
        }
    }

    /** Runs {@code code} at CODE on a fresh engine until its first exception; the state then. */
    private static byte[] fault(UnicornLibrary library, int[] code) {
        try (Probe p = new Probe(library)) {
            byte[] c = new byte[code.length];
            for (int i = 0; i < c.length; i++) {
                c[i] = (byte) code[i];
            }
            p.ram.write(0x100000, c, 0, c.length);
            Slice s = p.cpu.run(100);
            if (s.exit() != RunExit.INTERRUPT) {
                throw new UnicornException("calibration: expected an exception, got " + s.exit());
            }
            return Shim.context(p.cpu.shim);
        }
    }

    private interface Offset {
        boolean test(int offset);
    }

    private static List<Integer> matching(int length, Offset t) {
        List<Integer> r = new ArrayList<>();
        for (int o = 0; o + 8 <= length; o += 4) {
            if (t.test(o)) {
                r.add(o);
            }
        }
        return r;
    }

    static int i32(byte[] b, int o) {
        return (b[o] & 0xff) | (b[o + 1] & 0xff) << 8 | (b[o + 2] & 0xff) << 16 | (b[o + 3] & 0xff) << 24;
    }

    static long i64(byte[] b, int o) {
        return (i32(b, o) & 0xffffffffL) | (long) i32(b, o + 4) << 32;
    }

    /** A tiny long-mode machine: 4 KiB pages at 0x400000 (code, stack, read-only, absent, no-execute). */
    private static final class Probe implements AutoCloseable {
        final HostMemory ram;
        final UnicornEngine cpu;

        Probe(UnicornLibrary library) {
            ram = new HostMemory(library, 4 << 20);
            cpu = new UnicornEngine(library, new CpuHooks() {
                @Override
                public int portIn(int port, int size) {
                    return 0;
                }

                @Override
                public boolean portOut(int port, int size, int value) {
                    return true;
                }
            }, false, true);
            cpu.mapRam(0, 4 << 20, ram.address());
            ram.writeLong(0x1000, 0x2000 | 3);
            ram.writeLong(0x2000, 0x3000 | 3);
            ram.writeLong(0x3000 + 2 * 8, 0x4000 | 3);
            long nx = 1L << 63;
            ram.writeLong(0x4000, 0x100000 | 3);                      // CODE: present, writable, executable
            ram.writeLong(0x4000 + 8, 0x101000 | 3 | nx);             // STACK
            ram.writeLong(0x4000 + 16, 0x102000 | 1 | nx);            // READ_ONLY
            ram.writeLong(0x4000 + 32, 0x104000 | 3 | nx);            // NO_EXEC (0x403000 stays absent)
            cpu.write(Register.CR4, 0x20);
            cpu.writeMsr(0xC0000080, 0xd00);
            cpu.write(Register.CR3, 0x1000);
            cpu.write(Register.CR0, 0x80010011L);
            cpu.write(Register.RSP, STACK + 0x800);
            cpu.write(Register.RIP, CODE);
        }

        @Override
        public void close() {
            cpu.close();
            ram.close();
        }
    }
}
