package limu.emulator;

/**
 * The machine's time, derived from executed guest work so that the same
 * kernel sees the same clock values every run: every translation block the
 * CPUs execute counts {@link #NANOS_PER_BLOCK} nanoseconds (a block is a few
 * instructions; Unicorn counts blocks for free in the slice hook, while an
 * exact instruction count costs 6-8 ns an instruction). The time stamp counter
 * runs at {@link #TSC_HZ}, which CPUID leaves 0x15/0x16 report.
 */
public final class VirtualClock {
    /** Guest nanoseconds per executed translation block. */
    public static final long NANOS_PER_BLOCK = 4;
    /** TSC ticks per second: 1 GHz, so one tick is one virtual nanosecond. */
    public static final long TSC_HZ = 1_000_000_000L;

    private long blocks;

    /** Accounts for a finished slice. */
    public void advance(long executedBlocks) {
        blocks += executedBlocks;
    }

    /** Blocks executed by all CPUs so far (finished slices). */
    public long blocks() {
        return blocks;
    }

    /** Virtual nanoseconds since reset, with {@code pendingBlocks} of the running slice counted in. */
    public long nanos(long pendingBlocks) {
        return (blocks + pendingBlocks) * NANOS_PER_BLOCK;
    }

    /** The TSC value for the same instant (TSC_HZ = 1 GHz: ticks = nanoseconds). */
    public long tsc(long pendingBlocks) {
        return nanos(pendingBlocks) * (TSC_HZ / 1_000_000_000L);
    }
}
