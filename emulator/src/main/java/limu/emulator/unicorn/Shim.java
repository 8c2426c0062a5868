// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

import java.nio.file.Path;

/** The JNI shim of native/ (limu_shim.c): hooks, the slice runner and guest RAM allocation. */
final class Shim {
    private Shim() {
    }

    /** Loads the shim (from limu's bundle) and binds it to the same libunicorn JNA opened. */
    static void load(Path unicornLibrary) {
        System.load(BundledLibraries.library(BundledLibraries.SHIM).toString());
        String error = bind(unicornLibrary.toString());
        if (error != null) {
            throw new UnicornException("native shim cannot use " + unicornLibrary + ": " + error);
        }
    }

    static native String bind(String unicornLibraryPath);

    static native long ramAlloc(long bytes);

    static native void ramFree(long address, long bytes);

    /** {@code guestPaging}: the shim's page walk fills Unicorn's virtual TLB (limu_shim.c, "Guest paging"). */
    static native long attach(long uc, CpuHooks hooks, boolean countInstructions, boolean guestPaging);

    /** Guest RAM the shim's page walk reads page tables from (RAM mapped with uc_mem_map_ptr). */
    static native void addRam(long shim, long guestPhysical, long length, long hostAddress);

    /**
     * The physical address of {@code linear} through the CPU's page tables, A/D flags untouched.
     * access 0 read, 1 write, 2 fetch; privilege 0, 3, -1 (the CPL) or -2 (present is enough).
     * A fault: {@code -1 - (vector << 16 | errorCode)}; -2: the CPU runs on Unicorn's own MMU.
     */
    static native long translate(long shim, long linear, int access, int privilege);

    /**
     * Copies {@code length} bytes of guest memory at {@code linear} into {@code destination} (a byte[] or a
     * long[] of at least that many bytes) through the CPU's page tables as {@code translate(..., -2)} sees
     * them, in one call: the bytes copied, fewer where a page does not translate or is not RAM; -2: the CPU
     * runs on Unicorn's own MMU.
     */
    static native int readVirtual(long shim, long linear, Object destination, int length);

    /** {@link Engine#scanWords} for RAM (at most 1,024 words): -1 when a word is not readable RAM, -2 on Unicorn's MMU. */
    static native int scanWords(long shim, long linear, int count, long lo, long hi, long[] words, int[] index);

    /** The offset of uc_struct's invalid_addr ({@link FaultAddressLayout}). */
    static native void setFaultAddressOffset(int offset);

    /** A copy of the first {@code length} bytes of the engine's uc_struct. */
    static native byte[] engineBytes(long shim, int length);

    /** Fills of the virtual TLB so far. */
    static native long tlbFills(long shim);

    static native void detach(long shim);

    static native int run(long shim, long begin, long blockBudget, long[] out);

    static native void requestStop(long shim);

    static native void mapMmio(long shim, long base, long size);

    static native long sliceBlocks(long shim);

    static native void setInterruptPending(long shim, boolean pending);

    static native void yieldSlice(long shim);

    static native void setLayout(int errorCode, int isInt, int oldException, int hflags, int segs, int segStride);

    static native byte[] context(long shim);

    static native int hflags(long shim);

    /** Puts back a {@link #context} blob, then flushes translated code and the TLB (snapshots). */
    static native void restoreContext(long shim, byte[] blob);

    static native void enterHandler(long shim, int load, int cs, long csBase, int csLimit, int csFlags,
                                    int ss, long ssBase, int ssLimit, int ssFlags);

    static native void addMsrHook(long shim, long address);

    // code scan (limu_shim.c, "Code scan")

    /** Hooks RDMSR/WRMSR/PAUSE in every page the CPU fetches from; false without the shim's page walk. */
    static native boolean scanFetchedCode(long shim);

    static native void setPauseYield(long shim, int pauses);

    /** Pages scanned, RDMSR/WRMSR sites hooked, PAUSE sites hooked, slices yielded. */
    static native long[] codeScanCounts(long shim);

    /** Ends the running slice after at most {@code blocks} more blocks (from inside hooks). */
    static native void limitSliceBudget(long shim, long blocks);

    /** One segment cache (0 ES, 1 CS, 2 SS, 3 DS, 4 FS, 5 GS), hidden flags untouched (limu_shim.c). */
    static native void setSegment(long shim, int index, int selector, long base, int limit, int flags);

    // debugger support (limu_shim.c, "Debugger support")

    static native void invalidateCode(long shim, long linear, long length, boolean mapped);

    static native boolean setBreakpoint(long shim, long linear, boolean on);

    static native int addWatchpoint(long shim, long physicalBegin, long physicalEnd, int kind);

    static native void clearWatchpoints(long shim);

    static native int runDebug(long shim, long begin, long blockBudget, boolean step, boolean pass, long[] out);

    static native void readFpu(long shim, byte[] out);

    // re-execution (limu_shim.c, "Re-execution")

    static native boolean residentPages(long address, long bytes, byte[] out);

    static native void setReplay(long shim, boolean on, boolean everyInstruction, boolean stopArmed, long stopBlocks,
                                 long stopRip, boolean stopFinal);

    static native void replayHit(long shim, long[] out);

    static native void clearStop(long shim);

    // address hooks (limu_shim.c, "Address hooks")

    static native boolean setAddressHook(long shim, long linear, boolean on, boolean mapped);

    /** Heap watch (limu_shim section "Heap watch"): memory hooks on [physBegin, physEnd], inclusive. */
    static native boolean addHeapWatch(long shim, long physBegin, long physEnd);

    // coverage (limu_shim.c, "Coverage")

    /** Starts counting executed blocks afresh ({@code on}), or stops and forgets them. */
    static native void recordBlocks(long shim, boolean on);

    /** {address, size, count} for every block executed since {@link #recordBlocks} turned recording on. */
    static native long[] recordedBlocks(long shim);
}
