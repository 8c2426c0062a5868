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

    static native long attach(long uc, CpuHooks hooks, boolean countInstructions);

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

    /** One segment cache (0 ES, 1 CS, 2 SS, 3 DS, 4 FS, 5 GS), hidden flags untouched (limu_shim.c). */
    static native void setSegment(long shim, int index, int selector, long base, int limit, int flags);

    // debugger support (limu_shim.c, "Debugger support")

    static native void invalidateCode(long shim, long linear, long length, boolean mapped);

    static native boolean setBreakpoint(long shim, long linear, boolean on);

    static native int addWatchpoint(long shim, long physicalBegin, long physicalEnd, int kind);

    static native void clearWatchpoints(long shim);

    static native int runDebug(long shim, long begin, long blockBudget, boolean step, long[] out);

    static native void readFpu(long shim, byte[] out);

    static native void clearStop(long shim);

    // address hooks (limu_shim.c, "Address hooks")

    static native boolean setAddressHook(long shim, long linear, boolean on, boolean mapped);

    /** Heap watch (limu_shim section "Heap watch"): memory hooks on [physBegin, physEnd], inclusive. */
    static native boolean addHeapWatch(long shim, long physBegin, long physEnd);
}
