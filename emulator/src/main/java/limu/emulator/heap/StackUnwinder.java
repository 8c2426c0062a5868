// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.heap;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import limu.bootloader.ElfFile;
import limu.emulator.Backtrace;
import limu.emulator.unicorn.Engine;

/**
 * Backtraces for heap reports, from a stack scan: the words above RSP that point into the kernel's
 * executable segments just after a CALL instruction. The kernels limu targets keep no frame pointers
 * and limu does not unwind DWARF CFI, so a stale return address can show up; a direct CALL whose
 * target is not the function the previous frame is in is skipped for that reason. The profiler
 * ({@code limu.emulator.profile}) unwinds its samples the same way.
 *
 * <p>The heap checker scans at every allocator call, so a scan is kept cheap: one native call reads
 * the stack and keeps only the words inside the code segments (most are not), and what the code
 * before each candidate is and its function start are worked out once and remembered. One thread
 * uses an instance.
 */
public final class StackUnwinder {
    private static final int SCAN_BYTES = 2048;
    private static final int MAX_FRAMES = 12;
    private static final int START_CACHE = 4096;
    private static final VarHandle LE_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private final ElfFile kernel;
    // the kernel's executable segments as loaded: where each starts, ends, and its bytes (arrays, not a list
    // of records: every allocator call scans up to SCAN_BYTES / 8 stack words against them)
    private final long[] textStart, textEnd;
    private final byte[][] textCode;
    /** Per segment and offset, what {@link #decodeCallBefore} said, filled as words are met: 0 not yet, else it + 2. */
    private final byte[][] callKinds;
    /** The lowest start and the highest end of those segments: most stack words fall outside at once. */
    private final long textLo, textHi;
    private final long imageStart, imageEnd;
    /** A direct-mapped cache of {@link #functionStart} (0 = empty slot: no return address is 0). */
    private final long[] startKeys = new long[START_CACHE], startValues = new long[START_CACHE];
    /** What {@link Engine#scanWords} keeps of a scan (up to a page of words, for the fallback read). */
    private final long[] words = new long[512];
    private final int[] index = new int[512];

    /** Reads the kernel's code through {@code reader}'s page tables (it is loaded by now). */
    public StackUnwinder(ElfFile kernel, Engine reader) {
        this.kernel = kernel;
        long lo = -1, hi = 0;   // unsigned
        List<Long> starts = new ArrayList<>();
        List<byte[]> codes = new ArrayList<>();
        for (ElfFile.Segment s : kernel.segments()) {
            if (!s.isLoad()) {
                continue;
            }
            lo = Long.compareUnsigned(s.vaddr(), lo) < 0 ? s.vaddr() : lo;
            hi = Long.compareUnsigned(s.vend(), hi) > 0 ? s.vend() : hi;
            if (s.executable() && s.fileSize() > 0 && s.fileSize() < Integer.MAX_VALUE) {
                byte[] code = new byte[(int) s.fileSize()];
                if (reader.readVirtual(s.vaddr(), code)) {
                    starts.add(s.vaddr());
                    codes.add(code);
                }
            }
        }
        textStart = new long[starts.size()];
        textEnd = new long[starts.size()];
        textCode = codes.toArray(new byte[0][]);
        callKinds = new byte[textCode.length][];
        long tlo = -1, thi = 0;   // unsigned
        for (int i = 0; i < textStart.length; i++) {
            textStart[i] = starts.get(i);
            textEnd[i] = starts.get(i) + textCode[i].length;
            callKinds[i] = new byte[textCode[i].length + 1];
            tlo = Long.compareUnsigned(textStart[i], tlo) < 0 ? textStart[i] : tlo;
            thi = Long.compareUnsigned(textEnd[i], thi) > 0 ? textEnd[i] : thi;
        }
        textLo = tlo;
        textHi = thi;
        imageStart = lo;
        imageEnd = hi;
    }

    /** Return addresses above RSP at a call's entry: [RSP] first, then each word that follows a CALL. */
    long[] backtrace(Engine e, long rsp, long callee) {
        return backtrace(e, rsp, callee, false);
    }

    /** {@code inside}: RSP is inside a function's frame (an access), not at a call's return address. */
    public long[] backtrace(Engine e, long rsp, long callee, boolean inside) {
        // SCAN_BYTES of stack, else what is left of RSP's page; only the first word and those that may be
        // return addresses come back (callBefore is 0 for every other word)
        int kept = e.scanWords(rsp, SCAN_BYTES / 8, textLo + 2, textHi, words, index);
        if (kept < 0) {
            int rest = (int) (4096 - (rsp & 4095)) / 8;
            kept = rest == 0 ? -1 : e.scanWords(rsp, rest, textLo + 2, textHi, words, index);
            if (kept < 0) {
                return new long[0];
            }
        }
        long[] out = new long[MAX_FRAMES];
        int n = 0;
        for (int j = 0; j < kept && n < MAX_FRAMES; j++) {
            long w = words[j];
            if (index[j] > 0 || inside) {
                int call = callBefore(w);
                if (call == 0) {
                    continue;   // not a return address
                }
                if (call > 0 && callee != 0 && w + directCallDisplacement(w) != callee) {
                    continue;   // a direct call to another function: a stale word of an earlier call
                }
            } else if (!inText(w)) {
                break;
            }
            out[n++] = w;
            callee = functionStart(w);
        }
        return Arrays.copyOf(out, n);
    }

    /** The word at [RSP], 0 when unmapped. */
    static long readStackWord(Engine e, long rsp) {
        byte[] w = new byte[8];
        return e.readVirtual(rsp, w) ? ByteBuffer.wrap(w).order(ByteOrder.LITTLE_ENDIAN).getLong() : 0;
    }

    /** {@code a} lies in the kernel image (any loaded segment). */
    boolean inImage(long a) {
        return Long.compareUnsigned(a, imageStart) >= 0 && Long.compareUnsigned(a, imageEnd) < 0;
    }

    private boolean inText(long a) {
        for (int i = 0; i < textStart.length; i++) {
            if (Long.compareUnsigned(a, textStart[i]) > 0 && Long.compareUnsigned(a, textEnd[i]) <= 0) {
                return true;
            }
        }
        return false;
    }

    /** Where the function around {@code a} starts (from its symbol), or 0. */
    long functionStart(long a) {
        int slot = (int) (a ^ (a >>> 12)) & (START_CACHE - 1);
        if (startKeys[slot] == a && a != 0) {
            return startValues[slot];
        }
        long s = kernel.symbolStart(a);
        startKeys[slot] = a;
        startValues[slot] = s;
        return s;
    }

    /** The segment holding the {@code before} bytes below the return address {@code a}, or -1. */
    private int segmentBefore(long a, int before) {
        for (int i = 0; i < textStart.length; i++) {
            if (Long.compareUnsigned(a, textStart[i] + before) >= 0 && Long.compareUnsigned(a, textEnd[i]) <= 0) {
                return i;
            }
        }
        return -1;
    }

    private long directCallDisplacement(long a) {
        int t = segmentBefore(a, 5);
        if (t < 0) {
            return 0;
        }
        return (int) LE_INT.get(textCode[t], (int) (a - textStart[t]) - 4);
    }

    /** 1: {@code a} follows a direct CALL rel32; -1: an indirect CALL; 0: no CALL (not a return address). */
    private int callBefore(long a) {
        int t = segmentBefore(a, 2);
        if (t < 0) {
            return 0;
        }
        int p = (int) (a - textStart[t]);
        int k = callKinds[t][p];
        if (k == 0) {   // the same return addresses come back call after call: decode each once
            k = decodeCallBefore(textCode[t], p) + 2;
            callKinds[t][p] = (byte) k;
        }
        return k - 2;
    }

    /** {@link #callBefore} for offset {@code p} (at least 2) of the code {@code c}. */
    private static int decodeCallBefore(byte[] c, int p) {
        if (p >= 5 && (c[p - 5] & 0xff) == 0xE8) {
            return 1;                                  // call rel32 (SDM Vol. 2A, CALL: E8 cd)
        }
        if ((c[p - 2] & 0xff) == 0xFF && (c[p - 1] & 0x38) == 0x10 && (c[p - 1] & 0xC0) == 0xC0) {
            return -1;                                 // call reg (FF /2, ModRM mod 11)
        }
        for (int k = 3; k <= 7 && p >= k; k++) {       // call [mem] (FF /2 with ModRM, SIB, displacement)
            if ((c[p - k] & 0xff) == 0xFF && (c[p - k + 1] & 0x38) == 0x10) {
                return -1;
            }
        }
        return 0;
    }

    /** The first frame outside the allocator machinery (alloc, core, talc, spin, the GlobalAlloc impl). */
    String site(long[] frames) {
        String first = null;
        for (long f : frames) {
            String s = kernel.symbolize(f).orElse(null);
            if (s == null) {
                continue;
            }
            if (first == null) {
                first = s;
            }
            if (!machinery(s)) {
                return s;
            }
        }
        return first == null ? (frames.length > 0 ? String.format("0x%x", frames[0]) : "") : first;
    }

    private static boolean machinery(String s) {
        String t = s.startsWith("<") ? s.substring(1) : s;
        return t.startsWith("alloc::") || t.startsWith("core::") || t.startsWith("__rust") || t.startsWith("__rg_")
                || t.startsWith("talc::") || t.startsWith("spin::") || t.startsWith("lock_api::")
                || s.contains(" as core::alloc::global::GlobalAlloc>") || s.contains(" as alloc::alloc::Allocator>");
    }

    /**
     * One line a frame: number, address, symbol and file:line, then the calls it was inlined into, each with its
     * own file:line. {@code access}: frame 0 is the accessing instruction itself; every other frame is a return
     * address, whose CALL is the byte before it.
     */
    String describe(long[] frames, boolean access) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < frames.length; i++) {
            b.append(Backtrace.frame(kernel, "    ", i, frames[i], !(access && i == 0)));
        }
        return b.toString();
    }

    /** The kernel symbol at {@code a} (name+offset), or "?". */
    String symbol(long a) {
        return kernel.symbolize(a).orElse("?");
    }
}
