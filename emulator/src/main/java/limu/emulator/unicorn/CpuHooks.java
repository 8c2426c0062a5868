// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

/**
 * What one vCPU's engine asks of the machine while it runs. Called by the JNI
 * shim on the run-loop thread, from inside the guest's instruction stream.
 * Port handlers must be quick and must not call back into the engine; the
 * CPU-event handlers (exceptions, SYSCALL, CPUID, RDTSC, MSRs) emulate what
 * the CPU would do and may read and write this engine's registers and memory.
 * The defaults keep Unicorn's own behaviour or stop, for engines that model no CPU.
 */
public interface CpuHooks {
    /** A guest IN of {@code size} bytes (1, 2, 4) from {@code port}. */
    int portIn(int port, int size);

    /** A guest OUT; returns true when the machine must stop after this instruction. */
    boolean portOut(int port, int size, int value);

    /**
     * An exception or {@code int n} (RIP: the faulting instruction for a fault,
     * the next one for a trap or INT). {@code errorCode} is what the CPU pushes
     * for this vector; {@code software} is true for INT n/INT3/INTO. Returns true
     * when it was delivered (RIP now at the handler), false to stop the machine.
     */
    default boolean exception(int vector, int errorCode, boolean software) {
        return false;
    }

    /** A SYSCALL (RIP at it). Returns false to stop the machine. */
    default boolean syscall() {
        return false;
    }

    /** A CPUID (RIP at it): true when the handler wrote EAX..EDX, false to let the engine answer. */
    default boolean cpuid() {
        return false;
    }

    /**
     * RDTSC or RDTSCP: the time stamp counter to return; {@code sliceBlocks} is the
     * number of blocks the current slice has executed so far. For RDTSCP the
     * handler also sets RCX (TSC_AUX) itself.
     */
    default long rdtsc(long sliceBlocks, boolean rdtscp) {
        return sliceBlocks;
    }

    /** An RDMSR/WRMSR at a hooked address (RIP at it). Returns false to stop the machine. */
    default boolean msr() {
        return false;
    }

    /**
     * Whether these hooks model the CPU's MSRs and PAUSE: only then does the engine scan every page the guest
     * executes for RDMSR/WRMSR/PAUSE and hook them ({@link Engine#scansFetchedCode()}); an engine that models no
     * CPU keeps Unicorn's own RDMSR/WRMSR.
     */
    default boolean modelsMsrs() {
        return false;
    }

    /**
     * A guest read of {@code size} bytes from a device window mapped with
     * {@link Engine#mapMmio} ({@code address} is guest-physical). RIP is not
     * synchronised here. An 8-byte access arrives as two 4-byte ones.
     */
    default long mmioRead(long address, int size) {
        return -1L;
    }

    /**
     * A guest write to a device window; returns true when the machine must stop
     * (acted on at the next block boundary, never inside the access).
     */
    default boolean mmioWrite(long address, int size, long value) {
        return false;
    }

    /**
     * The registers {@link #addressHit} hands over, in this order (indexes {@link #HOOK_RSP} and on):
     * the stack pointer, the return value and the SysV AMD64 argument registers, what a watcher of
     * function calls and returns reads at every hit.
     */
    Register[] HOOK_REGISTERS = {Register.RSP, Register.RAX, Register.RDI, Register.RSI, Register.RDX,
        Register.RCX, Register.R8};
    int HOOK_RSP = 0;
    int HOOK_RAX = 1;
    /** The first argument register (RDI); the next ones follow in SysV order (RSI, RDX, RCX, R8). */
    int HOOK_ARGS = 2;

    /**
     * The instruction at {@code linear}, watched with {@link Engine#setAddressHook}, is about to run
     * (RIP at it; registers and memory readable through the engine). {@code registers} holds the
     * {@link #HOOK_REGISTERS} as they are now, in an array reused for every hit on this CPU (read it
     * during the call, keep no reference). Returns true to stop the machine before it runs
     * ({@link RunExit#ADDRESS_HOOK}). May be called twice for one execution when another stop lands
     * in between: observers must tolerate (dedupe) that.
     */
    default boolean addressHit(long linear, long[] registers) {
        return false;
    }

    /**
     * A guest access to a range watched with {@link Engine#addHeapWatch} ({@code physical}: its
     * guest-physical address; {@code rip}: the accessing instruction). True stops the machine at the
     * end of the translation block ({@link RunExit#ADDRESS_HOOK} with the RIP as the address).
     */
    default boolean heapAccess(long physical, int size, boolean write, long rip) {
        return false;
    }
}
