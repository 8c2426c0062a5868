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
     * RDMSR/WRMSR at this linear address go to {@link CpuHooks#msr()}. Must be
     * called before the code there is first executed.
     */
    void interceptMsrAccessAt(long linear);

    /** Runs from RIP for at most {@code blockBudget} translation blocks. */
    Slice run(long blockBudget);

    /** Thread-safe: ends the running slice at the next block boundary. */
    void requestStop();

    @Override
    void close();
}
