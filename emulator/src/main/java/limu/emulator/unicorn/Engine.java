package limu.emulator.unicorn;

/**
 * One x86_64 CPU's execution engine: the narrow boundary between the machine
 * and Unicorn. Physical addresses everywhere except {@link #readVirtual}.
 */
public interface Engine extends AutoCloseable {
    /** Maps host memory at {@code hostAddress} as guest RAM at {@code guestPhysical}. */
    void mapRam(long guestPhysical, long length, long hostAddress);

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

    /** Runs from RIP for at most {@code blockBudget} translation blocks. */
    Slice run(long blockBudget);

    /** Thread-safe: ends the running slice at the next block boundary. */
    void requestStop();

    @Override
    void close();
}
