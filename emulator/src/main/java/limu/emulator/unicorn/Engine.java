// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

/**
 * One x86_64 CPU's execution engine: the narrow boundary between the machine
 * and Unicorn. Physical addresses everywhere except {@link #readVirtual}.
 */
public interface Engine extends AutoCloseable {
    /** Maps host memory at {@code hostAddress} as guest RAM at {@code guestPhysical}. */
    void mapRam(long guestPhysical, long length, long hostAddress);

    /**
     * Maps a device window at {@code guestPhysical}: guest accesses there reach this
     * engine's {@link CpuHooks#mmioRead}/{@link CpuHooks#mmioWrite}.
     */
    void mapMmio(long guestPhysical, long length);

    long read(Register register);

    void write(Register register, long value);

    DescriptorTable readGdtr();

    DescriptorTable readIdtr();

    void writeGdtr(DescriptorTable table);

    void writeIdtr(DescriptorTable table);

    /** The task register (selector and cached TSS descriptor). */
    SystemSegment readTr();

    /** The LDT register. */
    SystemSegment readLdtr();

    long readMsr(int index);

    void writeMsr(int index, long value);

    /** Reads guest memory through this CPU's page tables; false when not mapped. */
    boolean readVirtual(long linear, byte[] destination);

    /** {@link #readVirtual} as little-endian 8-byte words (a stack scan reads them). */
    default boolean readVirtualWords(long linear, long[] destination) {
        byte[] b = new byte[destination.length * 8];
        if (!readVirtual(linear, b)) {
            return false;
        }
        java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(destination);
        return true;
    }

    /**
     * Reads {@code count} 8-byte words at {@code linear} (as {@link #readVirtualWords}) and keeps the first one and
     * those in {@code [lo, hi]} (unsigned) at the front of {@code words}, with their positions in {@code index}
     * (both at least {@code count} long): how many it kept, -1 when the words cannot all be read. A stack scan for
     * return addresses looks only at the words that point into code.
     */
    default int scanWords(long linear, int count, long lo, long hi, long[] words, int[] index) {
        long[] all = new long[count];
        if (!readVirtualWords(linear, all)) {
            return -1;
        }
        int n = 0;
        for (int i = 0; i < count; i++) {
            if (i == 0 || Long.compareUnsigned(all[i], lo) >= 0 && Long.compareUnsigned(all[i], hi) <= 0) {
                words[n] = all[i];
                index[n++] = i;
            }
        }
        return n;
    }

    /** Reads guest-physical memory (RAM only). */
    void readPhysical(long physical, byte[] destination);

    /** Writes guest-physical memory (RAM only); translated code is not invalidated. */
    void writePhysical(long physical, byte[] source);

    /** The current privilege level (0-3), from the engine's hidden state. */
    int cpl();

    /** True inside the one-instruction interrupt shadow after STI or MOV SS/POP SS. */
    boolean interruptShadow();

    /**
     * Completes the host's delivery of an exception, interrupt or SYSCALL (RIP,
     * RSP and RFLAGS already written): loads CS and SS with their hidden parts,
     * which sets the CPL from SS's DPL ({@code ss} null: SS stays), ends the
     * interrupt shadow and clears the engine's record of the exception in flight.
     */
    void enterHandler(Segment cs, Segment ss);

    /** Clears the engine's record of the exception in flight without changing segments. */
    void exceptionHandled();

    /**
     * Puts the CPU in the state an INIT followed by a start-up IPI with {@code vector} leaves
     * it in (SDM vol. 3A, table 10-1 and section 10.4.4): real mode at CS:IP = (vector &lt;&lt; 8):0000,
     * i.e. physical {@code vector * 0x1000}; CR0 0x60000010, CR3/CR4/EFER 0, RFLAGS 2, DS/ES/SS/FS/GS
     * 0 with base 0 and limit 0xFFFF, GDTR 0/0xFFFF, IDTR 0/0x3FF, PAT at its reset value, every GPR 0
     * but EDX = {@code signature} (CPUID.1:EAX). RIP reads as IP (the CS base is not added).
     */
    default void enterRealMode(int vector, long signature) {
        throw new UnsupportedOperationException("no real mode");
    }

    /**
     * RDMSR/WRMSR at this linear address go to {@link CpuHooks#msr()}. Must be
     * called before the code there is first executed.
     */
    void interceptMsrAccessAt(long linear);

    /** Runs from RIP for at most {@code blockBudget} translation blocks. */
    Slice run(long blockBudget);

    /**
     * Marks an interrupt as waiting for RFLAGS.IF: a running slice then ends at
     * the first block boundary past the point where IF lets it in (and past an
     * STI shadow). Safe to call from inside hooks.
     */
    void setInterruptPending(boolean pending);

    /**
     * True when RDMSR, WRMSR and PAUSE are intercepted in every page this CPU fetches code from,
     * so {@link #interceptMsrAccessAt} is not needed.
     */
    default boolean scansFetchedCode() {
        return false;
    }

    /**
     * The next slices end at their {@code pauses}-th PAUSE instruction ({@link RunExit#YIELDED}),
     * before it runs; 0: PAUSE never ends a slice. Only where {@link #scansFetchedCode()}.
     */
    default void setPauseYield(int pauses) {
    }

    /**
     * The running slice ends after at most {@code blocks} more blocks (a timer armed inside the
     * slice is due then). Safe to call from inside hooks; ignored between slices.
     */
    default void limitSliceBudget(long blocks) {
    }

    /** Ends the running slice at the next block boundary (another CPU has work to see now). */
    default void yieldSlice() {
    }

    /** Blocks the running slice has executed so far (0 between slices). */
    long sliceBlocks();

    /** Thread-safe: ends the running slice at the next block boundary. */
    void requestStop();

    /** Forgets a {@link #requestStop()} this engine has not acted on yet. */
    default void clearStopRequest() {
    }

    // --- debugger support: nothing here patches guest memory, and none of it costs anything unused

    /** The physical address of {@code linear} through this CPU's page tables, or -1 when not mapped. */
    default long translate(long linear) {
        throw new UnsupportedOperationException("no debugger support");
    }

    /** Drops translated code for {@code [linear, linear + length)} (after the host wrote code there). */
    default void invalidateCode(long linear, long length) {
    }

    /** Stops before the instruction at {@code linear} ({@link RunExit#BREAKPOINT}); false when out of slots. */
    default boolean setBreakpoint(long linear, boolean on) {
        return false;
    }

    /**
     * Replaces every watchpoint: each stops the CPU after the instruction that accessed it
     * ({@link RunExit#WATCHPOINT}). False when the engine cannot watch that many.
     */
    default boolean setWatchpoints(java.util.List<Watchpoint> watchpoints) {
        return watchpoints.isEmpty();
    }

    /** A watched guest-physical range and the accesses that trigger it. */
    record Watchpoint(long physical, int length, boolean read, boolean write) {
    }

    /**
     * Like {@link #run} but, when a debugger is attached: breakpoints at the starting
     * RIP are passed over once (resuming from a breakpoint).
     */
    default Slice runDebug(long blockBudget) {
        return run(blockBudget);
    }

    /** Executes exactly one instruction ({@link RunExit#STEPPED}), or less when it halts or stops. */
    default Slice step() {
        throw new UnsupportedOperationException("no single-step support");
    }

    /**
     * The next {@link #runDebug}/{@link #step} slices re-execute recorded ones ({@code replay} non-null) or run
     * live (null): breakpoints and watchpoints are noted ({@link #replayHit}) instead of stopping, and the slice
     * ends ({@link RunExit#TARGET}) before the instruction at the replay's exact stop, if armed.
     */
    default void setReplay(Replay replay) {
        throw new UnsupportedOperationException("no re-execution support");
    }

    /** The last breakpoint, watchpoint or (with {@link Replay#everyInstruction}) instruction the last slice met. */
    default ReplayHit replayHit() {
        return ReplayHit.NONE;
    }

    /** The hit the last slice met before its {@link #replayHit}. */
    default ReplayHit replayHitBefore() {
        return ReplayHit.NONE;
    }

    /**
     * How a re-executed slice runs: {@code everyInstruction} notes every instruction as a hit; with {@code armed},
     * the slice stops before the instruction at {@code rip} once it has counted {@code blocks} blocks; a
     * {@code finalStop} is not itself noted as a hit.
     */
    record Replay(boolean everyInstruction, boolean armed, long blocks, long rip, boolean finalStop) {
    }

    /** Where a re-executed slice met a breakpoint (1), a watchpoint's accessing instruction (2), an instruction (3). */
    record ReplayHit(int kind, long blocks, long rip, int watch) {
        public static final ReplayHit NONE = new ReplayHit(0, 0, 0, 0);

        public boolean found() {
            return kind != 0;
        }
    }

    /**
     * The x87 and SSE state in gdb's i386 register order: st0-7 (10 bytes each), fctrl,
     * fstat, ftag, fiseg, fioff, foseg, fooff, fop (4 each), xmm0-15 (16 each), mxcsr (4).
     */
    default byte[] readFpu() {
        return new byte[372];
    }

    /**
     * Watches (or stops watching) the instruction at {@code linear}: each time it is about to run,
     * {@link CpuHooks#addressHit} is called. Costs nothing elsewhere; may be called from inside a
     * hook (translated code at the address is dropped so the hook takes effect). False when the
     * engine cannot watch it.
     */
    default boolean setAddressHook(long linear, boolean on) {
        return false;
    }

    /**
     * Heap watch (--heap-check=strict): every guest read or write of guest-physical
     * {@code [physical, physical + length)} calls {@link CpuHooks#heapAccess}. Drops all translated
     * code: call between slices. False when the engine cannot.
     */
    default boolean addHeapWatch(long physical, long length) {
        return false;
    }

    /**
     * The CPU's whole state as an opaque value for {@link #restoreContext} on this engine
     * (machine snapshots; between slices only).
     */
    default Object saveContext() {
        throw new UnsupportedOperationException("this engine cannot save its state");
    }

    /**
     * Puts back a {@link #saveContext} value and drops all translated code and cached
     * translations (guest memory may have been restored under the engine).
     */
    default void restoreContext(Object context) {
        throw new UnsupportedOperationException("this engine cannot restore its state");
    }

    /**
     * Counts every translation block this engine executes from now on, by start address and size
     * ({@code on}), or stops counting. The cost is one table update per executed block.
     */
    default void recordBlocks(boolean on) {
        throw new UnsupportedOperationException("this engine cannot record executed blocks");
    }

    /** The blocks executed since {@link #recordBlocks} turned recording on. */
    default java.util.List<ExecutedBlock> recordedBlocks() {
        return java.util.List.of();
    }

    @Override
    void close();
}
