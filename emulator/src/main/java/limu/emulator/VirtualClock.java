// SPDX-License-Identifier: GPL-2.0-or-later
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
    /** Virtual time skipped while every CPU was halted, waiting for a timer. */
    private long skipped;
    /** Host time at start in wall-clock mode; -1 in the (default) deterministic mode. */
    private final long wallStart;

    /** The deterministic clock: time follows executed guest work only. */
    public VirtualClock() {
        this(false);
    }

    /** {@code wall}: time follows the host's clock instead (--time wall, for interactive use). */
    public VirtualClock(boolean wall) {
        this.wallStart = wall ? System.nanoTime() : -1;
    }

    public boolean wall() {
        return wallStart >= 0;
    }

    /** Accounts for a finished slice. */
    public void advance(long executedBlocks) {
        blocks += executedBlocks;
    }

    /**
     * Every CPU is halted until {@code nanos}: jump there (deterministic mode),
     * or sleep until the host clock gets there (wall mode).
     */
    public void skipTo(long nanos) throws InterruptedException {
        long now = nanos(0);
        if (nanos <= now) {
            return;
        }
        if (wall()) {
            long wait = nanos - now;
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        } else {
            skipped += nanos - now;
        }
    }

    /** Virtual time skipped so far while every CPU was halted (snapshots). */
    long skipped() {
        return skipped;
    }

    /** Puts the clock back where a snapshot found it (deterministic mode). */
    void restore(long blocks, long skipped) {
        this.blocks = blocks;
        this.skipped = skipped;
    }

    /** Blocks executed by all CPUs so far (finished slices). */
    public long blocks() {
        return blocks;
    }

    /** Virtual nanoseconds since reset, with {@code pendingBlocks} of the running slice counted in. */
    public long nanos(long pendingBlocks) {
        if (wallStart >= 0) {
            return System.nanoTime() - wallStart;
        }
        return (blocks + pendingBlocks) * NANOS_PER_BLOCK + skipped;
    }

    /** Blocks of guest work until {@code deadline} at the deterministic rate (at least 1). */
    public long blocksUntil(long deadline, long pendingBlocks) {
        long ns = deadline - nanos(pendingBlocks);
        return Math.max(1, (ns + NANOS_PER_BLOCK - 1) / NANOS_PER_BLOCK);
    }

    /** The TSC value for the same instant (TSC_HZ = 1 GHz: ticks = nanoseconds). */
    public long tsc(long pendingBlocks) {
        return nanos(pendingBlocks) * (TSC_HZ / 1_000_000_000L);
    }
}
